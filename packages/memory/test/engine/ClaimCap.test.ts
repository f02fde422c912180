/**
 * The cap on claims per delivery (`maxClaims`): a delivery whose results are never written comes back after every
 * lease; past the cap it fails with a final `claims_exhausted` attempt instead of being sent again.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  createHookwire,
  DeliveryQueue,
  Dispatcher,
  OperationalEvents,
  RecordingTransport,
  Webhooks
} from "@hookwire/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { memory } from "../../src/Memory.js"
import { catalog, deliveryOf, engine, eventually } from "./harness.js"

const tenant = "acme"

describe("a delivery whose attempts are never recorded", () => {
  // Attempt results (not the cap's own record) wait for this gate, opened at the end so that shutdown can write.
  let open: () => void = () => {}
  const gate = new Promise<void>((resolve) => {
    open = resolve
  })

  it.scoped("is sent maxClaims times, then fails with a claims_exhausted attempt and a delivery.failed event", () =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const queue = yield* DeliveryQueue.DeliveryQueue
      const events = yield* Effect.flatMap(OperationalEvents.OperationalEvents, (e) => e.subscribe)
      const failedEvents = yield* Stream.filter(events, (e) => e.type === "delivery.failed").pipe(
        Stream.take(1),
        Stream.runCollect,
        Effect.fork
      )
      yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/hook" })
      const { message } = yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "i1", amount: 1 } })
      const [delivery] = yield* deliveryOf(tenant, message.id)
      yield* RecordingTransport.awaitRequests(1)
      // Each lease expires with no result written: claimed and sent again, up to maxClaims (3) sends.
      yield* TestClock.adjust("10 seconds")
      yield* RecordingTransport.awaitRequests(2)
      yield* TestClock.adjust("10 seconds")
      yield* RecordingTransport.awaitRequests(3)
      // The fourth claim is one too many: not sent, failed.
      yield* TestClock.adjust("10 seconds")
      const failed = yield* eventually(w.deliveries.get({ tenant, id: delivery.id }), (d) => d.status === "failed")
      expect(failed).toMatchObject({
        status: "failed",
        attempts: 1,
        lastError: "claims_exhausted",
        nextAttemptAt: null
      })
      const attempts = yield* w.deliveries.attempts({ tenant, deliveryId: delivery.id })
      expect(attempts.items).toHaveLength(1)
      expect(attempts.items[0]).toMatchObject({ errorKind: "claims_exhausted", responseStatus: null })
      expect(attempts.items[0].errorMessage).toMatch(/claimed 4 times without a recorded result/)
      const [event] = Chunk.toReadonlyArray(yield* failedEvents.await.pipe(Effect.flatten))
      expect(event).toMatchObject({ type: "delivery.failed", deliveryId: delivery.id })
      expect(yield* queue.has([delivery.id])).toStrictEqual(new Set())
      // Long after: never sent again.
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("10 seconds")
      expect(yield* RecordingTransport.requests).toHaveLength(3)
    }).pipe(
      Effect.ensuring(Effect.sync(() => open())),
      Effect.provide(engine({
        dispatcher: { lease: "10 seconds", maxClaims: 3 },
        wrapStorage: (storage) => ({
          ...storage,
          recordAttempts: (results) =>
            results.every((r) => r.attempt.errorKind === "claims_exhausted")
              ? storage.recordAttempts(results)
              : Effect.zipRight(Effect.promise(() => gate), storage.recordAttempts(results))
        })
      }) as Layer.Layer<
        | Webhooks.Webhooks
        | Dispatcher.Dispatcher
        | RecordingTransport.RecordingTransport
        | DeliveryQueue.DeliveryQueue
        | OperationalEvents.OperationalEvents
      >)
    ))

  it("maxClaims is checked when the engine is made: a whole number of at least 1", () => {
    for (const maxClaims of [0, -1, 1.5, Number.NaN, "3"]) {
      expect(() => createHookwire({ adapter: memory(), catalog, dispatcher: { maxClaims } as never })).toThrow(
        expect.objectContaining({ _tag: "ValidationError", field: "dispatcher.maxClaims" })
      )
    }
  })
})
