/**
 * The dispatcher's options, checked and resolved in one place: by `Dispatcher.make`, and by `createHookwire` when it
 * is constructed (so `concurrency: 0` throws there, not at `start()`). A bad option is a `ValidationError` whose
 * `field` names it (`dispatcher.concurrency`) and whose message says what to use.
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type { Options } from "../../Dispatcher.js"
import { ValidationError } from "../../Errors.js"
import * as wholeMs from "../wholeMs.js"

export interface Resolved {
  readonly concurrency: number
  readonly perEndpoint: number
  readonly writeBatchSize: number
  /** Claims of one delivery without a recorded result, at most; the next one fails it (see claimCap.ts). */
  readonly maxClaims: number
  /** Whole milliseconds: handed to the queue (see internal/wholeMs.ts). */
  readonly leaseMs: number
  /** An attempt's timeout is capped at half the lease, so a lease always outlives its attempt. */
  readonly maxTimeoutMs: number
  readonly pollMs: number
  readonly graceMs: number
  readonly deadlineMs: number
}

const invalid = (name: string, message: string) =>
  new ValidationError({ code: "invalid_option", field: `dispatcher.${name}`, message })

const positiveInt = (name: string, value: unknown, fallback: number): number => {
  if (value === undefined) return fallback
  if (!(typeof value === "number" && Number.isInteger(value) && value >= 1)) {
    throw invalid(name, `Invalid dispatcher option ${name}: ${String(value)}; use a whole number of at least 1`)
  }
  return value
}

const millis = (name: string, value: Duration.DurationInput | undefined, fallback: Duration.Duration): number => {
  const decoded = value === undefined ? Option.some(fallback) : Duration.decodeUnknown(value)
  const ms = Option.isSome(decoded) ? Duration.toMillis(decoded.value) : NaN
  if (!(ms >= 0)) {
    throw invalid(name, `Invalid dispatcher option ${name}: ${String(value)}; use a duration like "10 seconds"`)
  }
  return ms
}

/** Resolves the options with their defaults; throws a `ValidationError` for the first bad one. */
export const resolve = (options: Options = {}): Resolved => {
  const concurrency = positiveInt("concurrency", options.concurrency, 64)
  const perEndpoint = positiveInt("perEndpointConcurrency", options.perEndpointConcurrency, 16)
  const writeBatchSize = positiveInt("writeBatchSize", options.writeBatchSize, 256)
  const maxClaims = positiveInt("maxClaims", options.maxClaims, 10)
  const leaseMs = wholeMs.ceil(millis("lease", options.lease, Duration.minutes(2)))
  if (!(leaseMs >= 1000)) {
    throw invalid("lease", `Invalid dispatcher lease ${leaseMs} ms: use at least 1 second`)
  }
  const pollMs = wholeMs.ceil(millis("pollInterval", options.pollInterval, Duration.seconds(1)))
  const graceMs = millis("shutdownGrace", options.shutdownGrace, Duration.seconds(10))
  // The whole shutdown: attempts finishing, then results being written, each within the grace, plus 5 seconds.
  const deadlineMs = millis("shutdownTimeout", options.shutdownTimeout, Duration.millis(2 * graceMs + 5_000))
  return {
    concurrency,
    perEndpoint,
    writeBatchSize,
    maxClaims,
    leaseMs,
    maxTimeoutMs: Math.floor(leaseMs / 2),
    pollMs,
    graceMs,
    deadlineMs
  }
}
