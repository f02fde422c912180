/**
 * `complete`'s coalescing (internal/queue/leases.ts): one call to Redis at a time, what callers hand over meanwhile
 * goes in the next call together, and each caller's promise settles with the call that carried its items.
 */
import { describe, expect, it } from "vitest"
import { coalesced } from "../src/internal/queue/leases.js"

/** A `send` whose calls are recorded and settled by the test. */
const recorder = () => {
  const calls: Array<{ items: ReadonlyArray<number>; resolve: () => void; reject: (e: unknown) => void }> = []
  const send = (items: ReadonlyArray<number>) =>
    new Promise<void>((resolve, reject) => calls.push({ items, resolve, reject }))
  return { calls, send }
}

const settled = (p: Promise<void>) => p.then(() => "ok", (e) => `failed: ${String(e)}`)

describe("coalesced (RedisQueue's complete)", () => {
  it("sends the first call at once, then everything handed over meanwhile in one call", async () => {
    const { calls, send } = recorder()
    const complete = coalesced(send)
    const a = settled(complete([1, 2]))
    const b = settled(complete([3]))
    const c = settled(complete([4, 5]))
    expect(calls.map((call) => call.items)).toEqual([[1, 2]])
    calls[0].resolve()
    expect(await a).toBe("ok")
    expect(calls.map((call) => call.items)).toEqual([[1, 2], [3, 4, 5]])
    calls[1].resolve()
    expect([await b, await c]).toEqual(["ok", "ok"])
    // Idle again: the next call goes at once.
    const d = settled(complete([6]))
    expect(calls.map((call) => call.items)).toEqual([[1, 2], [3, 4, 5], [6]])
    calls[2].resolve()
    expect(await d).toBe("ok")
  })

  it("a failed call fails only its own callers, and the next call still goes", async () => {
    const { calls, send } = recorder()
    const complete = coalesced(send)
    const a = settled(complete([1]))
    const b = settled(complete([2]))
    calls[0].reject(new Error("connection lost"))
    expect(await a).toBe("failed: Error: connection lost")
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls.map((call) => call.items)).toEqual([[1], [2]])
    calls[1].resolve()
    expect(await b).toBe("ok")
  })

  it("a send that throws fails its callers and leaves it usable", async () => {
    let throwing = true
    const sent: Array<ReadonlyArray<number>> = []
    const complete = coalesced(async (items: ReadonlyArray<number>) => {
      if (throwing) throw new Error("bad argument")
      sent.push(items)
    })
    expect(await settled(complete([1]))).toBe("failed: Error: bad argument")
    throwing = false
    expect(await settled(complete([2]))).toBe("ok")
    expect(sent).toEqual([[2]])
  })
})
