/**
 * What happens after a delivery attempt: a pure function of (attempts made, outcome) → delivered, retry after a
 * delay, fail, or gone. No Effect runtime is involved; randomness (for jitter) and the current time (for HTTP-date
 * `Retry-After`) are passed in, so the dispatcher stays testable and every decision is reproducible.
 *
 * Rules of {@link decide}:
 *
 * - 2xx → `Delivered`. 410 → `Gone`: the dispatcher disables the endpoint and cancels its pending deliveries.
 * - 3xx is a failure (redirects are not followed) and is retried per the schedule, like other 4xx/5xx responses and
 *   the transport errors `timeout`, `connect`, `dns`, `tls`, `protocol` and `unknown`.
 * - 429/502/503/504 throttle: the delay is at least the schedule's, at least `throttleMinMs` (60 s) and at least
 *   `Retry-After` (clamped to `maxRetryAfterMs`, 24 h). `Retry-After` on any other failing status is honoured too
 *   (at least the schedule, clamped). Throttling never grants extra attempts: an exhausted policy still fails, and
 *   with `none` a 429 is final.
 * - Transport error `blocked` is final: the SSRF guard refused the resolved address, and asking again cannot change
 *   the network policy, so it fails at once, whatever the policy, instead of burning attempts for days.
 *
 * Constructors validate their input when the engine is configured and throw a {@link RetryPolicyError} (`code:
 * "invalid_retry_policy"`) whose message says what to fix. Every policy's `spec` is plain JSON and round-trips
 * through {@link fromSpec}, which is how a per-endpoint override is stored.
 *
 * It is one module past 400 lines because it is one concept users import as one namespace: the policy type, its
 * constructors and their validation, and `decide` with the `Retry-After` rules it applies, each documented. The
 * HTTP-date grammar `Retry-After` may use lives in `internal/httpDate.ts`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as httpDate from "./internal/httpDate.js"
import type { RetryPolicySpec, TransportErrorKind } from "./Model.js"

/**
 * A retry schedule. `delayAfter(n, random)` is the delay in ms before attempt `n + 1` once `n` attempts have failed,
 * or `undefined` when the policy allows no further attempt. `delayAfter(0, _)` is `0`: the first attempt is
 * immediate. `random` in [0, 1) drives the jitter; 0.5 means "no jitter".
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  readonly spec: RetryPolicySpec
  /** delay before attempt n+1 after n attempts, or undefined = stop */
  readonly delayAfter: (attempts: number, random: number) => number | undefined
}

/**
 * Thrown by the constructors (and {@link fromSpec}) at configuration time when a policy is invalid. `field` names the
 * offending input; the message says what to use instead.
 *
 * @since 0.1.0
 * @category errors
 */
export class RetryPolicyError extends Error {
  readonly _tag = "RetryPolicyError" as const
  readonly code = "invalid_retry_policy" as const
  readonly field: string
  constructor(field: string, message: string) {
    super(`invalid retry policy: ${message}`)
    this.name = "RetryPolicyError"
    this.field = field
  }
}

// ---------------------------------------------------------------------------------------------------------------
// internals
// ---------------------------------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000
const DEFAULT_MAX_DELAY_MS = 24 * HOUR_MS
const DEFAULT_MAX_RETRY_AFTER_MS = 24 * HOUR_MS
const DEFAULT_THROTTLE_MIN_MS = 60_000
const STANDARD_JITTER = 0.2
const DEFAULT_EXPONENTIAL_JITTER = 0.2

/** Delays before attempts 2…10 of `standard`. */
const STANDARD_DELAYS_MS: ReadonlyArray<number> = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * HOUR_MS,
  5 * HOUR_MS,
  10 * HOUR_MS,
  14 * HOUR_MS,
  20 * HOUR_MS,
  24 * HOUR_MS
]

const show = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (Duration.isDuration(value)) return Duration.format(value)
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`
  return String(value)
}

const isNegativeInput = (input: unknown): boolean => {
  if (typeof input === "number") return input < 0
  if (typeof input === "bigint") return input < BigInt(0)
  if (typeof input === "string") return input.trimStart().startsWith("-")
  if (Array.isArray(input)) return input.some((n) => typeof n === "number" && n < 0)
  return false
}

/** Decodes a duration input to ms, refusing what `Duration.decode` would silently clamp (negatives, NaN). */
const toMillis = (input: unknown, where: string, field: string): number => {
  if (isNegativeInput(input)) {
    throw new RetryPolicyError(field, `${where} must not be negative (got ${show(input)}); use 0 for no delay`)
  }
  if (typeof input === "number") {
    if (!Number.isFinite(input)) {
      throw new RetryPolicyError(field, `${where} must be a finite number of milliseconds (got ${show(input)})`)
    }
    // Plain numbers are kept as they are, so a spec's `…Ms` values round-trip exactly.
    return input
  }
  const decoded = Duration.decodeUnknown(input)
  if (Option.isNone(decoded) || (Array.isArray(input) && input.some((n) => Number.isNaN(n)))) {
    throw new RetryPolicyError(
      field,
      `${where} is not a duration (got ${show(input)}); use a number of milliseconds or a string such as ` +
        `"5 seconds"`
    )
  }
  if (!Duration.isFinite(decoded.value)) {
    throw new RetryPolicyError(field, `${where} must be finite (got ${show(input)})`)
  }
  return Duration.toMillis(decoded.value)
}

const checkJitter = (jitter: unknown, where: string): number => {
  if (typeof jitter !== "number" || !Number.isFinite(jitter) || jitter < 0 || jitter > 1) {
    throw new RetryPolicyError(
      "jitter",
      `${where} jitter must be a fraction in [0, 1] (got ${show(jitter)}); e.g. 0.2 for ±20 %, 0 for none`
    )
  }
  return jitter
}

/** delay × (1 + jitter × (2·random − 1)), never negative, rounded to ms. Junk `random` counts as 0.5. */
const applyJitter = (delayMs: number, jitter: number, random: number): number => {
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5
  const jittered = delayMs * (1 + jitter * (2 * r - 1))
  return Math.min(Math.max(0, Math.round(jittered)), Number.MAX_SAFE_INTEGER)
}

const fromDelays = (
  spec: RetryPolicySpec,
  delaysMs: ReadonlyArray<number>,
  jitter: number
): RetryPolicy => ({
  spec,
  delayAfter: (attempts, random) => {
    if (attempts === 0) return 0
    if (!Number.isInteger(attempts) || attempts < 0 || attempts > delaysMs.length) return undefined
    return applyJitter(delaysMs[attempts - 1], jitter, random)
  }
})

// ---------------------------------------------------------------------------------------------------------------
// constructors
// ---------------------------------------------------------------------------------------------------------------

/**
 * The default: attempts immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after the
 * previous one — 10 attempts (9 retries) over about 3 days — with ±20 % jitter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const standard: RetryPolicy = fromDelays({ _tag: "standard" }, STANDARD_DELAYS_MS, STANDARD_JITTER)

/**
 * One attempt: a failure is final.
 *
 * @since 0.1.0
 * @category constructors
 */
export const none: RetryPolicy = fromDelays({ _tag: "none" }, [], 0)

/**
 * One retry per listed delay, each counted from the previous attempt: `fixed(["1 second", "2 seconds"])` makes 3
 * attempts. `jitter` (a fraction in [0, 1], default 0) spreads each delay by ±jitter. Throws a
 * {@link RetryPolicyError} on a negative, infinite or unparseable delay, or a jitter outside [0, 1].
 *
 * @since 0.1.0
 * @category constructors
 */
export const fixed = (
  delays: ReadonlyArray<Duration.DurationInput>,
  options?: { readonly jitter?: number | undefined }
): RetryPolicy => {
  if (!Array.isArray(delays)) {
    throw new RetryPolicyError("delays", `fixed delays must be an array of durations (got ${show(delays)})`)
  }
  const delaysMs = delays.map((d, i) => toMillis(d, `fixed delays[${i}]`, `delays[${i}]`))
  const jitter = checkJitter(options?.jitter ?? 0, "fixed")
  return fromDelays({ _tag: "fixed", delaysMs, jitter }, delaysMs, jitter)
}

/**
 * Delays of `base × factor^(n − 1)` after the n-th failed attempt, at most `maxDelay` (default 24 h; it bounds the
 * delay *including* jitter), for at most `maxAttempts` attempts in all (1 = no retry). `factor` defaults to 2 and
 * must be ≥ 1; `jitter` defaults to 0.2 (±20 %). Throws a {@link RetryPolicyError} on invalid input.
 *
 * @since 0.1.0
 * @category constructors
 */
export const exponential = (options: {
  readonly base: Duration.DurationInput
  readonly factor?: number | undefined
  readonly maxDelay?: Duration.DurationInput | undefined
  readonly maxAttempts: number
  readonly jitter?: number | undefined
}): RetryPolicy => {
  const baseMs = toMillis(options.base, "exponential base", "base")
  const maxDelayMs = options.maxDelay === undefined
    ? DEFAULT_MAX_DELAY_MS
    : toMillis(options.maxDelay, "exponential maxDelay", "maxDelay")
  const factor = options.factor ?? 2
  if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
    throw new RetryPolicyError(
      "factor",
      `exponential factor must be a finite number ≥ 1 (got ${show(factor)}); use 1 for a constant delay or 2 ` +
        `to double it after each attempt`
    )
  }
  const maxAttempts = options.maxAttempts
  if (typeof maxAttempts !== "number" || !Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new RetryPolicyError(
      "maxAttempts",
      `exponential maxAttempts must be an integer ≥ 1 (got ${show(maxAttempts)}); it counts the first ` +
        `attempt, so 1 means no retry`
    )
  }
  const jitter = checkJitter(options.jitter ?? DEFAULT_EXPONENTIAL_JITTER, "exponential")
  return {
    spec: { _tag: "exponential", baseMs, factor, maxDelayMs, maxAttempts, jitter },
    delayAfter: (attempts, random) => {
      if (attempts === 0) return 0
      if (!Number.isInteger(attempts) || attempts < 0 || attempts >= maxAttempts) return undefined
      // `0 × Infinity` is NaN: a zero base stays zero however large the power gets.
      const raw = baseMs === 0 ? 0 : Math.min(baseMs * factor ** (attempts - 1), maxDelayMs)
      return Math.min(applyJitter(raw, jitter, random), Math.floor(maxDelayMs))
    }
  }
}

/**
 * Rebuilds a policy from its serialisable spec (as stored in `EndpointRecord.retryPolicy`). For every policy `p`,
 * `fromSpec(p.spec)` behaves like `p` and has an equal `spec`. Stored JSON is validated like constructor input: a
 * corrupt spec throws a {@link RetryPolicyError}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSpec = (spec: RetryPolicySpec): RetryPolicy => {
  const tag: unknown = (spec as { readonly _tag?: unknown } | null | undefined)?._tag
  switch (tag) {
    case "standard":
      return standard
    case "none":
      return none
    case "fixed": {
      const s = spec as Extract<RetryPolicySpec, { _tag: "fixed" }>
      return fixed(s.delaysMs, { jitter: s.jitter })
    }
    case "exponential": {
      const s = spec as Extract<RetryPolicySpec, { _tag: "exponential" }>
      return exponential({
        base: s.baseMs,
        factor: s.factor,
        maxDelay: s.maxDelayMs,
        maxAttempts: s.maxAttempts,
        jitter: s.jitter
      })
    }
    default:
      throw new RetryPolicyError(
        "_tag",
        `unknown retry policy ${show(tag)}; expected "standard", "none", "fixed" or "exponential"`
      )
  }
}

/**
 * How many attempts in all (the first included) a policy allows: 10 for `standard`, 1 for `none`, one more than
 * the delays of `fixed`, `maxAttempts` of `exponential`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const maxAttempts = (policy: RetryPolicy): number => {
  const spec = policy.spec
  switch (spec._tag) {
    case "standard":
      return STANDARD_DELAYS_MS.length + 1
    case "none":
      return 1
    case "fixed":
      return spec.delaysMs.length + 1
    case "exponential":
      return spec.maxAttempts
  }
}

// ---------------------------------------------------------------------------------------------------------------
// decide
// ---------------------------------------------------------------------------------------------------------------

/**
 * What one attempt produced: an HTTP response (any status) or no response at all.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome =
  | {
    readonly _tag: "Response"
    readonly status: number
    /** The raw `Retry-After` header, if any. */
    readonly retryAfter?: string | undefined
  }
  | { readonly _tag: "TransportError"; readonly kind: TransportErrorKind }

/**
 * What to do next. `Fail` is final (exhausted or not retryable); `Gone` (410) means: disable the endpoint and cancel
 * its pending deliveries.
 *
 * @since 0.1.0
 * @category models
 */
export type Decision =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "Retry"; readonly delayMs: number; readonly reason: string }
  | { readonly _tag: "Fail"; readonly reason: string }
  | { readonly _tag: "Gone" }

/**
 * @since 0.1.0
 * @category models
 */
export interface DecideOptions {
  /** Attempts made, this one included (≥ 1; other values are read as 1). */
  readonly attempts: number
  readonly outcome: Outcome
  /** Epoch ms, to turn an HTTP-date `Retry-After` into a delay. */
  readonly now: number
  /** In [0, 1), for jitter. */
  readonly random: number
  /** Upper bound on what `Retry-After` can ask for; default 24 h. */
  readonly maxRetryAfterMs?: number | undefined
  /** Minimum delay after a throttling status (429/502/503/504); default 60 s. */
  readonly throttleMinMs?: number | undefined
}

const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504])

const DELIVERED: Decision = { _tag: "Delivered" }
const GONE: Decision = { _tag: "Gone" }

const nonNegative = (value: number | undefined, fallback: number): number =>
  value === undefined || Number.isNaN(value) ? fallback : Math.max(0, value)

/**
 * Decides what follows an attempt; see the module doc for the rules. Pure and total: it never throws, and a `Retry`
 * always carries a finite, non-negative, integer delay and only happens while the policy allows another attempt.
 *
 * @since 0.1.0
 * @category combinators
 */
export const decide = (policy: RetryPolicy, options: DecideOptions): Decision => {
  const { outcome } = options
  const attempts = Number.isSafeInteger(options.attempts) && options.attempts >= 1 ? options.attempts : 1
  let reason: string
  let floorMs = 0
  if (outcome._tag === "TransportError") {
    if (outcome.kind === "blocked") {
      return { _tag: "Fail", reason: "blocked: the address is blocked by the network policy (SSRF guard); not retried" }
    }
    reason = outcome.kind
  } else {
    const status = outcome.status
    if (status >= 200 && status <= 299) return DELIVERED
    if (status === 410) return GONE
    reason = status >= 300 && status <= 399 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`
    const retryAfterMs = parseRetryAfter(outcome.retryAfter, options.now)
    if (retryAfterMs !== undefined) {
      floorMs = Math.min(retryAfterMs, nonNegative(options.maxRetryAfterMs, DEFAULT_MAX_RETRY_AFTER_MS))
    }
    if (THROTTLE_STATUSES.has(status)) {
      floorMs = Math.max(floorMs, nonNegative(options.throttleMinMs, DEFAULT_THROTTLE_MIN_MS))
    }
  }
  const scheduled = policy.delayAfter(attempts, options.random)
  if (scheduled === undefined || !Number.isFinite(scheduled)) {
    return { _tag: "Fail", reason: `exhausted after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${reason}` }
  }
  const delayMs = Math.min(Math.round(Math.max(scheduled, floorMs, 0)), Number.MAX_SAFE_INTEGER)
  return { _tag: "Retry", delayMs, reason }
}

// ---------------------------------------------------------------------------------------------------------------
// Retry-After
// ---------------------------------------------------------------------------------------------------------------

/**
 * Reads a `Retry-After` header as a delay in ms: delta-seconds (a non-negative integer) or an HTTP-date (IMF-fixdate,
 * or the obsolete RFC 850 and asctime forms) relative to `now`, a past date giving 0. Anything else — negative or
 * fractional seconds, free-form dates, empty — is `undefined`. Clamping is the caller's business (see
 * {@link decide}).
 *
 * @since 0.1.0
 * @category combinators
 */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (typeof value !== "string") return undefined
  const trimmed = value.trim()
  if (trimmed === "") return undefined
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, Number.MAX_SAFE_INTEGER)
  if (!Number.isFinite(now)) return undefined
  const at = httpDate.parse(trimmed, now)
  return at === undefined || Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
