/**
 * The Promise API's life cycle: a transient adapter failure on first use does not brick the instance, `start()`
 * rejects with the typed error, bad dispatcher options throw at construction, a concurrent `start()` resolves only
 * once the dispatcher runs, and `close()` always disposes.
 */
import { createHookwire, Errors, RecordingTransport, Storage } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"
import { catalog } from "./harness.js"

const down = () => new Errors.StorageError({ code: "connection", message: "the database is not up yet" })

/** A memory adapter whose build fails with a typed error while `state.up` is false. */
const lateAdapter = (state: { up: boolean; builds: number }) => ({
  layer: Layer.unwrapEffect(
    Effect.suspend(() => {
      state.builds++
      return state.up ? Effect.succeed(memory().layer) : Effect.fail(down())
    })
  )
})

const until = async (ok: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error("condition not met before the deadline")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe("createHookwire life cycle", () => {
  it("a transient adapter failure on first use does not brick the instance: the next call builds again", async () => {
    const state = { up: false, builds: 0 }
    const hookwire = createHookwire({ adapter: lateAdapter(state), catalog, logger: false })
    try {
      const error = await hookwire.endpoints.list({ tenant: "t" }).catch((e) => e)
      expect(error).toBeInstanceOf(Errors.StorageError)
      expect(error).toMatchObject({ _tag: "StorageError", code: "connection" })
      // The build was retried on a schedule before the call gave up.
      expect(state.builds).toBeGreaterThan(1)
      state.up = true
      const page = await hookwire.endpoints.list({ tenant: "t" })
      expect(page.items).toStrictEqual([])
    } finally {
      await hookwire.close()
    }
  })

  it("a build that fails once is retried within the same call", async () => {
    const state = { up: false, builds: 0 }
    const adapter = {
      layer: Layer.unwrapEffect(Effect.suspend(() => {
        state.builds++
        return state.builds > 1 ? Effect.succeed(memory().layer) : Effect.fail(down())
      }))
    }
    const hookwire = createHookwire({ adapter, catalog, logger: false })
    try {
      expect((await hookwire.endpoints.list({ tenant: "t" })).items).toStrictEqual([])
      expect(state.builds).toBe(2)
    } finally {
      await hookwire.close()
    }
  })

  it("start() rejects with the typed error itself, not a FiberFailure, and can be tried again", async () => {
    const state = { up: false, builds: 0 }
    const hookwire = createHookwire({ adapter: lateAdapter(state), catalog, logger: false })
    try {
      const error = await hookwire.start().catch((e) => e)
      expect(error).toBeInstanceOf(Errors.StorageError)
      expect(error._tag).toBe("StorageError")
      state.up = true
      await hookwire.start()
    } finally {
      await hookwire.close()
    }
  })

  it("dispatcher options are checked at construction", () => {
    const make = (dispatcher: Record<string, unknown>) => () =>
      createHookwire({ adapter: memory(), catalog, dispatcher: dispatcher as never })
    expect(make({ concurrency: 0 })).toThrow(
      expect.objectContaining({ _tag: "ValidationError", field: "dispatcher.concurrency" })
    )
    expect(make({ lease: "10 millis" })).toThrow(/lease/)
    expect(make({ shutdownGrace: "soon" })).toThrow(/shutdownGrace/)
  })

  it("a concurrent second start() resolves only once the dispatcher runs", async () => {
    const hookwire = createHookwire({ adapter: memory(), catalog, logger: false })
    try {
      const order: Array<string> = []
      const first = hookwire.start().then(() => order.push("first"))
      const second = hookwire.start().then(() => order.push("second"))
      await Promise.all([first, second])
      expect(order).toStrictEqual(["first", "second"])
    } finally {
      await hookwire.close()
    }
  })

  it("close() disposes the runtime even when stopping the dispatcher runs into a broken store", async () => {
    let released = false
    let sent = 0
    // Every results write dies: the dispatcher cannot record anything; close() must still release the adapter.
    const broken = Layer.effect(
      Storage.Storage,
      Effect.map(Storage.Storage, (storage) => ({
        ...storage,
        recordAttempts: () => Effect.die(new Error("injected defect in recordAttempts"))
      }))
    )
    const adapter = {
      layer: Layer.merge(
        Layer.provideMerge(broken, memory().layer),
        Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sync(() => (released = true))))
      )
    }
    const hookwire = createHookwire({
      adapter,
      catalog,
      logger: false,
      transport: RecordingTransport.layer(() => {
        sent++
        return { status: 204 }
      }),
      dispatcher: { shutdownGrace: "100 millis" }
    })
    await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    await hookwire.start()
    await hookwire.publish({ tenant: "t", type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } })
    await until(() => sent > 0)
    await hookwire.close()
    expect(released).toBe(true)
  })
})
