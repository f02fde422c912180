/**
 * What the Promise API's `logger` option receives as a log line's `cause` and text: the cause rendered as Effect
 * renders it (errors, defects, interruptions, with their own causes), cut to a few KiB, with anything shaped like a
 * secret replaced — Standard Webhooks secrets and keys (`whsec_…`, `whsk_…`), and the password of a URL
 * (`postgres://user:…@host`). Errors never carry secrets by design; this holds even for a host's own Transport or
 * adapter error that does.
 */
import * as Cause from "effect/Cause"

const MAX_LENGTH = 8192

const SECRET_SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bwh(sec|sk)_[A-Za-z0-9+/=_-]+/g, "wh$1_[redacted]"],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, "$1[redacted]@"]
]

/** `text` with every secret-shaped part replaced. */
export const redact = (text: string): string => {
  let out = text
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement)
  return out
}

/** The cause as text for a log line, or `undefined` when the line has none. */
export const render = (cause: Cause.Cause<unknown>): string | undefined => {
  if (Cause.isEmpty(cause)) return undefined
  const text = redact(Cause.pretty(cause, { renderErrorCause: true }))
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text
}
