import { describe, expect, it } from "vitest"
import * as Id from "../src/Id.js"

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
/** The 80-bit random part of an id, decoded. */
const randomOf = (id: string): bigint => {
  let n = 0n
  for (const c of id.slice(id.indexOf("_") + 11)) n = n * 32n + BigInt(ALPHABET.indexOf(c))
  return n
}

describe("Id", () => {
  it("is a prefix, then 10 characters of time and 16 of randomness in Crockford base32", () => {
    for (const prefix of ["ep", "msg", "dlv", "atm"] as const) {
      expect(Id.make(prefix)).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`))
    }
  })

  it("carries its creation time (ids are made in time order here; see the clock going back below)", () => {
    const base = Date.now() + 5_000
    for (const time of [base, base + 1, base + 1_000]) expect(Id.timeOf(Id.make("msg", time))).toBe(time)
  })

  it("sorts in creation order, within one millisecond too (the random part counts up by one)", () => {
    const now = Date.now() + 10_000
    const ids = Array.from({ length: 1_000 }, () => Id.make("dlv", now))
    for (let i = 1; i < ids.length; i++) {
      expect(ids[i]! > ids[i - 1]!).toBe(true)
      expect(randomOf(ids[i]!) - randomOf(ids[i - 1]!)).toBe(1n)
    }
    const later = Id.make("dlv", now + 1)
    expect(later > ids.at(-1)!).toBe(true)
    // A new millisecond draws fresh randomness: not the next value.
    expect(randomOf(later) - randomOf(ids.at(-1)!)).not.toBe(1n)
  })

  it("a clock that goes back still yields increasing ids", () => {
    const now = Date.now() + 20_000
    const first = Id.make("msg", now)
    const second = Id.make("msg", now - 5_000)
    expect(second > first).toBe(true)
    expect(Id.timeOf(second)).toBe(now)
  })

  it("lowerBound sorts before every id of that time and after every earlier one", () => {
    const time = Date.now() + 30_000
    const before = Id.make("atm", time - 1)
    const at = Id.make("atm", time)
    expect(Id.lowerBound("atm", time) <= at).toBe(true)
    expect(Id.lowerBound("atm", time) > before).toBe(true)
  })

  it("uses all 32 characters for the random part", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) for (const c of Id.make("ep", i).slice(13)) seen.add(c)
    expect(seen.size).toBe(32)
  })
})
