import { describe, expect, it } from "@effect/vitest"
import { Duration, FastCheck as fc } from "effect"
import type { RetryPolicySpec, TransportErrorKind } from "../src/Model.js"
import * as RetryPolicy from "../src/RetryPolicy.js"

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** Delay before attempt k (index k − 1), as the policy reports it: `delayAfter(k − 1)`. */
const STANDARD_SCHEDULE = [
  0,
  5_000,
  300_000,
  1_800_000,
  7_200_000,
  18_000_000,
  36_000_000,
  50_400_000,
  72_000_000,
  86_400_000
]

const schedule = (policy: RetryPolicy.RetryPolicy, random: number, upTo: number) =>
  Array.from({ length: upTo + 1 }, (_, n) => policy.delayAfter(n, random))

const NOW = Date.UTC(2015, 9, 21, 7, 28, 0) // Wed, 21 Oct 2015 07:28:00 GMT

const response = (status: number, retryAfter?: string): RetryPolicy.Outcome =>
  retryAfter === undefined ? { _tag: "Response", status } : { _tag: "Response", status, retryAfter }

const transport = (kind: TransportErrorKind): RetryPolicy.Outcome => ({ _tag: "TransportError", kind })

const decide = (
  policy: RetryPolicy.RetryPolicy,
  attempts: number,
  outcome: RetryPolicy.Outcome,
  extra: Partial<RetryPolicy.DecideOptions> = {}
) => RetryPolicy.decide(policy, { attempts, outcome, now: NOW, random: 0.5, ...extra })

const expectPolicyError = (f: () => unknown, field: string, message: RegExp) => {
  let error: unknown
  try {
    f()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(RetryPolicy.RetryPolicyError)
  expect(error).toBeInstanceOf(Error)
  const e = error as RetryPolicy.RetryPolicyError
  expect(e._tag).toBe("RetryPolicyError")
  expect(e.name).toBe("RetryPolicyError")
  expect(e.code).toBe("invalid_retry_policy")
  expect(e.field).toBe(field)
  expect(e.message).toMatch(/^invalid retry policy: /)
  expect(e.message).toMatch(message)
}

describe("standard", () => {
  it("attempts immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h after the previous", () => {
    expect(schedule(RetryPolicy.standard, 0.5, 9)).toEqual(STANDARD_SCHEDULE)
    expect(RetryPolicy.standard.delayAfter(10, 0.5)).toBeUndefined()
    expect(RetryPolicy.standard.delayAfter(11, 0.5)).toBeUndefined()
    expect(RetryPolicy.maxAttempts(RetryPolicy.standard)).toBe(10)
    expect(RetryPolicy.standard.spec).toEqual({ _tag: "standard" })
  })

  it("decide walks the schedule: attempt n fails → retry after the delay before attempt n + 1", () => {
    const delays = Array.from(
      { length: 9 },
      (_, i) => decide(RetryPolicy.standard, i + 1, response(500))
    )
    expect(delays).toEqual(
      STANDARD_SCHEDULE.slice(1).map((delayMs) => ({ _tag: "Retry", delayMs, reason: "HTTP 500" }))
    )
    expect(decide(RetryPolicy.standard, 10, response(500))).toEqual({
      _tag: "Fail",
      reason: "exhausted after 10 attempts: HTTP 500"
    })
    expect(decide(RetryPolicy.standard, 11, transport("timeout"))).toEqual({
      _tag: "Fail",
      reason: "exhausted after 11 attempts: timeout"
    })
  })

  it("jitters by -20 % at random = 0", () => {
    expect(schedule(RetryPolicy.standard, 0, 9)).toEqual([
      0,
      4_000,
      240_000,
      1_440_000,
      5_760_000,
      14_400_000,
      28_800_000,
      40_320_000,
      57_600_000,
      69_120_000
    ])
  })

  it("jitters by +10 % at random = 0.75 and stays under +20 % as random → 1", () => {
    expect(schedule(RetryPolicy.standard, 0.75, 9)).toEqual([
      0,
      5_500,
      330_000,
      1_980_000,
      7_920_000,
      19_800_000,
      39_600_000,
      55_440_000,
      79_200_000,
      95_040_000
    ])
    const high = schedule(RetryPolicy.standard, 0.999_999, 9)
    STANDARD_SCHEDULE.forEach((base, i) => {
      expect(high[i]).toBeLessThanOrEqual(Math.round(base * 1.2))
      expect(high[i]).toBeGreaterThanOrEqual(Math.round(base * 1.199_999))
    })
    expect(high[9]).toBe(103_679_965) // 86 400 000 × (1 + 0.2 × 0.999998), rounded
  })

  it("never jitters the first attempt and rounds to whole ms", () => {
    expect(RetryPolicy.standard.delayAfter(0, 0)).toBe(0)
    expect(RetryPolicy.standard.delayAfter(0, 0.999)).toBe(0)
    expect(RetryPolicy.standard.delayAfter(1, 0.123_456_789)).toBe(4_247) // 5000 × 0.849382… = 4246.9…
  })

  it("delays nothing for nonsense attempt counts", () => {
    expect(RetryPolicy.standard.delayAfter(-1, 0.5)).toBeUndefined()
    expect(RetryPolicy.standard.delayAfter(1.5, 0.5)).toBeUndefined()
    expect(RetryPolicy.standard.delayAfter(Number.NaN, 0.5)).toBeUndefined()
  })
})

describe("none", () => {
  it("makes one attempt", () => {
    expect(schedule(RetryPolicy.none, 0.5, 2)).toEqual([0, undefined, undefined])
    expect(RetryPolicy.maxAttempts(RetryPolicy.none)).toBe(1)
    expect(RetryPolicy.none.spec).toEqual({ _tag: "none" })
  })

  it("makes any failure final, throttling included", () => {
    expect(decide(RetryPolicy.none, 1, response(500))).toEqual({
      _tag: "Fail",
      reason: "exhausted after 1 attempt: HTTP 500"
    })
    expect(decide(RetryPolicy.none, 1, response(429, "10"))).toEqual({
      _tag: "Fail",
      reason: "exhausted after 1 attempt: HTTP 429"
    })
    expect(decide(RetryPolicy.none, 1, transport("connect"))).toEqual({
      _tag: "Fail",
      reason: "exhausted after 1 attempt: connect"
    })
  })

  it("still reports success and 410", () => {
    expect(decide(RetryPolicy.none, 1, response(200))).toEqual({ _tag: "Delivered" })
    expect(decide(RetryPolicy.none, 1, response(410))).toEqual({ _tag: "Gone" })
  })
})

describe("fixed", () => {
  it("retries once per delay", () => {
    const policy = RetryPolicy.fixed(["1 second", "2 seconds", "3 seconds"])
    expect(schedule(policy, 0.5, 4)).toEqual([0, 1_000, 2_000, 3_000, undefined])
    expect(RetryPolicy.maxAttempts(policy)).toBe(4)
    expect(policy.spec).toEqual({ _tag: "fixed", delaysMs: [1_000, 2_000, 3_000], jitter: 0 })
    expect(decide(policy, 3, response(500))).toEqual({ _tag: "Retry", delayMs: 3_000, reason: "HTTP 500" })
    expect(decide(policy, 4, response(500))).toEqual({ _tag: "Fail", reason: "exhausted after 4 attempts: HTTP 500" })
  })

  it("has no jitter by default", () => {
    const policy = RetryPolicy.fixed(["1 second"])
    expect(policy.delayAfter(1, 0)).toBe(1_000)
    expect(policy.delayAfter(1, 0.999)).toBe(1_000)
  })

  it("jitters by the given fraction", () => {
    const policy = RetryPolicy.fixed([10_000], { jitter: 0.5 })
    expect(policy.delayAfter(1, 0)).toBe(5_000)
    expect(policy.delayAfter(1, 0.5)).toBe(10_000)
    expect(policy.delayAfter(1, 0.75)).toBe(12_500)
    expect(policy.spec).toEqual({ _tag: "fixed", delaysMs: [10_000], jitter: 0.5 })
  })

  it("never goes negative, even with full jitter", () => {
    const policy = RetryPolicy.fixed([10_000], { jitter: 1 })
    expect(policy.delayAfter(1, 0)).toBe(0)
    expect(policy.delayAfter(1, 0.25)).toBe(5_000)
  })

  it("accepts every DurationInput", () => {
    const policy = RetryPolicy.fixed([250, Duration.minutes(2), BigInt(3_000_000_000), [4, 500_000_000], "1 hour", 0])
    expect(policy.spec).toEqual({
      _tag: "fixed",
      delaysMs: [250, 120_000, 3_000, 4_500, HOUR, 0],
      jitter: 0
    })
  })

  it("with no delays behaves like none", () => {
    const policy = RetryPolicy.fixed([])
    expect(schedule(policy, 0.5, 1)).toEqual([0, undefined])
    expect(decide(policy, 1, response(503))).toEqual({ _tag: "Fail", reason: "exhausted after 1 attempt: HTTP 503" })
  })
})

describe("exponential", () => {
  it("multiplies the base by the factor after each attempt", () => {
    const policy = RetryPolicy.exponential({ base: "1 second", maxAttempts: 6, jitter: 0 })
    expect(schedule(policy, 0.5, 6)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, undefined])
    expect(RetryPolicy.maxAttempts(policy)).toBe(6)
    const triple = RetryPolicy.exponential({ base: 100, factor: 3, maxAttempts: 4, jitter: 0 })
    expect(schedule(triple, 0.5, 4)).toEqual([0, 100, 300, 900, undefined])
    const constant = RetryPolicy.exponential({ base: "5 seconds", factor: 1, maxAttempts: 3, jitter: 0 })
    expect(schedule(constant, 0.5, 3)).toEqual([0, 5_000, 5_000, undefined])
  })

  it("caps delays at 24 h by default", () => {
    const policy = RetryPolicy.exponential({ base: "1 hour", maxAttempts: 10, jitter: 0 })
    expect(schedule(policy, 0.5, 10)).toEqual([
      0,
      HOUR,
      2 * HOUR,
      4 * HOUR,
      8 * HOUR,
      16 * HOUR,
      24 * HOUR,
      24 * HOUR,
      24 * HOUR,
      24 * HOUR,
      undefined
    ])
  })

  it("caps delays at maxDelay, jitter included", () => {
    const policy = RetryPolicy.exponential({ base: "1 second", maxDelay: "10 seconds", maxAttempts: 8 })
    expect(schedule(policy, 0.5, 8)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, undefined])
    expect(policy.delayAfter(4, 0.999)).toBe(9_597) // 8000 × 1.1996 = 9596.8, under the cap
    expect(policy.delayAfter(5, 0.999)).toBe(10_000) // 16000 → 10000, and jitter cannot push it past the cap
    expect(policy.delayAfter(5, 0)).toBe(8_000) // but it still spreads downwards
  })

  it("jitters ±20 % by default", () => {
    const policy = RetryPolicy.exponential({ base: "1 second", maxAttempts: 3 })
    expect(policy.delayAfter(1, 0)).toBe(800)
    expect(policy.delayAfter(2, 0)).toBe(1_600)
    expect(policy.delayAfter(2, 0.75)).toBe(2_200)
  })

  it("survives overflowing powers", () => {
    const policy = RetryPolicy.exponential({ base: "1 second", factor: 1_000, maxAttempts: 500, jitter: 0 })
    expect(policy.delayAfter(400, 0.5)).toBe(24 * HOUR)
    const zero = RetryPolicy.exponential({ base: 0, factor: 1_000, maxAttempts: 500, jitter: 0 })
    expect(zero.delayAfter(400, 0.5)).toBe(0)
  })

  it("with maxAttempts 1 makes no retry", () => {
    const policy = RetryPolicy.exponential({ base: "1 second", maxAttempts: 1 })
    expect(schedule(policy, 0.5, 1)).toEqual([0, undefined])
    expect(decide(policy, 1, response(500))).toEqual({ _tag: "Fail", reason: "exhausted after 1 attempt: HTTP 500" })
  })

  it("stores its defaults in the spec", () => {
    expect(RetryPolicy.exponential({ base: "1 second", maxAttempts: 6 }).spec).toEqual({
      _tag: "exponential",
      baseMs: 1_000,
      factor: 2,
      maxDelayMs: 86_400_000,
      maxAttempts: 6,
      jitter: 0.2
    })
  })
})

describe("fromSpec", () => {
  const presets: ReadonlyArray<readonly [string, RetryPolicy.RetryPolicy]> = [
    ["standard", RetryPolicy.standard],
    ["none", RetryPolicy.none],
    ["fixed", RetryPolicy.fixed(["1 second", "2 seconds", "3 seconds"])],
    ["fixed with jitter", RetryPolicy.fixed([Duration.seconds(30), "1 hour"], { jitter: 0.1 })],
    ["fixed, empty", RetryPolicy.fixed([])],
    ["exponential, defaults", RetryPolicy.exponential({ base: "1 second", maxAttempts: 6 })],
    [
      "exponential, custom",
      RetryPolicy.exponential({ base: 250, factor: 1.5, maxDelay: "10 minutes", maxAttempts: 20, jitter: 0.35 })
    ]
  ]

  it.each(presets)("round-trips %s through JSON", (_, policy) => {
    const stored = JSON.parse(JSON.stringify(policy.spec)) as RetryPolicySpec
    const restored = RetryPolicy.fromSpec(stored)
    expect(restored.spec).toEqual(policy.spec)
    expect(RetryPolicy.maxAttempts(restored)).toBe(RetryPolicy.maxAttempts(policy))
    for (const random of [0, 0.3, 0.5, 0.999]) {
      const limit = RetryPolicy.maxAttempts(policy)
      expect(schedule(restored, random, limit + 1)).toEqual(schedule(policy, random, limit + 1))
    }
  })

  it("returns the shared presets for standard and none", () => {
    expect(RetryPolicy.fromSpec({ _tag: "standard" })).toBe(RetryPolicy.standard)
    expect(RetryPolicy.fromSpec({ _tag: "none" })).toBe(RetryPolicy.none)
  })

  it("applies the defaults to a stored spec without jitter", () => {
    expect(RetryPolicy.fromSpec({ _tag: "fixed", delaysMs: [1_000] }).spec).toEqual({
      _tag: "fixed",
      delaysMs: [1_000],
      jitter: 0
    })
    expect(
      RetryPolicy.fromSpec({ _tag: "exponential", baseMs: 1_000, factor: 2, maxDelayMs: 60_000, maxAttempts: 3 }).spec
    ).toEqual({ _tag: "exponential", baseMs: 1_000, factor: 2, maxDelayMs: 60_000, maxAttempts: 3, jitter: 0.2 })
  })

  it("rejects corrupt specs", () => {
    expectPolicyError(() => RetryPolicy.fromSpec({ _tag: "linear" } as never), "_tag", /unknown retry policy "linear"/)
    expectPolicyError(() => RetryPolicy.fromSpec(null as never), "_tag", /expected "standard", "none", "fixed"/)
    expectPolicyError(
      () => RetryPolicy.fromSpec({ _tag: "fixed", delaysMs: "1000" } as never),
      "delays",
      /must be an array/
    )
    expectPolicyError(
      () => RetryPolicy.fromSpec({ _tag: "fixed", delaysMs: [1_000, -1] }),
      "delays[1]",
      /must not be negative/
    )
    expectPolicyError(
      () => RetryPolicy.fromSpec({ _tag: "exponential", baseMs: 1_000, factor: 0, maxDelayMs: 60_000, maxAttempts: 3 }),
      "factor",
      /factor must be a finite number ≥ 1 \(got 0\)/
    )
    expectPolicyError(
      () => RetryPolicy.fromSpec({ _tag: "exponential", baseMs: 1_000, factor: 2, maxDelayMs: 60_000 } as never),
      "maxAttempts",
      /got undefined/
    )
  })
})

describe("invalid constructor input", () => {
  it("rejects negative, infinite and unparseable delays", () => {
    expectPolicyError(() => RetryPolicy.fixed([-1]), "delays[0]", /fixed delays\[0\] must not be negative \(got -1\)/)
    expectPolicyError(() => RetryPolicy.fixed(["1 second", "-2 seconds"]), "delays[1]", /must not be negative/)
    expectPolicyError(() => RetryPolicy.fixed([BigInt(-5)]), "delays[0]", /must not be negative \(got -5n\)/)
    expectPolicyError(() => RetryPolicy.fixed([[-1, 0]]), "delays[0]", /must not be negative/)
    expectPolicyError(() => RetryPolicy.fixed([Number.NaN]), "delays[0]", /finite number of milliseconds/)
    expectPolicyError(() => RetryPolicy.fixed([Infinity]), "delays[0]", /finite number of milliseconds/)
    expectPolicyError(() => RetryPolicy.fixed([Duration.infinity]), "delays[0]", /must be finite/)
    expectPolicyError(
      () => RetryPolicy.fixed(["5 secs" as never]),
      "delays[0]",
      /is not a duration \(got "5 secs"\); use a number of milliseconds or a string such as "5 seconds"/
    )
    expectPolicyError(
      () => RetryPolicy.exponential({ base: "-1 second", maxAttempts: 3 }),
      "base",
      /exponential base must not be negative/
    )
    expectPolicyError(
      () => RetryPolicy.exponential({ base: "1 second", maxDelay: -1, maxAttempts: 3 }),
      "maxDelay",
      /exponential maxDelay must not be negative/
    )
  })

  it("rejects a factor below 1", () => {
    expectPolicyError(
      () => RetryPolicy.exponential({ base: "1 second", factor: 0.5, maxAttempts: 3 }),
      "factor",
      /factor must be a finite number ≥ 1 \(got 0\.5\); use 1 for a constant delay/
    )
    expectPolicyError(
      () => RetryPolicy.exponential({ base: "1 second", factor: Number.NaN, maxAttempts: 3 }),
      "factor",
      /got NaN/
    )
  })

  it("rejects maxAttempts below 1 or fractional", () => {
    for (const maxAttempts of [0, -1, 1.5, Number.NaN, Infinity]) {
      expectPolicyError(
        () => RetryPolicy.exponential({ base: "1 second", maxAttempts }),
        "maxAttempts",
        /maxAttempts must be an integer ≥ 1 .*1 means no retry/
      )
    }
  })

  it("rejects jitter outside [0, 1]", () => {
    for (const jitter of [-0.1, 1.01, Number.NaN]) {
      expectPolicyError(
        () => RetryPolicy.fixed([1_000], { jitter }),
        "jitter",
        /fixed jitter must be a fraction in \[0, 1\]/
      )
      expectPolicyError(
        () => RetryPolicy.exponential({ base: 1_000, maxAttempts: 2, jitter }),
        "jitter",
        /exponential jitter must be a fraction in \[0, 1\]/
      )
    }
  })

  it("accepts the edges", () => {
    expect(RetryPolicy.fixed([0], { jitter: 1 }).spec).toEqual({ _tag: "fixed", delaysMs: [0], jitter: 1 })
    expect(RetryPolicy.exponential({ base: 0, factor: 1, maxAttempts: 1, jitter: 0 }).spec).toEqual({
      _tag: "exponential",
      baseMs: 0,
      factor: 1,
      maxDelayMs: 86_400_000,
      maxAttempts: 1,
      jitter: 0
    })
  })
})

describe("decide", () => {
  it.each([200, 201, 202, 204, 299])("HTTP %i is delivered, whatever the attempt count", (status) => {
    expect(decide(RetryPolicy.standard, 1, response(status))).toEqual({ _tag: "Delivered" })
    expect(decide(RetryPolicy.standard, 10, response(status, "120"))).toEqual({ _tag: "Delivered" })
  })

  it.each([199, 300])("HTTP %i is not delivered", (status) => {
    expect(decide(RetryPolicy.standard, 1, response(status))._tag).toBe("Retry")
  })

  it("410 is Gone, even on the last attempt and with none", () => {
    expect(decide(RetryPolicy.standard, 1, response(410))).toEqual({ _tag: "Gone" })
    expect(decide(RetryPolicy.standard, 10, response(410))).toEqual({ _tag: "Gone" })
    expect(decide(RetryPolicy.none, 1, response(410, "60"))).toEqual({ _tag: "Gone" })
  })

  it.each([301, 302, 303, 304, 307, 308])("HTTP %i is a failure: redirects are not followed", (status) => {
    expect(decide(RetryPolicy.standard, 1, response(status))).toEqual({
      _tag: "Retry",
      delayMs: 5_000,
      reason: `HTTP ${status} (redirects are not followed)`
    })
    expect(decide(RetryPolicy.standard, 10, response(status))).toEqual({
      _tag: "Fail",
      reason: `exhausted after 10 attempts: HTTP ${status} (redirects are not followed)`
    })
  })

  it.each([400, 401, 403, 404, 408, 413, 422, 500, 501, 505, 599])("HTTP %i retries per schedule", (status) => {
    expect(decide(RetryPolicy.standard, 1, response(status))).toEqual({
      _tag: "Retry",
      delayMs: 5_000,
      reason: `HTTP ${status}`
    })
    expect(decide(RetryPolicy.standard, 4, response(status), { random: 0 })).toEqual({
      _tag: "Retry",
      delayMs: 5_760_000,
      reason: `HTTP ${status}`
    })
  })

  it.each(["timeout", "connect", "dns", "tls", "protocol", "unknown"] as const)(
    "transport error %s retries per schedule",
    (kind) => {
      expect(decide(RetryPolicy.standard, 1, transport(kind))).toEqual({ _tag: "Retry", delayMs: 5_000, reason: kind })
      expect(decide(RetryPolicy.standard, 2, transport(kind))).toEqual({
        _tag: "Retry",
        delayMs: 300_000,
        reason: kind
      })
      expect(decide(RetryPolicy.standard, 10, transport(kind))).toEqual({
        _tag: "Fail",
        reason: `exhausted after 10 attempts: ${kind}`
      })
    }
  )

  it("a blocked address is final, whatever the policy", () => {
    const expected = {
      _tag: "Fail",
      reason: "blocked: the address is blocked by the network policy (SSRF guard); not retried"
    }
    expect(decide(RetryPolicy.standard, 1, transport("blocked"))).toEqual(expected)
    expect(decide(RetryPolicy.exponential({ base: 1, maxAttempts: 1_000 }), 1, transport("blocked"))).toEqual(expected)
    expect(decide(RetryPolicy.none, 1, transport("blocked"))).toEqual(expected)
  })

  it("reads a nonsense attempt count as 1", () => {
    for (const attempts of [0, -3, Number.NaN, 2.5]) {
      expect(decide(RetryPolicy.standard, attempts, response(500))).toEqual({
        _tag: "Retry",
        delayMs: 5_000,
        reason: "HTTP 500"
      })
    }
  })

  describe("throttling (429/502/503/504)", () => {
    it.each([429, 502, 503, 504])("HTTP %i waits at least 60 s", (status) => {
      expect(decide(RetryPolicy.standard, 1, response(status))).toEqual({
        _tag: "Retry",
        delayMs: 60_000,
        reason: `HTTP ${status}`
      })
      // The schedule wins once it is longer than the minimum.
      expect(decide(RetryPolicy.standard, 2, response(status))).toEqual({
        _tag: "Retry",
        delayMs: 300_000,
        reason: `HTTP ${status}`
      })
    })

    it("other 5xx get no minimum", () => {
      expect(decide(RetryPolicy.standard, 1, response(500))).toMatchObject({ delayMs: 5_000 })
      expect(decide(RetryPolicy.standard, 1, response(501))).toMatchObject({ delayMs: 5_000 })
    })

    it("the minimum is configurable", () => {
      expect(decide(RetryPolicy.standard, 1, response(429), { throttleMinMs: 10_000 })).toMatchObject({
        delayMs: 10_000
      })
      expect(decide(RetryPolicy.standard, 1, response(429), { throttleMinMs: 0 })).toMatchObject({ delayMs: 5_000 })
    })

    it("the minimum applies after jitter", () => {
      const policy = RetryPolicy.fixed([50_000, 70_000], { jitter: 0.2 })
      expect(decide(policy, 1, response(503), { random: 0.999 })).toMatchObject({ delayMs: 60_000 }) // 59 980 → 60 000
      expect(decide(policy, 2, response(503), { random: 0 })).toMatchObject({ delayMs: 60_000 }) // 56 000 → 60 000
      expect(decide(policy, 2, response(503), { random: 0.75 })).toMatchObject({ delayMs: 77_000 })
    })

    it("grants no extra attempt", () => {
      expect(decide(RetryPolicy.standard, 10, response(429, "1"))).toEqual({
        _tag: "Fail",
        reason: "exhausted after 10 attempts: HTTP 429"
      })
      expect(decide(RetryPolicy.fixed(["1 second"]), 2, response(503))).toEqual({
        _tag: "Fail",
        reason: "exhausted after 2 attempts: HTTP 503"
      })
    })
  })

  describe("Retry-After", () => {
    it("in seconds lengthens a throttle delay", () => {
      expect(decide(RetryPolicy.standard, 1, response(429, "120"))).toEqual({
        _tag: "Retry",
        delayMs: 120_000,
        reason: "HTTP 429"
      })
    })

    it("never shortens the schedule or the throttle minimum", () => {
      expect(decide(RetryPolicy.standard, 1, response(429, "30"))).toMatchObject({ delayMs: 60_000 })
      expect(decide(RetryPolicy.standard, 1, response(429, "0"))).toMatchObject({ delayMs: 60_000 })
      expect(decide(RetryPolicy.standard, 3, response(503, "120"))).toMatchObject({ delayMs: 1_800_000 })
      expect(decide(RetryPolicy.standard, 1, response(500, "1"))).toMatchObject({ delayMs: 5_000 })
    })

    it("as an HTTP-date", () => {
      expect(decide(RetryPolicy.standard, 1, response(503, "Wed, 21 Oct 2015 07:38:00 GMT"))).toMatchObject({
        delayMs: 600_000
      })
      // In the past: the throttle minimum still holds.
      expect(decide(RetryPolicy.standard, 1, response(503, "Wed, 21 Oct 2015 07:00:00 GMT"))).toMatchObject({
        delayMs: 60_000
      })
    })

    it("is honoured on other failing statuses too", () => {
      expect(decide(RetryPolicy.standard, 1, response(500, "600"))).toEqual({
        _tag: "Retry",
        delayMs: 600_000,
        reason: "HTTP 500"
      })
      expect(decide(RetryPolicy.standard, 1, response(400, "Wed, 21 Oct 2015 07:38:00 GMT"))).toMatchObject({
        delayMs: 600_000
      })
      expect(decide(RetryPolicy.standard, 1, response(301, "90"))).toMatchObject({ delayMs: 90_000 })
    })

    it("is clamped to 24 h by default", () => {
      expect(decide(RetryPolicy.standard, 1, response(503, "999999"))).toMatchObject({ delayMs: 86_400_000 })
      expect(decide(RetryPolicy.standard, 1, response(500, "999999999999999999999999"))).toMatchObject({
        delayMs: 86_400_000
      })
      expect(decide(RetryPolicy.standard, 1, response(503, "Fri, 21 Oct 2016 07:28:00 GMT"))).toMatchObject({
        delayMs: 86_400_000
      })
    })

    it("is clamped to maxRetryAfterMs", () => {
      expect(decide(RetryPolicy.standard, 1, response(429, "7200"), { maxRetryAfterMs: HOUR })).toMatchObject({
        delayMs: HOUR
      })
      // The clamp bounds what the receiver asks for, not the policy's own schedule.
      expect(decide(RetryPolicy.standard, 9, response(429, "999999"), { maxRetryAfterMs: HOUR })).toMatchObject({
        delayMs: 86_400_000
      })
    })

    it("junk is ignored", () => {
      for (const junk of ["soon", "", "-5", "1.5", "5 seconds", "2015-10-21T07:38:00Z"]) {
        expect(decide(RetryPolicy.standard, 1, response(503, junk))).toMatchObject({ delayMs: 60_000 })
        expect(decide(RetryPolicy.standard, 1, response(500, junk))).toMatchObject({ delayMs: 5_000 })
      }
    })

    it("does not extend an exhausted policy", () => {
      expect(decide(RetryPolicy.none, 1, response(503, "60"))).toEqual({
        _tag: "Fail",
        reason: "exhausted after 1 attempt: HTTP 503"
      })
    })
  })
})

describe("parseRetryAfter", () => {
  it("reads delta-seconds", () => {
    expect(RetryPolicy.parseRetryAfter("120", NOW)).toBe(120_000)
    expect(RetryPolicy.parseRetryAfter("0", NOW)).toBe(0)
    expect(RetryPolicy.parseRetryAfter(" 7 ", NOW)).toBe(7_000)
    expect(RetryPolicy.parseRetryAfter("007", NOW)).toBe(7_000)
    expect(RetryPolicy.parseRetryAfter("2024", NOW)).toBe(2_024_000) // seconds, not a year
    expect(RetryPolicy.parseRetryAfter("120", Number.NaN)).toBe(120_000) // needs no clock
  })

  it("keeps a huge delta finite", () => {
    expect(RetryPolicy.parseRetryAfter("9".repeat(400), NOW)).toBe(Number.MAX_SAFE_INTEGER)
  })

  it("reads an IMF-fixdate relative to now", () => {
    expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:38:00 GMT", NOW)).toBe(600_000)
    expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:01 GMT", NOW)).toBe(1_000)
    expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", NOW)).toBe(0)
    expect(RetryPolicy.parseRetryAfter("Thu, 22 Oct 2015 07:28:00 GMT", NOW)).toBe(24 * HOUR)
    expect(RetryPolicy.parseRetryAfter("Sun, 01 Jan 2017 00:00:00 GMT", NOW)).toBe(
      Date.UTC(2017, 0, 1) - NOW
    )
  })

  it("turns a past date into 0", () => {
    expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:27:59 GMT", NOW)).toBe(0)
    expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).toBe(0)
  })

  it("reads the obsolete RFC 850 and asctime forms", () => {
    expect(RetryPolicy.parseRetryAfter("Wednesday, 21-Oct-15 07:38:00 GMT", NOW)).toBe(600_000)
    expect(RetryPolicy.parseRetryAfter("Wed Oct 21 07:38:00 2015", NOW)).toBe(600_000)
    const nov6 = Date.UTC(1994, 10, 6, 8, 49, 0)
    expect(RetryPolicy.parseRetryAfter("Sun Nov  6 08:49:37 1994", nov6)).toBe(37_000)
  })

  it("reads a two-digit RFC 850 year as at most 50 years ahead", () => {
    expect(RetryPolicy.parseRetryAfter("Thursday, 21-Oct-60 07:28:00 GMT", NOW)).toBe(
      Date.UTC(2060, 9, 21, 7, 28) - NOW
    )
    expect(RetryPolicy.parseRetryAfter("Wednesday, 21-Oct-70 07:28:00 GMT", NOW)).toBe(0) // 1970
  })

  it("rejects junk", () => {
    for (
      const junk of [
        undefined,
        "",
        "   ",
        "soon",
        "-5",
        "+5",
        "1.5",
        "1e3",
        "0x10",
        "5 seconds",
        "2015-10-21T07:38:00Z",
        "21 Oct 2015 07:38:00 GMT",
        "Wed, 21 Oct 2015 07:38:00 PST",
        "Wed, 21 Oct 2015 07:38 GMT",
        "Wed, 31 Feb 2015 07:38:00 GMT",
        "Wed, 21 Oct 2015 25:00:00 GMT",
        "Wed, 21 Oct 2015 07:60:00 GMT",
        "Wed, 00 Oct 2015 07:38:00 GMT",
        "Wed, 21 Foo 2015 07:38:00 GMT",
        "Wed, 21 Oct 2015 07:38:00 GMT trailing"
      ]
    ) {
      expect(RetryPolicy.parseRetryAfter(junk, NOW), String(junk)).toBeUndefined()
    }
  })

  it("needs a clock for dates", () => {
    expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:38:00 GMT", Number.NaN)).toBeUndefined()
  })
})

describe("properties", () => {
  const jitter = fc.double({ min: 0, max: 1, noNaN: true })
  const ms = fc.oneof(fc.nat({ max: 100 * HOUR }), fc.double({ min: 0, max: 1e12, noNaN: true }))
  const spec: fc.Arbitrary<RetryPolicySpec> = fc.oneof(
    fc.constant({ _tag: "standard" } as const),
    fc.constant({ _tag: "none" } as const),
    fc.record({
      _tag: fc.constant("fixed" as const),
      delaysMs: fc.array(ms, { maxLength: 12 }),
      jitter
    }),
    fc.record({
      _tag: fc.constant("exponential" as const),
      baseMs: ms,
      factor: fc.double({ min: 1, max: 1_000, noNaN: true }),
      maxDelayMs: ms,
      maxAttempts: fc.integer({ min: 1, max: 40 }),
      jitter
    })
  )
  const kinds: ReadonlyArray<TransportErrorKind> = [
    "timeout",
    "connect",
    "dns",
    "tls",
    "blocked",
    "protocol",
    "unknown"
  ]
  const retryAfter = fc.option(
    fc.oneof(
      fc.nat().map(String),
      fc.string(),
      fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(Date.UTC(9999, 0)) }).map((d) => d.toUTCString())
    ),
    { nil: undefined }
  )
  const outcome: fc.Arbitrary<RetryPolicy.Outcome> = fc.oneof(
    fc.record({
      _tag: fc.constant("Response" as const),
      status: fc.oneof(fc.integer({ min: 100, max: 599 }), fc.constantFrom(200, 410, 429, 502, 503, 504)),
      retryAfter
    }),
    fc.record({ _tag: fc.constant("TransportError" as const), kind: fc.constantFrom(...kinds) })
  )
  const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
  const options = fc.record({
    attempts: fc.integer({ min: 1, max: 50 }),
    outcome,
    now: fc.integer({ min: 0, max: Date.UTC(9000, 0) }),
    random,
    maxRetryAfterMs: fc.option(fc.nat({ max: 48 * HOUR }), { nil: undefined }),
    throttleMinMs: fc.option(fc.nat({ max: 10 * MINUTE }), { nil: undefined })
  })

  it("decide never returns a negative, fractional or NaN delay, nor retries past the attempt limit", () => {
    fc.assert(
      fc.property(spec, options, (spec, options) => {
        const policy = RetryPolicy.fromSpec(spec)
        const limit = RetryPolicy.maxAttempts(policy)
        const decision = RetryPolicy.decide(policy, options)
        if (decision._tag === "Retry") {
          expect(Number.isSafeInteger(decision.delayMs)).toBe(true)
          expect(decision.delayMs).toBeGreaterThanOrEqual(0)
          expect(options.attempts).toBeLessThan(limit)
          // Never sooner than the schedule itself.
          expect(decision.delayMs).toBeGreaterThanOrEqual(policy.delayAfter(options.attempts, options.random)!)
        }
        if (options.attempts >= limit) expect(decision._tag).not.toBe("Retry")
        if (options.outcome._tag === "TransportError" && options.outcome.kind === "blocked") {
          expect(decision._tag).toBe("Fail")
        }
      }),
      { numRuns: 2_000 }
    )
  })

  it("every spec round-trips and delays stay within the jitter band", () => {
    fc.assert(
      fc.property(spec, random, fc.integer({ min: 0, max: 45 }), (spec, random, n) => {
        const policy = RetryPolicy.fromSpec(spec)
        const again = RetryPolicy.fromSpec(JSON.parse(JSON.stringify(policy.spec)))
        expect(again.spec).toEqual(policy.spec)
        const delay = policy.delayAfter(n, random)
        expect(again.delayAfter(n, random)).toBe(delay)
        expect(delay === undefined).toBe(n >= RetryPolicy.maxAttempts(policy))
        if (delay !== undefined) {
          expect(Number.isSafeInteger(delay)).toBe(true)
          const unjittered = policy.delayAfter(n, 0.5)!
          const j = policy.spec._tag === "standard" ? 0.2 : policy.spec._tag === "none" ? 0 : policy.spec.jitter!
          expect(delay).toBeGreaterThanOrEqual(Math.floor(unjittered * (1 - j)) - 1)
          expect(delay).toBeLessThanOrEqual(Math.ceil(unjittered * (1 + j)) + 1)
        }
      }),
      { numRuns: 1_000 }
    )
  })
})
