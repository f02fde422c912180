/**
 * The jobs claimed ahead of free slots (internal/dispatcher/ahead.ts): launched in order as slots are freed, sent back
 * when their endpoint cannot take them or when they waited too long, taken whole at shutdown or per endpoint.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { ClaimedItem } from "../../src/DeliveryQueue.js"
import { Ahead } from "../../src/internal/dispatcher/ahead.js"
import type { Job } from "../../src/internal/dispatcher/attempts.js"
import * as capacity from "../../src/internal/dispatcher/capacity.js"
import type * as Model from "../../src/Model.js"

const job = (id: string, endpointId: string, claimedAt = 0): Job => ({
  item: { id, runAt: 0, claims: 1 } as ClaimedItem,
  ctx: { endpoint: { id: endpointId } } as Model.DispatchContext,
  parent: undefined,
  claimedAt
})

const setup = (concurrency: number, perEndpoint: number, maxAgeMs = 1000) => {
  // No result buffer: every unwritten result holds its slot (capacity.test.ts covers the buffer).
  const c = Effect.runSync(capacity.make<Job>(concurrency, perEndpoint, 0))
  const launched: Array<string> = []
  let now = 0
  const ahead = new Ahead(
    c,
    (j) => {
      launched.push(j.item.id)
      c.start(j.ctx.endpoint.id, now)
    },
    maxAgeMs,
    () => now
  )
  c.onFreed = () => ahead.fill()
  return { c, ahead, launched, at: (ms: number) => (now = ms) }
}

const ids = (jobs: ReadonlyArray<Job>) => jobs.map((j) => j.item.id)

describe("Ahead", () => {
  it("launches while slots are free and keeps the rest in order until slots are freed", () => {
    const { ahead, c, launched } = setup(2, 10)
    ahead.push([job("a", "e1"), job("b", "e2"), job("c", "e3"), job("d", "e4")])
    expect(launched).toStrictEqual(["a", "b"])
    expect(ahead.size).toBe(2)
    c.finish("e1", job("a", "e1").item, 1, () => {})
    expect(launched).toStrictEqual(["a", "b", "c"])
    // A result holding its slot frees nothing; the writer's freeing does.
    const held = job("b", "e2").item
    c.holdForResult(held)
    c.finish("e2", held, 2, () => {})
    expect(launched).toStrictEqual(["a", "b", "c"])
    c.freeResults(1)
    expect(launched).toStrictEqual(["a", "b", "c", "d"])
    expect(ahead.size).toBe(0)
  })

  it("a slow endpoint at its cap sends its jobs back (overflowed); a fast one lines them up, then keeps them", () => {
    const { ahead, c, launched } = setup(10, 1)
    ahead.push([job("a", "slow")])
    c.finish("slow", job("a", "slow").item, 5000, () => {})
    ahead.push([job("b", "slow"), job("c", "slow"), job("d", "fast"), job("e", "fast")])
    expect(launched).toStrictEqual(["a", "b", "d"])
    expect(ids(ahead.overflowed)).toStrictEqual(["c"])
    expect(c.waitingCount).toBe(1)
    // The fast endpoint's line is full: its next job stays ahead, behind the others, until it has room.
    ahead.push([job("f", "fast"), job("g", "other")])
    expect(launched).toStrictEqual(["a", "b", "d", "g"])
    expect(ids(ahead.takeAll())).toStrictEqual(["f"])
  })

  it("jobs that waited longer than maxAgeMs are not launched but marked stale", () => {
    const { ahead, at, c, launched } = setup(1, 10, 1000)
    ahead.push([job("a", "e", 0), job("b", "e", 0), job("c", "e", 900)])
    at(1500)
    c.finish("e", job("a", "e").item, 1500, () => {})
    expect(launched).toStrictEqual(["a", "c"])
    expect(ids(ahead.stale)).toStrictEqual(["b"])
  })

  it("drop takes one endpoint's jobs, takeAll the rest; stopped launches nothing", () => {
    const { ahead, c, launched } = setup(1, 10)
    ahead.push([job("a", "e1"), job("b", "e2"), job("c", "e1"), job("d", "e3")])
    expect(ids(ahead.drop("e1"))).toStrictEqual(["c"])
    ahead.stopped = true
    c.finish("e1", job("a", "e1").item, 1, () => {})
    expect(launched).toStrictEqual(["a"])
    expect(ids(ahead.takeAll())).toStrictEqual(["b", "d"])
    expect(ahead.size).toBe(0)
  })
})
