/**
 * The Redis limiter against the reference `gcra` of core (same answers on the same sequence), a limit shared by two
 * limiters on separate connections (as in two worker processes), key expiry, and errors.
 */
import { expect, it } from "@effect/vitest"
import * as RateLimiter from "@hookwire/core/RateLimiter"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { afterAll } from "vitest"
import * as RedisRateLimiter from "../src/RedisRateLimiter.js"
import { connectionLayer, deleteKeys, describeRedis, newPrefix, plainClient } from "./utils/redis.js"

const limiterOn = (prefix: string, connectionName: string) =>
  Layer.build(RedisRateLimiter.layer({ prefix }).pipe(Layer.provide(connectionLayer(connectionName)))).pipe(
    Effect.map(Context.get(RateLimiter.RateLimiter))
  )

describeRedis("RedisRateLimiter", () => {
  const checks = plainClient()
  const prefixes: Array<string> = []
  const prefix = (label: string) => {
    const p = newPrefix(label)
    prefixes.push(p)
    return p
  }
  afterAll(async () => {
    for (const p of prefixes) await deleteKeys(checks, p)
    checks.disconnect()
  })

  it.scopedLive("gives the same answers as core's gcra() on the same sequences, for awkward limits too", () =>
    Effect.gen(function*() {
      const limiter = yield* limiterOn(prefix("gcra"), "hookwire-test-gcra")
      const limits: ReadonlyArray<RateLimiter.Limit> = [
        { perSecond: 10, burst: 1 },
        { perSecond: 3, burst: 4 }, // interval 333.33… ms: fractions must survive storage exactly
        { perSecond: 0.7, burst: 2 },
        { perSecond: 1_000, burst: 50 },
        { perSecond: 7.3, burst: 13 }
      ]
      let seed = 12_345
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
        return seed % n
      }
      let mismatches = 0
      let allowed = 0
      let waited = 0
      for (const [index, limit] of limits.entries()) {
        const tats = new Map<string, number>()
        let now = 1_700_000_000_000 + index
        for (let step = 0; step < 400; step++) {
          // Mostly bursts (same ms or a few ms apart), sometimes long pauses, over three keys.
          const gap = random(10) === 0 ? random(5_000) : random(4) === 0 ? 0 : random(120)
          now += gap
          const key = `k${random(3)}`
          const expected = RateLimiter.gcra(tats.get(key), limit, now)
          if (expected.waitMs === 0) tats.set(key, expected.tat)
          const got = yield* limiter.take(`${index}:${key}`, limit, now)
          if (got !== expected.waitMs) mismatches++
          if (got === 0) allowed++
          else waited++
        }
      }
      expect(mismatches).toBe(0)
      // The sequences exercise both answers.
      expect(allowed).toBeGreaterThan(100)
      expect(waited).toBeGreaterThan(100)
    }))

  it.scopedLive("two limiters on separate connections share one limit, taking in parallel", () =>
    Effect.gen(function*() {
      const p = prefix("shared")
      const a = yield* limiterOn(p, "hookwire-test-rate-a")
      const b = yield* limiterOn(p, "hookwire-test-rate-b")
      const limit = { perSecond: 10, burst: 5 }
      const t = 1_700_000_000_000
      // 60 takes at the same instant, from both: exactly the burst gets through.
      const answers = yield* Effect.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).take("ep_1", limit, t)),
        { concurrency: "unbounded" }
      )
      expect(answers.filter((w) => w === 0).length).toBe(5)
      // Each refused take says how long until the next token: one interval, here 100 ms.
      expect(answers.filter((w) => w > 0).every((w) => w === 100)).toBe(true)
      // One interval later, one more token — for whichever process asks first.
      expect(yield* b.take("ep_1", limit, t + 99)).toBe(1)
      expect(yield* b.take("ep_1", limit, t + 100)).toBe(0)
      expect(yield* a.take("ep_1", limit, t + 100)).toBeGreaterThan(0)
      // Over the next simulated second of traffic from both: one token per 100 ms (at t + 200, …, t + 1,100).
      let passed = 0
      for (let ms = 105; ms <= 1_100; ms += 5) {
        const [x, y] = yield* Effect.all([a.take("ep_1", limit, t + ms), b.take("ep_1", limit, t + ms)], {
          concurrency: 2
        })
        passed += (x === 0 ? 1 : 0) + (y === 0 ? 1 : 0)
      }
      expect(passed).toBe(10)
      // Other keys are other limits.
      expect(yield* a.take("ep_2", limit, t)).toBe(0)
    }))

  it.scopedLive("keys are <prefix>:rate:<key> and expire once the limit is back to a full burst", () =>
    Effect.gen(function*() {
      const p = prefix("expiry")
      const limiter = yield* limiterOn(p, "hookwire-test-rate-expiry")
      const now = Date.now()
      expect(yield* limiter.take("ep_x", { perSecond: 2, burst: 3 }, now)).toBe(0)
      const pttl = yield* Effect.promise(() => checks.pttl(`${p}:rate:ep_x`))
      // tat = now + 500 ms; the key lives until a second after that.
      expect(pttl).toBeGreaterThan(1_000)
      expect(pttl).toBeLessThanOrEqual(1_500)
    }))

  it.scopedLive("an invalid limit is a RateLimiterError that says what to check", () =>
    Effect.gen(function*() {
      const limiter = yield* limiterOn(prefix("invalid"), "hookwire-test-rate-invalid")
      const error = yield* Effect.flip(limiter.take("ep", { perSecond: 0, burst: 1 }, Date.now()))
      expect(error).toMatchObject({ _tag: "RateLimiterError", code: "unknown" })
      expect(error.message).toContain("RateLimiter.validate")
    }))
})
