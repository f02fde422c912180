/**
 * A defect (an unexpected error: a host's Transport that throws, a bug) described for an attempt's record, which the
 * delivery log shows to the host's customers: the pretty cause, with every secret that signed the attempt replaced,
 * and cut to a few KiB. Recording it as an attempt (error kind `unknown`) lets the retry policy apply, rather than
 * the delivery being sent again after every lease without a trace.
 */
import * as Cause from "effect/Cause"

/** The longest description kept. */
const MAX_LENGTH = 4096

/**
 * @param secrets - the plain secrets that signed the attempt: never shown.
 */
export const describe = (cause: Cause.Cause<unknown>, secrets: ReadonlyArray<string>): string => {
  let text = Cause.pretty(cause, { renderErrorCause: true })
  for (const secret of secrets) {
    // The whole secret, and its key part without a `whsec_`-like prefix (what a scheme decodes and might show).
    const key = secret.slice(secret.indexOf("_") + 1)
    for (const shown of [secret, key]) {
      if (shown.length >= 8) text = text.split(shown).join("[redacted]")
    }
  }
  text = `unexpected error: ${text}`
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text
}
