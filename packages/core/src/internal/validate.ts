/**
 * Input validation for endpoints and publish: each check returns the normalised value or fails with a
 * `ValidationError` whose message says what was wrong and what to do.
 *
 * Every string that is stored or compared (tenant, ids, keys, names, metadata, channels, event types, header names
 * and values) is checked here, once, the same for every adapter: well-formed Unicode (no lone surrogates — a store
 * that encodes UTF-8 turns each into U+FFFD, so distinct tenants or keys would become one) and no NUL (which Postgres
 * cannot store but memory would). Identifiers (tenant, ids, idempotency keys) also refuse control characters.
 *
 * One module past 400 lines on purpose: every rule an input goes through is written here once, so endpoints,
 * publish, the delivery log and every adapter apply the same rules; the rules share the text checks at the top, and
 * spreading them over the callers' modules would let two callers drift apart.
 */
import * as Effect from "effect/Effect"
import type * as Catalog from "../Catalog.js"
import { ValidationError } from "../Errors.js"
import type * as Settings from "../Settings.js"

type Code = ValidationError["code"]

const fail = (code: Code, field: string, message: string) => new ValidationError({ code, field, message })

export const LIMITS = {
  urlLength: 2048,
  eventTypes: 256,
  channels: 100,
  channelLength: 128,
  headers: 20,
  headerNameLength: 256,
  headerValueLength: 4096,
  metadataEntries: 50,
  metadataValueLength: 1024,
  metadataKeyLength: 256,
  nameLength: 256,
  descriptionLength: 2048,
  tenantLength: 256,
  idempotencyKeyLength: 256,
  idLength: 256,
  reasonLength: 1024
} as const

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/

/**
 * Why `value` cannot be stored and compared identically by every adapter, or `undefined` when it can: lone
 * surrogates, NUL, and for identifiers (`identifier: true`) any control character.
 */
export const textProblem = (value: string, identifier: boolean): string | undefined =>
  LONE_SURROGATE.test(value)
    ? "contains a lone surrogate (ill-formed Unicode), which stores cannot keep apart from other strings"
    : value.includes("\u0000")
    ? "contains a NUL character"
    : identifier && CONTROL_CHARACTER.test(value)
    ? "contains a control character"
    : undefined

/** `tenant` without its effect: the value, or the error (for the publish path, which runs once per message). */
export const checkTenant = (value: unknown): string | ValidationError => {
  if (typeof value === "string" && value.length > 0 && value.length <= LIMITS.tenantLength) {
    const problem = textProblem(value, true)
    return problem === undefined
      ? value
      : fail("invalid_tenant", "tenant", `tenant ${problem}: use well-formed text without control characters`)
  }
  return fail(
    "invalid_tenant",
    "tenant",
    `tenant must be a non-empty string of at most ${LIMITS.tenantLength} characters`
  )
}

/**
 * A record id given by the caller (`id`, `endpointId`, `messageId`, `deliveryId`): a non-empty string without control
 * characters or lone surrogates. Any such string may be looked up (an unknown one is not found); anything else is a
 * `ValidationError` naming the field. `undefined` when `optional` and absent.
 */
export const checkId = (value: unknown, field: string, optional = false): string | undefined | ValidationError => {
  if (value === undefined && optional) return undefined
  if (typeof value === "string" && value.length > 0 && value.length <= LIMITS.idLength) {
    const problem = textProblem(value, true)
    if (problem === undefined) return value
    return fail("invalid_id", field, `${field} ${problem}: pass the id Hookwire returned`)
  }
  return fail(
    "invalid_id",
    field,
    `${field} must be ${optional ? "omitted or " : ""}a non-empty string of at most ${LIMITS.idLength} characters ` +
      `(the id Hookwire returned); got ${describe(value)}`
  )
}

/** What a value is, for an error message: never the value itself (it could be a secret, or huge). */
export const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "string" ? "a string" : typeof value

/** A synchronous check's outcome as an effect. */
const lift = <A>(checked: A | ValidationError): Effect.Effect<A, ValidationError> =>
  checked instanceof ValidationError ? Effect.fail(checked) : Effect.succeed(checked)

export const tenant = (value: unknown): Effect.Effect<string, ValidationError> => lift(checkTenant(value))

export const url = (
  value: unknown,
  settings: Settings.Resolved
): Effect.Effect<{ readonly url: string; readonly insecure: boolean }, ValidationError> =>
  Effect.suspend(() => {
    if (typeof value !== "string" || value.length === 0) {
      return Effect.fail(fail("invalid_url", "url", "url is required: an absolute https:// URL"))
    }
    if (value.length > LIMITS.urlLength) {
      return Effect.fail(fail("invalid_url", "url", `url is longer than ${LIMITS.urlLength} characters`))
    }
    let parsed: URL
    try {
      parsed = new URL(value)
    } catch {
      return Effect.fail(
        fail("invalid_url", "url", "url does not parse: give an absolute URL like https://example.com/webhooks")
      )
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      return Effect.fail(fail("invalid_url", "url", `url must use https: (got ${parsed.protocol})`))
    }
    if (parsed.username !== "" || parsed.password !== "") {
      return Effect.fail(
        fail(
          "url_credentials",
          "url",
          "url must not carry credentials (user:password@); send them in sensitiveHeaders (an Authorization " +
            "header, sealed at rest) instead"
        )
      )
    }
    if (parsed.protocol === "http:" && !settings.allowHttp) {
      return Effect.fail(
        fail(
          "insecure_url",
          "url",
          "url must use https:; http: is accepted only when the engine allows http (allowHttp)"
        )
      )
    }
    parsed.hash = ""
    return Effect.succeed({ url: parsed.toString(), insecure: parsed.protocol === "http:" })
  })

export const eventTypes = (
  value: unknown,
  catalog: Catalog.Catalog<any>
): Effect.Effect<ReadonlyArray<string>, ValidationError> =>
  Effect.suspend(() => {
    if (value === undefined || value === null) return Effect.succeed([])
    if (!Array.isArray(value) || value.length > LIMITS.eventTypes) {
      return Effect.fail(
        fail(
          "invalid_event_filter",
          "eventTypes",
          `eventTypes must be an array of at most ${LIMITS.eventTypes} event type names`
        )
      )
    }
    const out = new Set<string>()
    for (const entry of value) {
      if (typeof entry !== "string" || !catalog.accepts(entry)) {
        const known = [...catalog.types.keys()].sort().join(", ")
        return Effect.fail(
          fail(
            "invalid_event_filter",
            "eventTypes",
            `eventTypes entry ${JSON.stringify(entry)} matches no event type of the catalog; ` +
              `use an exact name or a "prefix.*" wildcard. Known types: ${known}`
          )
        )
      }
      out.add(entry)
    }
    return Effect.succeed([...out])
  })

const CHANNEL = /^[A-Za-z0-9_.:\-/]+$/

/** `channels` without its effect: the value, or the error (for the publish path, which runs once per message). */
export const checkChannels = (value: unknown, field: string): ReadonlyArray<string> | ValidationError => {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || value.length > LIMITS.channels) {
    return fail("invalid_channel", field, `${field} must be an array of at most ${LIMITS.channels} channel names`)
  }
  const out = new Set<string>()
  for (const entry of value) {
    if (
      typeof entry !== "string" || entry.length === 0 || entry.length > LIMITS.channelLength || !CHANNEL.test(entry)
    ) {
      return fail(
        "invalid_channel",
        field,
        `channel ${
          JSON.stringify(entry)
        } is invalid: use 1–${LIMITS.channelLength} characters of letters, digits, "_", ".", ":", "-", "/"`
      )
    }
    out.add(entry)
  }
  return [...out]
}

export const channels = (
  value: unknown,
  field: string
): Effect.Effect<ReadonlyArray<string>, ValidationError> => Effect.suspend(() => lift(checkChannels(value, field)))

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
// HTTP carries header values as bytes; the transport sends each character as one byte (Latin-1), so anything above
// U+00FF cannot be sent (every delivery would fail with "invalid request").
const NOT_LATIN1 = /[^\u0000-\u00ff]/

export const headers = (
  value: unknown,
  settings: Settings.Resolved
): Effect.Effect<Readonly<Record<string, string>>, ValidationError> =>
  Effect.suspend(() => {
    if (value === undefined || value === null) return Effect.succeed({})
    if (typeof value !== "object" || Array.isArray(value)) {
      return Effect.fail(fail("invalid_header", "headers", "headers must be an object of header name → string value"))
    }
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length > LIMITS.headers) {
      return Effect.fail(fail("invalid_header", "headers", `at most ${LIMITS.headers} custom headers are allowed`))
    }
    const out: Record<string, string> = {}
    for (const [name, v] of entries) {
      if (!TOKEN.test(name) || name.length > LIMITS.headerNameLength) {
        return Effect.fail(
          fail("invalid_header", "headers", `header name ${JSON.stringify(name)} is not a valid HTTP token`)
        )
      }
      const lower = name.toLowerCase()
      if (settings.reservedHeaders.has(lower)) {
        return Effect.fail(
          fail(
            "reserved_header",
            "headers",
            `header ${JSON.stringify(name)} is set by Hookwire and cannot be overridden`
          )
        )
      }
      const problem = typeof v === "string" && NOT_LATIN1.test(v)
        ? "has characters outside Latin-1 (ISO-8859-1), which HTTP header values cannot carry; percent-encode or " +
          "base64-encode the value"
        : typeof v !== "string" || v.length > LIMITS.headerValueLength || CONTROL.test(v)
        ? `must be a string of at most ${LIMITS.headerValueLength} characters without CR, LF or other control characters`
        : undefined
      if (problem !== undefined || typeof v !== "string") {
        return Effect.fail(fail("invalid_header", "headers", `header ${JSON.stringify(name)} ${problem}`))
      }
      out[lower] = v
    }
    return Effect.succeed(out)
  })

export const metadata = (value: unknown): Effect.Effect<Readonly<Record<string, string>>, ValidationError> =>
  Effect.suspend(() => {
    if (value === undefined || value === null) return Effect.succeed({})
    if (typeof value !== "object" || Array.isArray(value)) {
      return Effect.fail(fail("invalid_option", "metadata", "metadata must be an object of string → string"))
    }
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length > LIMITS.metadataEntries) {
      return Effect.fail(fail("invalid_option", "metadata", `metadata has at most ${LIMITS.metadataEntries} entries`))
    }
    for (const [k, v] of entries) {
      const keyProblem = k.length === 0 || k.length > LIMITS.metadataKeyLength
        ? `must be 1–${LIMITS.metadataKeyLength} characters`
        : textProblem(k, true)
      if (keyProblem !== undefined) {
        return Effect.fail(
          fail("invalid_option", "metadata", `metadata key ${JSON.stringify(k)} ${keyProblem}`)
        )
      }
      const valueProblem = typeof v === "string" ? textProblem(v, false) : undefined
      if (valueProblem !== undefined) {
        return Effect.fail(fail("invalid_option", "metadata", `metadata.${k} ${valueProblem}`))
      }
      if (typeof v !== "string" || v.length > LIMITS.metadataValueLength) {
        return Effect.fail(
          fail(
            "invalid_option",
            "metadata",
            `metadata.${k} must be a string of at most ${LIMITS.metadataValueLength} characters`
          )
        )
      }
    }
    return Effect.succeed(Object.fromEntries(entries) as Record<string, string>)
  })

export const optionalText = (
  value: unknown,
  field: string,
  max: number
): Effect.Effect<string | null, ValidationError> => {
  if (value === undefined || value === null) return Effect.succeed(null)
  if (typeof value !== "string" || value.length > max) {
    return Effect.fail(fail("invalid_option", field, `${field} must be a string of at most ${max} characters`))
  }
  const problem = textProblem(value, false)
  return problem === undefined
    ? Effect.succeed(value)
    : Effect.fail(fail("invalid_option", field, `${field} ${problem}: use well-formed text`))
}

export const timeoutMs = (value: unknown, max: number): Effect.Effect<number | null, ValidationError> =>
  value === undefined || value === null
    ? Effect.succeed(null)
    : typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= max
    ? Effect.succeed(value)
    : Effect.fail(
      fail("invalid_option", "timeoutMs", `timeoutMs must be a whole number of milliseconds from 1 to ${max}`)
    )

export const pageLimit = (value: unknown): Effect.Effect<number, ValidationError> =>
  value === undefined
    ? Effect.succeed(50)
    : typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 1000
    ? Effect.succeed(value)
    : Effect.fail(fail("invalid_option", "limit", "limit must be a whole number from 1 to 1000"))

const CURSOR = /^[a-z]{2,3}_[0-9A-HJKMNP-TV-Z]{26}$/

export const cursor = (value: unknown): Effect.Effect<string | undefined, ValidationError> =>
  value === undefined || value === null
    ? Effect.succeed(undefined)
    : typeof value === "string" && CURSOR.test(value)
    ? Effect.succeed(value)
    : Effect.fail(fail("invalid_cursor", "cursor", "cursor is invalid: pass the nextCursor of the previous page"))

/** The largest epoch ms a `Date` can hold. */
const MAX_DATE_MS = 8.64e15
export const order = (value: unknown): Effect.Effect<"asc" | "desc" | undefined, ValidationError> =>
  value === undefined || value === "asc" || value === "desc"
    ? Effect.succeed(value)
    : Effect.fail(fail("invalid_option", "order", `order must be "asc" (oldest first) or "desc" (newest first)`))

export const time = (value: unknown, field: string): Effect.Effect<number | undefined, ValidationError> => {
  if (value === undefined || value === null) return Effect.succeed(undefined)
  const ms = value instanceof Date
    ? value.getTime()
    : typeof value === "number"
    ? value
    : typeof value === "string"
    ? Date.parse(value)
    : NaN
  // Within the range of a Date, as whole milliseconds: the bound is handed to Storage (see wholeMs.ts).
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS
    ? Effect.succeed(Math.floor(ms))
    : Effect.fail(fail("invalid_option", field, `${field} must be a Date, an ISO-8601 string or epoch milliseconds`))
}

/** `idempotencyKey` without its effect: the value, or the error (for the publish path). */
export const checkIdempotencyKey = (value: unknown): string | null | ValidationError => {
  if (value === undefined || value === null) return null
  if (typeof value === "string" && value.length > 0 && value.length <= LIMITS.idempotencyKeyLength) {
    const problem = textProblem(value, true)
    return problem === undefined
      ? value
      : fail("invalid_option", "idempotencyKey", `idempotencyKey ${problem}: use well-formed text`)
  }
  return fail(
    "invalid_option",
    "idempotencyKey",
    `idempotencyKey must be a non-empty string of at most ${LIMITS.idempotencyKeyLength} characters`
  )
}

export const idempotencyKey = (value: unknown): Effect.Effect<string | null, ValidationError> =>
  lift(checkIdempotencyKey(value))

/** Raw-secret schemes (Stripe, GitHub, custom HMAC): the secret string is the key. */
const RAW_SECRET = { min: 16, max: 1024 } as const
/** Standard Webhooks: `whsec_` + base64 of this many bytes (the spec: 24 to 64). */
const STANDARD_SECRET_BYTES = { min: 24, max: 64 } as const

/**
 * Why a secret the host brings cannot sign for the scheme, or `undefined` (the scheme's own signing check follows):
 * a `standard` HMAC secret is `whsec_` (or nothing) + base64 of 24 to 64 bytes (an ed25519 `whsk_` key is checked by
 * signing); any other scheme's secret is used as-is and must be 16 to 1,024 characters of well-formed text. The
 * answer names the rule, never the secret.
 */
export const secretProblem = (value: string, scheme: string): string | undefined => {
  if (scheme === "standard") {
    if (value.startsWith("whsk_") || value.startsWith("whpk_")) return undefined
    const body = value.startsWith("whsec_") ? value.slice(6) : value
    const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(body) ? Buffer.from(body, "base64").length : -1
    return bytes >= STANDARD_SECRET_BYTES.min && bytes <= STANDARD_SECRET_BYTES.max
      ? undefined
      : `use whsec_ followed by base64 of ${STANDARD_SECRET_BYTES.min} to ${STANDARD_SECRET_BYTES.max} random bytes` +
        (bytes >= 0 ? ` (this one decodes to ${bytes})` : "")
  }
  if (value.length < RAW_SECRET.min || value.length > RAW_SECRET.max) {
    return `use ${RAW_SECRET.min} to ${RAW_SECRET.max} characters (this one has ${value.length})`
  }
  const problem = textProblem(value, true)
  return problem === undefined ? undefined : `it ${problem}`
}

/** Whether an endpoint's filter and channels accept a message. */
export const matches = (
  endpoint: { readonly eventTypes: ReadonlyArray<string>; readonly channels: ReadonlyArray<string> },
  type: string,
  messageChannels: ReadonlySet<string>
): boolean => {
  if (endpoint.channels.length > 0) {
    let any = false
    for (const c of endpoint.channels) {
      if (messageChannels.has(c)) {
        any = true
        break
      }
    }
    if (!any) return false
  }
  if (endpoint.eventTypes.length === 0) return true
  for (const filter of endpoint.eventTypes) {
    if (filter === type) return true
    if (filter.endsWith(".*") && type.startsWith(filter.slice(0, -1))) return true
  }
  return false
}
