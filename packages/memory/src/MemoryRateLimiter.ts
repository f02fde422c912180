/**
 * An in-process RateLimiter: holds each endpoint's rate limit within this process (GCRA, see
 * `@hookwire/core/RateLimiter`). For a limit that holds across several worker processes, use the Redis limiter.
 * Keys idle for longer than their burst window are forgotten, so memory stays bounded by the active keys.
 *
 * @since 0.1.0
 */
import { RateLimiter } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<RateLimiter.RateLimiter["Type"]> = Effect.sync(() => {
  const tats = new Map<string, number>()
  let lastSweep = 0
  return {
    take: (key, limit, now) =>
      Effect.sync(() => {
        // Forget keys whose theoretical arrival time has passed: they are back to a full burst anyway.
        if (now - lastSweep > 60_000 && tats.size > 1024) {
          lastSweep = now
          for (const [k, tat] of tats) if (tat <= now) tats.delete(k)
        }
        const result = RateLimiter.gcra(tats.get(key), limit, now)
        if (result.waitMs === 0) tats.set(key, result.tat)
        return result.waitMs
      })
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RateLimiter.RateLimiter> = Layer.effect(RateLimiter.RateLimiter, make)
