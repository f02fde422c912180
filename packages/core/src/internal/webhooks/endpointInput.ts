/**
 * The checks of an endpoint's create and update input that need more than `internal/validate.ts`: the secret (signed
 * with once, so a malformed one fails here and never later as a silent mismatch), the scheme name (registered in the
 * engine's `schemes`), the retry policy and the delivery options (rate limit, FIFO, circuit breaker, payload filter).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as CircuitBreaker from "../../CircuitBreaker.js"
import { ValidationError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import * as PayloadFilter from "../../PayloadFilter.js"
import * as RateLimiter from "../../RateLimiter.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import type { Resolved } from "../../Settings.js"
import type { EndpointOptionsInput } from "../../Webhooks.js"
import * as validate from "../validate.js"

/** The secret to store: the one given (checked for the endpoint's scheme) or a new one. */
export const secretValue = (
  settings: Resolved,
  input: string | Redacted.Redacted<string> | undefined,
  scheme: string | null
): Effect.Effect<string, ValidationError> => {
  if (input === undefined) return Effect.sync(settings.generateSecret)
  const value = Redacted.isRedacted(input) ? Redacted.value(input) : input
  const chosen = (scheme !== null ? settings.schemes.get(scheme) : undefined) ?? settings.scheme
  const invalid = (why: string) =>
    new ValidationError({
      code: "invalid_secret",
      field: "secret",
      message: `secret is not valid for the ${chosen.name} scheme: ${why}`
    })
  if (typeof value !== "string" || value.length === 0) return Effect.fail(invalid("give a non-empty string"))
  const problem = validate.secretProblem(value, chosen.name)
  if (problem !== undefined) return Effect.fail(invalid(problem))
  return Effect.try({
    try: () => {
      chosen.sign({ id: "msg_check", timestamp: 0, body: "", secrets: [value] })
      return value
    },
    catch: () =>
      invalid(chosen.name === "standard" ? "use whsec_ followed by base64 of 24 to 64 random bytes" : "it cannot sign")
  })
}

/** A registered scheme's name, or null for the engine's default. */
export const schemeName = (settings: Resolved, value: unknown): Effect.Effect<string | null, ValidationError> =>
  value === undefined || value === null
    ? Effect.succeed(null)
    : typeof value === "string" && settings.schemes.has(value)
    ? Effect.succeed(value)
    : Effect.fail(
      new ValidationError({
        code: "invalid_option",
        field: "scheme",
        message: `scheme ${JSON.stringify(value)} is not registered; known: ${
          [...settings.schemes.keys()].join(", ") || "(none)"
        }`
      })
    )

/** The stored form of a retry policy (a `RetryPolicy` or its spec), checked. */
export const retryPolicySpec = (
  input: RetryPolicy.RetryPolicy | Model.RetryPolicySpec | null | undefined
): Effect.Effect<Model.RetryPolicySpec | null, ValidationError> => {
  if (input === undefined || input === null) return Effect.succeed(null)
  const spec = "spec" in input ? input.spec : input
  return Effect.try({
    try: () => RetryPolicy.fromSpec(spec).spec,
    catch: (error) =>
      new ValidationError({
        code: "invalid_option",
        field: "retryPolicy",
        message: `retryPolicy is invalid: ${error instanceof Error ? error.message : String(error)}`
      })
  })
}

/**
 * The payload filter to store: checked once here (the same for every adapter), kept as a plain JSON copy; null
 * clears it, undefined keeps `current`.
 */
export const payloadFilter = (
  input: unknown,
  current: PayloadFilter.PayloadFilter | null
): Effect.Effect<PayloadFilter.PayloadFilter | null, ValidationError> => {
  if (input === undefined) return Effect.succeed(current)
  if (input === null) return Effect.succeed(null)
  return checkedFilter(input)
}

/** A filter, checked and copied as plain JSON, or `invalid_payload_filter` naming the bad path. */
export const checkedFilter = (input: unknown): Effect.Effect<PayloadFilter.PayloadFilter, ValidationError> => {
  const problem = PayloadFilter.validate(input)
  return problem === undefined
    ? Effect.succeed(JSON.parse(JSON.stringify(input)) as PayloadFilter.PayloadFilter)
    : Effect.fail(
      new ValidationError({
        code: "invalid_payload_filter",
        field: problem.path,
        message: `${problem.path}: ${problem.message}`
      })
    )
}

/** The delivery options after applying `input` to `current` (create starts from `Model.defaultOptions`). */
export const options = (
  input: EndpointOptionsInput,
  current: Model.EndpointOptions
): Effect.Effect<Model.EndpointOptions, ValidationError> =>
  Effect.flatMap(payloadFilter(input.filter, current.filter ?? null), (filter) => optionsWith(input, current, filter))

const optionsWith = (
  input: EndpointOptionsInput,
  current: Model.EndpointOptions,
  filter: PayloadFilter.PayloadFilter | null
): Effect.Effect<Model.EndpointOptions, ValidationError> =>
  Effect.try({
    try: () => {
      let rateLimit = current.rateLimit
      if (input.rateLimit !== undefined) {
        rateLimit = input.rateLimit === null
          ? null
          : RateLimiter.validate({ perSecond: input.rateLimit.perSecond, burst: input.rateLimit.burst ?? 1 })
      }
      let circuitBreaker = current.circuitBreaker
      if (input.circuitBreaker !== undefined) {
        circuitBreaker = input.circuitBreaker === null || input.circuitBreaker === false
          ? input.circuitBreaker
          : CircuitBreaker.resolve(input.circuitBreaker)
      }
      if (input.fifo !== undefined && typeof input.fifo !== "boolean") throw new Error("fifo must be true or false")
      return { rateLimit, circuitBreaker, fifo: input.fifo ?? current.fifo, filter }
    },
    catch: (error) =>
      new ValidationError({
        code: "invalid_option",
        field: input.rateLimit !== undefined && String(error).includes("rate limit") ? "rateLimit" : "options",
        message: error instanceof Error ? error.message : String(error)
      })
  })
