/**
 * The RateLimiter port: per-endpoint rate limits (messages per second with a burst). The dispatcher asks for one
 * token per attempt; when none is available the delivery waits (it is rescheduled, never failed for it). The
 * in-process limiter (`RateLimiter.layerMemory`, the default) holds a limit within one process; a shared limiter
 * (`RedisRateLimiter` in `@hookwire/redis`) holds it across every worker process.
 *
 * Limits are a generic cell rate (GCRA, the token bucket without a timer): `perSecond` sustained, up to `burst`
 * at once after a quiet period. Times are passed in by the caller (epoch ms).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export interface Limit {
  /** Sustained rate, tokens per second (> 0). */
  readonly perSecond: number
  /** Tokens available at once after a quiet period (≥ 1). */
  readonly burst: number
}

/**
 * @since 0.1.0
 * @category errors
 */
export class RateLimiterError extends Schema.TaggedError<RateLimiterError>("@hookwire/core/RateLimiterError")(
  "RateLimiterError",
  {
    code: Schema.Literal("connection", "unknown"),
    message: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {}

/**
 * @since 0.1.0
 * @category tags
 */
export class RateLimiter extends Context.Tag("@hookwire/core/RateLimiter")<RateLimiter, {
  /**
   * Takes one token for `key` if one is available at `now`: returns 0. Otherwise takes nothing and returns how many
   * milliseconds to wait before one will be (> 0).
   */
  readonly take: (key: string, limit: Limit, now: number) => Effect.Effect<number, RateLimiterError>
  /**
   * Optional: like `take`, but when the next token comes within `maxWaitMs` it is **reserved** for the caller, who
   * then sends after exactly `waitMs` without asking again (`reserved: true`). Reservations keep tokens at exact
   * spacing however late the caller's timer fires, so a limit is met precisely even with `burst: 1`.
   */
  readonly reserve?: (
    key: string,
    limit: Limit,
    now: number,
    maxWaitMs: number
  ) => Effect.Effect<{ readonly waitMs: number; readonly reserved: boolean }, RateLimiterError>
}>() {}

/**
 * The GCRA decision, shared by in-process implementations (and mirrored by the Redis script): given the stored
 * "theoretical arrival time" `tat` (epoch ms, or undefined for a fresh key), returns the wait (0 = allowed) and the
 * new `tat` to store when allowed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const gcra = (
  tat: number | undefined,
  limit: Limit,
  now: number
): { readonly waitMs: number; readonly tat: number } => {
  const interval = 1000 / limit.perSecond
  const tolerance = interval * (Math.max(1, limit.burst) - 1)
  const current = Math.max(tat ?? now, now)
  const allowAt = current - tolerance
  if (now < allowAt) return { waitMs: Math.ceil(allowAt - now), tat: current }
  return { waitMs: 0, tat: current + interval }
}

/**
 * GCRA with reservations: a token due within `maxWaitMs` is taken now, for later (see `RateLimiter.reserve`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const gcraReserve = (
  tat: number | undefined,
  limit: Limit,
  now: number,
  maxWaitMs: number
): { readonly waitMs: number; readonly reserved: boolean; readonly tat: number } => {
  const interval = 1000 / limit.perSecond
  const tolerance = interval * (Math.max(1, limit.burst) - 1)
  const current = Math.max(tat ?? now, now)
  const waitMs = Math.max(0, Math.ceil(current - tolerance - now))
  if (waitMs > maxWaitMs) return { waitMs, reserved: false, tat: current }
  return { waitMs, reserved: true, tat: current + interval }
}

/**
 * Checks a limit, throwing an `Error` that says what to fix (configuration time).
 *
 * @since 0.1.0
 * @category guards
 */
export const validate = (limit: Limit): Limit => {
  if (!(typeof limit.perSecond === "number" && limit.perSecond > 0 && Number.isFinite(limit.perSecond))) {
    throw new Error(`Invalid rate limit perSecond ${limit.perSecond}: use a positive number of messages per second`)
  }
  if (!(Number.isInteger(limit.burst) && limit.burst >= 1)) {
    throw new Error(`Invalid rate limit burst ${limit.burst}: use a whole number of at least 1`)
  }
  return limit
}

/**
 * An in-process limiter: holds each key's limit within this process. The dispatcher uses one when no RateLimiter is
 * provided; provide a shared one (`RedisRateLimiter`) to hold limits across worker processes. Keys whose burst has
 * fully recovered are forgotten, so memory stays bounded by the active keys.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<RateLimiter["Type"]> = Effect.sync(() => {
  const tats = new Map<string, number>()
  let lastSweep = 0
  return {
    take: (key, limit, now) =>
      Effect.sync(() => {
        if (now - lastSweep > 60_000 && tats.size > 1024) {
          lastSweep = now
          for (const [k, tat] of tats) if (tat <= now) tats.delete(k)
        }
        const result = gcra(tats.get(key), limit, now)
        if (result.waitMs === 0) tats.set(key, result.tat)
        return result.waitMs
      }),
    reserve: (key, limit, now, maxWaitMs) =>
      Effect.sync(() => {
        const result = gcraReserve(tats.get(key), limit, now, maxWaitMs)
        if (result.reserved) tats.set(key, result.tat)
        return { waitMs: result.waitMs, reserved: result.reserved }
      })
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<RateLimiter> = Layer.effect(RateLimiter, makeMemory)
