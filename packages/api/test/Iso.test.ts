/**
 * The response encoders' ISO-8601 formatting (src/internal/iso.ts) writes exactly what `Date#toISOString` writes:
 * for any time in years 0000–9999, at the edges of days, months, leap days and years, and outside that range (the
 * six-digit years, and the RangeError of an invalid date).
 */
import * as FastCheck from "effect/FastCheck"
import { describe, expect, it } from "vitest"
import * as iso from "../src/internal/iso.js"

const END = 253_402_300_800_000

describe("iso.fromEpoch", () => {
  it("equals toISOString for any time of years 0000–9999", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.integer({ min: 0, max: END - 1 }), (ms) => {
        expect(iso.fromEpoch(ms)).toBe(new Date(ms).toISOString())
      }),
      { numRuns: 20_000 }
    )
  })

  it("equals toISOString at the edges of days, months and years, leap days included", () => {
    const edges = [
      0,
      1,
      999,
      1000,
      59_999,
      3_599_999,
      86_399_999,
      86_400_000,
      Date.UTC(2000, 1, 28, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12),
      Date.UTC(2000, 2, 1),
      Date.UTC(1900, 1, 28, 23, 59, 59, 999),
      Date.UTC(1900, 2, 1),
      Date.UTC(2024, 11, 31, 23, 59, 59, 999),
      Date.UTC(2025, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999)
    ]
    for (const ms of edges) {
      for (const t of [ms - 1, ms, ms + 1]) {
        if (t >= 0) expect(iso.fromEpoch(t)).toBe(new Date(t).toISOString())
      }
    }
  })

  it("hands other times to toISOString: before 1970 and beyond 9999 as it writes them", () => {
    for (const ms of [-1, -86_400_001, Date.UTC(-1, 0, 1), END, END + 1, 8.64e15, -8.64e15, 0.5, 1e12 + 0.25]) {
      expect(iso.fromEpoch(ms)).toBe(new Date(ms).toISOString())
    }
  })

  it("refuses an invalid date as toISOString does", () => {
    expect(() => iso.fromDate(new Date(Number.NaN))).toThrow(RangeError)
    expect(() => iso.fromEpoch(8.64e15 + 1)).toThrow(RangeError)
  })

  it("formats many days (the day cache refills) the same", () => {
    for (let day = 0; day < 10_000; day++) {
      const ms = day * 86_400_000 * 2.9 + 12_345
      expect(iso.fromEpoch(Math.floor(ms))).toBe(new Date(Math.floor(ms)).toISOString())
    }
  })
})
