/**
 * Endpoint health rules, as pure functions of (health, outcome, time): the auto-disable rule (an endpoint that has
 * failed continuously — no success — for `disableAfter`, 5 days by default, is disabled; any success resets the
 * clock) and the optional circuit breaker (after `failureThreshold` consecutive failures, or a failure ratio over a
 * window, the endpoint is paused for a cool-down: its deliveries wait without spending attempts; then exactly one
 * probe is sent, and its outcome closes the circuit or opens it again). The Dispatcher applies these rules and
 * stores the resulting `EndpointHealth` on the endpoint, so every worker process sees the same state.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import { invalidOption } from "./Errors.js"
import * as wholeMs from "./internal/wholeMs.js"
import type { CircuitBreakerSpec, EndpointHealth } from "./Model.js"

/**
 * Circuit breaker settings as hosts write them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Open after this many consecutive failures. Default 5. */
  readonly failureThreshold?: number | undefined
  /** Also open when at least this share of the attempts within `window` failed (0–1). Default: not used. */
  readonly failureRatio?: number | undefined
  /** The ratio rule needs at least this many attempts within the window. Default 20. */
  readonly minimumAttempts?: number | undefined
  /** The ratio rule's window. Default 1 minute. */
  readonly window?: Duration.DurationInput | undefined
  /** How long the circuit stays open before a probe. Default 1 minute. */
  readonly coolDown?: Duration.DurationInput | undefined
}

/**
 * Resolves options to a stored spec, throwing a `ValidationError` (`invalid_option`, field
 * `circuitBreaker.<option>`) that says what to fix.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: Options): CircuitBreakerSpec => {
  const failureThreshold = options.failureThreshold ?? 5
  if (!(Number.isInteger(failureThreshold) && failureThreshold >= 1)) {
    throw invalidOption(
      `circuitBreaker.failureThreshold`,
      `Invalid circuit breaker failureThreshold ${failureThreshold}: use a whole number of at least 1`
    )
  }
  const failureRatio = options.failureRatio ?? null
  if (failureRatio !== null && !(failureRatio > 0 && failureRatio <= 1)) {
    throw invalidOption(
      `circuitBreaker.failureRatio`,
      `Invalid circuit breaker failureRatio ${failureRatio}: use a number above 0 and at most 1`
    )
  }
  const minimumAttempts = options.minimumAttempts ?? 20
  if (!(Number.isInteger(minimumAttempts) && minimumAttempts >= 1)) {
    throw invalidOption(
      `circuitBreaker.minimumAttempts`,
      `Invalid circuit breaker minimumAttempts ${minimumAttempts}: use a whole number of at least 1`
    )
  }
  // Whole milliseconds: `circuitRetryAt` (now + coolDown) is stored (see internal/wholeMs.ts).
  const windowMs = wholeMs.ceil(Duration.toMillis(options.window ?? Duration.minutes(1)))
  const coolDownMs = wholeMs.ceil(Duration.toMillis(options.coolDown ?? Duration.minutes(1)))
  if (!(windowMs > 0 && Number.isFinite(windowMs)) || !(coolDownMs > 0 && Number.isFinite(coolDownMs))) {
    throw invalidOption(
      windowMs > 0 && Number.isFinite(windowMs) ? "circuitBreaker.coolDown" : "circuitBreaker.window",
      "Invalid circuit breaker window or coolDown: use positive durations, like \"1 minute\""
    )
  }
  return { failureThreshold, failureRatio, minimumAttempts, windowMs, coolDownMs }
}

/**
 * What the dispatcher may do with a delivery of an endpoint in this health.
 *
 * @since 0.1.0
 * @category models
 */
export type Gate =
  | { readonly _tag: "Send" }
  /** Claim the probe: compare-and-set the health to `next`; whoever succeeds sends. */
  | { readonly _tag: "Probe"; readonly next: EndpointHealth }
  /** Wait, without spending an attempt, until `until`. */
  | { readonly _tag: "Wait"; readonly until: number }

/**
 * @since 0.1.0
 * @category combinators
 */
export const gate = (health: EndpointHealth, now: number, probeDeadlineMs: number): Gate => {
  if (health.circuit === "closed") return { _tag: "Send" }
  const retryAt = health.circuitRetryAt ?? now
  // While a probe is out, look again every second: its outcome decides for everyone.
  if (now < retryAt) {
    return { _tag: "Wait", until: health.circuit === "half_open" ? Math.min(retryAt, now + 1000) : retryAt }
  }
  // Open and cooled down, or a half-open probe whose worker never reported (past its deadline): probe again.
  return { _tag: "Probe", next: { ...health, circuit: "half_open", circuitRetryAt: now + probeDeadlineMs } }
}

/**
 * The result of applying one attempt's outcome to an endpoint's health.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transition {
  readonly health: EndpointHealth
  /** The circuit opened (or re-opened after a failed probe). */
  readonly opened: boolean
  /** The circuit closed after a successful probe. */
  readonly closed: boolean
  /** A failing endpoint succeeded again. */
  readonly recovered: boolean
  /** The endpoint must be disabled, for this reason. */
  readonly disable: string | undefined
}

/**
 * A success: the failure clock and the circuit reset.
 *
 * @since 0.1.0
 * @category combinators
 */
export const onSuccess = (health: EndpointHealth): Transition => ({
  health: {
    failingSince: null,
    consecutiveFailures: 0,
    circuit: "closed",
    circuitOpenedAt: null,
    circuitRetryAt: null
  },
  opened: false,
  closed: health.circuit !== "closed",
  recovered: health.failingSince !== null,
  disable: undefined
})

/**
 * A failure (any non-2xx or transport error).
 *
 * @since 0.1.0
 * @category combinators
 */
export const onFailure = (
  health: EndpointHealth,
  now: number,
  rules: {
    readonly breaker: CircuitBreakerSpec | undefined
    readonly disableAfterMs: number | undefined
    /** Attempts and failures of this endpoint within the breaker's window, this one included. */
    readonly window?: { readonly attempts: number; readonly failures: number } | undefined
  }
): Transition => {
  const failingSince = health.failingSince ?? now
  const consecutiveFailures = health.consecutiveFailures + 1
  const disable = rules.disableAfterMs !== undefined && now - failingSince >= rules.disableAfterMs
    ? `failing without a success since ${new Date(failingSince).toISOString()}`
    : undefined
  let next: EndpointHealth = { ...health, failingSince, consecutiveFailures }
  let opened = false
  const breaker = rules.breaker
  if (breaker !== undefined) {
    const probeFailed = health.circuit === "half_open"
    const tooMany = consecutiveFailures >= breaker.failureThreshold
    const ratio = breaker.failureRatio !== null && rules.window !== undefined &&
      rules.window.attempts >= breaker.minimumAttempts &&
      rules.window.failures / rules.window.attempts >= breaker.failureRatio
    if (probeFailed || (health.circuit === "closed" && (tooMany || ratio))) {
      next = { ...next, circuit: "open", circuitOpenedAt: now, circuitRetryAt: now + breaker.coolDownMs }
      opened = true
    }
  }
  return { health: next, opened, closed: false, recovered: false, disable }
}
