import { describe, expect, it } from "vitest"
import { MemoryDedupStore } from "../src/index.js"

describe("MemoryDedupStore", () => {
  it("claims an id once, then reports duplicates", () => {
    const store = new MemoryDedupStore()
    expect(store.claim("a", 60)).toBe(true)
    expect(store.claim("a", 60)).toBe(false)
    expect(store.claim("b", 60)).toBe(true)
  })

  it("forgets an id when its TTL has passed (injected clock)", () => {
    let now = 1_000_000
    const store = new MemoryDedupStore({ now: () => now })
    expect(store.claim("a", 10)).toBe(true)
    now += 9_999
    expect(store.claim("a", 10)).toBe(false)
    now += 1
    expect(store.claim("a", 10)).toBe(true)
    // The new claim starts a new TTL.
    now += 9_999
    expect(store.claim("a", 10)).toBe(false)
  })

  it("stays within maxEntries, forgetting the oldest ids first", () => {
    const store = new MemoryDedupStore({ maxEntries: 3 })
    for (const id of ["a", "b", "c", "d"]) expect(store.claim(id, 60)).toBe(true)
    expect(store.size).toBe(3)
    expect(store.claim("d", 60)).toBe(false)
    expect(store.claim("c", 60)).toBe(false)
    expect(store.claim("a", 60)).toBe(true) // evicted, so seen as new (and now b is the oldest)
    expect(store.claim("b", 60)).toBe(true)
    expect(store.size).toBe(3)
  })

  it("holds at most maxEntries under a flood of ids", () => {
    const store = new MemoryDedupStore({ maxEntries: 1000 })
    for (let i = 0; i < 50_000; i++) store.claim(`id_${i}`, 3600)
    expect(store.size).toBe(1000)
    expect(store.claim("id_49999", 3600)).toBe(false)
    expect(store.claim("id_0", 3600)).toBe(true)
  })

  it("drops expired ids as it goes, without a timer", () => {
    let now = 0
    const store = new MemoryDedupStore({ now: () => now })
    for (let i = 0; i < 100; i++) store.claim(`old_${i}`, 1)
    now = 5_000
    for (let i = 0; i < 100; i++) store.claim(`new_${i}`, 60)
    expect(store.size).toBe(100)
  })

  it("rejects invalid arguments", () => {
    expect(() => new MemoryDedupStore({ maxEntries: 0 })).toThrow(TypeError)
    expect(() => new MemoryDedupStore({ maxEntries: 1.5 })).toThrow(TypeError)
    const store = new MemoryDedupStore()
    expect(() => store.claim("", 10)).toThrow(TypeError)
    expect(() => store.claim("a", 0)).toThrow(TypeError)
    expect(() => store.claim("a", Number.NaN)).toThrow(TypeError)
  })
})

describe("MemoryDedupStore.release", () => {
  it("forgets a claimed id so a retry after a failed handler is handled again", () => {
    const store = new MemoryDedupStore()
    expect(store.claim("a", 60)).toBe(true)
    store.release("a")
    expect(store.claim("a", 60)).toBe(true)
    expect(store.claim("a", 60)).toBe(false)
    store.release("never-claimed")
    expect(store.size).toBe(1)
  })
})
