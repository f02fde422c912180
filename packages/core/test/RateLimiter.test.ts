import { describe, expect, it } from "vitest"
import * as RateLimiter from "../src/RateLimiter.js"

describe("RateLimiter.gcra", () => {
  it("allows a burst, then spaces tokens at the sustained rate", () => {
    const limit = { perSecond: 10, burst: 3 }
    let tat: number | undefined
    const take = (now: number) => {
      const r = RateLimiter.gcra(tat, limit, now)
      if (r.waitMs === 0) tat = r.tat
      return r.waitMs
    }
    expect([take(0), take(0), take(0)]).toEqual([0, 0, 0])
    expect(take(0)).toBe(100)
    expect(take(99)).toBe(1)
    expect(take(100)).toBe(0)
    expect(take(100)).toBe(100)
    // After a quiet period the burst is available again, but never more than the burst.
    expect([take(10_000), take(10_000), take(10_000), take(10_000)]).toEqual([0, 0, 0, 100])
  })

  it("holds the sustained rate over a long run", () => {
    const limit = { perSecond: 100, burst: 1 }
    let tat: number | undefined
    let allowed = 0
    for (let now = 0; now < 10_000; now++) {
      // Ask 5 times per millisecond: far more than allowed.
      for (let i = 0; i < 5; i++) {
        const r = RateLimiter.gcra(tat, limit, now)
        if (r.waitMs === 0) {
          tat = r.tat
          allowed++
        }
      }
    }
    expect(allowed).toBe(1000)
  })

  it("reservations keep exact spacing however late the callers wake", () => {
    const limit = { perSecond: 100, burst: 1 }
    let tat: number | undefined
    const sent: Array<number> = []
    // 500 callers arrive at once; each sends at its reserved time plus up to 3 ms of timer lateness.
    for (let i = 0; i < 500; i++) {
      const now = 0
      const r = RateLimiter.gcraReserve(tat, limit, now, 10_000)
      expect(r.reserved).toBe(true)
      tat = r.tat
      sent.push(now + r.waitMs + (i % 4))
    }
    // 500 tokens over 4.99 s: exactly the rate, not a token lost to lateness.
    expect(Math.max(...sent.map((t, i) => t - (i % 4)))).toBe(4990)
    // Beyond maxWaitMs nothing is reserved.
    const far = RateLimiter.gcraReserve(tat, limit, 0, 100)
    expect(far).toMatchObject({ reserved: false, waitMs: 5000 })
  })

  it("rejects invalid limits with a message that says what to fix", () => {
    expect(() => RateLimiter.validate({ perSecond: 0, burst: 1 })).toThrow(/perSecond/)
    expect(() => RateLimiter.validate({ perSecond: 5, burst: 0.5 })).toThrow(/burst/)
    expect(RateLimiter.validate({ perSecond: 5, burst: 2 })).toEqual({ perSecond: 5, burst: 2 })
  })
})
