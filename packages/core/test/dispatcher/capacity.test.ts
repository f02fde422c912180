/**
 * The dispatcher's capacity (internal/dispatcher/capacity.ts): global slots, per-endpoint caps and waiting lines,
 * slots held by unwritten results, typical durations, and the two latches that mirror the counters.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as capacity from "../../src/internal/dispatcher/capacity.js"

const make = (concurrency: number, perEndpoint: number, resultBuffer?: number) =>
  Effect.runSync(capacity.make<string>(concurrency, perEndpoint, resultBuffer))

/** Whether `latch` is open: awaiting it completes synchronously (a closed one would suspend the fiber). */
const isOpen = (latch: Effect.Latch) => Exit.isSuccess(Effect.runSyncExit(latch.await))

describe("Capacity", () => {
  it("launches up to the endpoint's cap, then lines up, each taking a global slot", () => {
    const c = make(10, 2)
    expect(c.admit("ep", "a")).toBe("launch")
    c.start("ep", 0)
    expect(c.admit("ep", "b")).toBe("launch")
    c.start("ep", 0)
    expect(c.admit("ep", "c")).toBe("wait")
    expect(c.admit("ep", "d")).toBe("wait")
    // The line holds at most `perEndpoint`.
    expect(c.admit("ep", "e")).toBe("full")
    // Another endpoint is not affected.
    expect(c.admit("other", "x")).toBe("launch")
    expect({ occupied: c.occupied, inFlight: c.inFlight, waiting: c.waitingCount, free: c.free }).toStrictEqual({
      occupied: 5,
      inFlight: 2,
      waiting: 2,
      free: 5
    })
  })

  it("finish hands the next waiting job over with its slot; the finished attempt's slot is freed", () => {
    const c = make(10, 1)
    c.admit("ep", "a")
    c.start("ep", 0)
    c.admit("ep", "b")
    const launched: Array<string> = []
    const launch = (job: string) => {
      launched.push(job)
      c.start("ep", 10)
    }
    expect(c.finish("ep", "a", 10, launch)).toBeUndefined()
    expect(launched).toStrictEqual(["b"])
    expect({ occupied: c.occupied, inFlight: c.inFlight, waiting: c.waitingCount }).toStrictEqual({
      occupied: 1,
      inFlight: 1,
      waiting: 0
    })
    c.finish("ep", "b", 20, launch)
    expect(launched).toStrictEqual(["b"])
    expect({ occupied: c.occupied, inFlight: c.inFlight }).toStrictEqual({ occupied: 0, inFlight: 0 })
  })

  it("without a result buffer, a slot held by a result stays taken after its attempt ends, until it is written", () => {
    const c = make(2, 2, 0)
    c.admit("ep", "a")
    c.start("ep", 0)
    c.holdForResult("a")
    c.finish("ep", "a", 5, () => {})
    expect({ occupied: c.occupied, inFlight: c.inFlight }).toStrictEqual({ occupied: 1, inFlight: 0 })
    c.freeResults(1)
    expect(c.occupied).toBe(0)
    // The hold is per attempt: the next attempt of the same item frees its own slot.
    c.admit("ep", "a")
    c.start("ep", 10)
    c.finish("ep", "a", 15, () => {})
    expect(c.occupied).toBe(0)
  })

  it("onFreed runs whenever slots are freed (by an attempt, the writer or a dropped line), not when a result holds one", () => {
    const c = make(2, 1, 0)
    let calls = 0
    c.onFreed = () => calls++
    c.admit("ep", "a")
    c.start("ep", 0)
    c.admit("ep", "b")
    expect(c.full).toBe(true)
    // An attempt whose result holds its slot frees nothing; the waiting job inherits a slot.
    c.holdForResult("a")
    c.finish("ep", "a", 1, () => c.start("ep", 1))
    expect({ calls, occupied: c.occupied }).toStrictEqual({ calls: 0, occupied: 2 })
    // The writer freeing the result's slot.
    c.freeResults(1)
    expect({ calls, occupied: c.occupied }).toStrictEqual({ calls: 1, occupied: 1 })
    // An attempt that frees its own slot.
    c.finish("ep", "b", 2, () => {})
    expect({ calls, occupied: c.occupied }).toStrictEqual({ calls: 2, occupied: 0 })
    // A dropped line.
    c.admit("ep", "c")
    c.start("ep", 3)
    c.admit("ep", "d")
    expect(c.dropWaiting("ep")).toStrictEqual(["d"])
    expect({ calls, occupied: c.occupied }).toStrictEqual({ calls: 3, occupied: 1 })
  })

  it("up to `resultBuffer` unwritten results hold no slot; beyond them each keeps its attempt's slot until written", () => {
    // The default buffer is `concurrency`: at most 2 × concurrency deliveries are sent without a written result.
    const c = make(2, 2)
    expect(c.resultBuffer).toBe(2)
    let calls = 0
    c.onFreed = () => calls++
    const attempt = (item: string, now: number) => {
      expect(c.admit("ep", item)).toBe("launch")
      c.start("ep", now)
      c.holdForResult(item)
      c.finish("ep", item, now + 1, () => {})
    }
    // Two results handed to the writer: both slots free again at once.
    attempt("a", 0)
    attempt("b", 2)
    expect({ occupied: c.occupied, unwritten: c.unwritten, free: c.free, calls }).toStrictEqual({
      occupied: 0,
      unwritten: 2,
      free: 2,
      calls: 2
    })
    // The buffer is full: the next two results keep their slots, and nothing more can be admitted.
    attempt("c", 4)
    attempt("d", 6)
    expect({ occupied: c.occupied, unwritten: c.unwritten, full: c.full, calls }).toStrictEqual({
      occupied: 2,
      unwritten: 4,
      full: true,
      calls: 2
    })
    // 2 × concurrency sent without a written result, and no more: the writer frees slots as it writes.
    c.freeResults(1)
    expect({ occupied: c.occupied, free: c.free, calls }).toStrictEqual({ occupied: 1, free: 1, calls: 3 })
    c.freeResults(3)
    expect({ occupied: c.occupied, unwritten: c.unwritten, free: c.free }).toStrictEqual({
      occupied: 0,
      unwritten: 0,
      free: 2
    })
  })

  it("idle: closed while an attempt is in flight, open again when the last ends without a successor", () => {
    const c = make(4, 1)
    expect(isOpen(c.idle)).toBe(true)
    c.admit("ep", "a")
    c.start("ep", 0)
    expect(isOpen(c.idle)).toBe(false)
    c.admit("ep", "b")
    c.finish("ep", "a", 1, () => c.start("ep", 1))
    expect(isOpen(c.idle)).toBe(false)
    c.finish("ep", "b", 2, () => {})
    expect(isOpen(c.idle)).toBe(true)
  })

  it("typical duration: the first attempt's, then a moving average (0.8 old, 0.2 new); slow endpoints get no line", () => {
    const c = make(10, 1)
    expect(c.typical("ep")).toBe(0)
    c.admit("ep", "a")
    c.start("ep", 0)
    c.finish("ep", "a", 2000, () => {})
    expect(c.typical("ep")).toBe(2000)
    c.admit("ep", "b")
    c.start("ep", 3000)
    c.finish("ep", "b", 3500, () => {})
    expect(c.typical("ep")).toBe(2000 * 0.8 + 500 * 0.2)
    // 1700 ms typical: at its cap, the next delivery is not lined up.
    c.admit("ep", "c")
    c.start("ep", 4000)
    expect(c.admit("ep", "d")).toBe("later")
    expect(c.occupied).toBe(1)
  })

  it("dropWaiting frees the line's slots; takeWaiting empties every line", () => {
    const c = make(10, 1)
    for (const [ep, job] of [["e1", "a"], ["e1", "b"], ["e2", "c"], ["e2", "d"]] as const) {
      if (c.admit(ep, job) === "launch") c.start(ep, 0)
    }
    expect(c.waitingCount).toBe(2)
    expect(c.dropWaiting("e1")).toStrictEqual(["b"])
    expect(c.dropWaiting("e1")).toBeUndefined()
    expect({ occupied: c.occupied, waiting: c.waitingCount }).toStrictEqual({ occupied: 3, waiting: 1 })
    expect(c.takeWaiting()).toStrictEqual(["d"])
    expect(c.waitingCount).toBe(0)
  })

  it("overflowDelay: about (1 + k / cap) typical durations, at least 100 ms each, at most 5 minutes, whole ms", () => {
    expect(capacity.overflowDelay(0, 0, 4)).toBe(100)
    expect(capacity.overflowDelay(1500.2, 0, 4)).toBe(1501)
    expect(capacity.overflowDelay(1500, 3, 4)).toBe(1500)
    expect(capacity.overflowDelay(1500, 4, 4)).toBe(3000)
    expect(capacity.overflowDelay(1500, 9, 4)).toBe(4500)
    expect(capacity.overflowDelay(200_000, 4, 4)).toBe(300_000)
  })
})
