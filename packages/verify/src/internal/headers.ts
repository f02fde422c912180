/**
 * Header lookup over every shape receivers hand us: a Fetch `Headers`, Node's `IncomingHttpHeaders` (lower-case keys,
 * arrays for repeated headers) or a hand-written object in any case. The common case — an exact lower-case key — is a
 * single property read; other spellings fall back to a scan.
 *
 * @internal
 */
import type { HeadersInput } from "../Scheme.js"
import { WebhookVerificationError } from "../VerifyError.js"

type Raw = string | ReadonlyArray<string> | undefined

interface HeaderGetter {
  get(name: string): string | null
}

const hasGet = (headers: object): headers is HeaderGetter => typeof (headers as HeaderGetter).get === "function"

const lookup = (headers: HeadersInput, name: string): unknown => {
  if (typeof headers !== "object" || headers === null) return undefined
  if (hasGet(headers)) return headers.get(name) ?? undefined
  const record = headers as Record<string, unknown>
  const exact = record[name]
  if (exact !== undefined && Object.hasOwn(record, name)) return exact
  const keys = Object.keys(record)
  for (let i = 0; i < keys.length; i++) {
    if (keys[i].length === name.length && keys[i].toLowerCase() === name) return record[keys[i]]
  }
  return undefined
}

const malformed = (name: string, detail: string): WebhookVerificationError =>
  new WebhookVerificationError("malformed_header", `the ${name} header ${detail}`)

const raw = (headers: HeadersInput, name: string): Raw => {
  const value = lookup(headers, name)
  if (value === undefined || value === null) return undefined
  if (typeof value === "string") return value
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as ReadonlyArray<string>
  throw malformed(
    name,
    `must be a string, but was ${Array.isArray(value) ? "an array with non-strings" : typeof value}`
  )
}

/**
 * The single value of `name` (lower-case), or `undefined` when absent or empty. Repeated headers with different
 * values are ambiguous and rejected: a proxy that duplicates a header should not let either copy win silently.
 */
export const single = (headers: HeadersInput, name: string): string | undefined => {
  const value = raw(headers, name)
  if (value === undefined || typeof value === "string") return value === "" ? undefined : value
  if (value.length === 0) return undefined
  for (let i = 1; i < value.length; i++) {
    if (value[i] !== value[0]) throw malformed(name, `was sent ${value.length} times with different values`)
  }
  return value[0] === "" ? undefined : value[0]
}

/** Every value of a list-valued header (signatures), joined with `separator`; `undefined` when absent or empty. */
export const joined = (headers: HeadersInput, name: string, separator: string): string | undefined => {
  const value = raw(headers, name)
  if (value === undefined || typeof value === "string") return value === "" ? undefined : value
  const all = value.filter((v) => v !== "").join(separator)
  return all === "" ? undefined : all
}
