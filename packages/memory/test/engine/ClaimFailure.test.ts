/**
 * A step after a claim fails (issue 16.2): only the claimed items whose attempts have not started may go back to the
 * queue. An item whose attempt is running stays leased until its result is written (or its lease expires): released,
 * it would be claimed and sent again while the first send runs — a duplicate with no crash at all.
 */
import { describe, expect, it } from "@effect/vitest"
import { DeliveryQueue, Dispatcher, Errors, Id, RecordingTransport, Webhooks } from "@hookwire/core"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { engine } from "./harness.js"

const tenant = "acme"
type QueueService = Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>

/** The queue, failing the first `complete` that includes `id` (a dropped connection). */
const failFirstComplete = (id: string, failures: Array<number>) => (queue: QueueService): QueueService => ({
  ...queue,
  complete: (items) =>
    failures.length === 0 && items.some((item) => item.id === id)
      ? Effect.suspend(() => {
        failures.push(items.length)
        return Effect.fail(new Errors.QueueError({ code: "connection", message: "connection lost" }))
      })
      : queue.complete(items)
})

describe("a claim whose dispatch fails after an attempt started", () => {
  const ghost = Id.make("dlv")
  const failures: Array<number> = []
  it.scoped("does not release the running attempt's item: it is sent once", () =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const q = yield* DeliveryQueue.DeliveryQueue
      yield* w.endpoints.create({ tenant, url: "https://receiver.example/webhooks" })
      const { message } = yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } })
      // Queued without a delivery in storage (deleted meanwhile): the claim completes it, and that write fails.
      yield* q.enqueue([{ id: ghost, runAt: 0 }])
      yield* Dispatcher.make({ lease: "30 seconds", pollInterval: "1 day" })
      yield* RecordingTransport.awaitRequests(1)
      // The claim loop retries after the failure (50 ms, 100 ms, …) while the attempt (1 s) is in flight.
      for (let step = 0; step < 40; step++) yield* TestClock.adjust("50 millis")
      expect(failures).toStrictEqual([1])
      const delivered = yield* w.deliveries.list({ tenant, messageId: message.id })
      expect(delivered.items.map((d) => d.status)).toStrictEqual(["delivered"])
      expect(yield* RecordingTransport.requests).toHaveLength(1)
      // The ghost went back to the queue and was completed on the next claim.
      expect(yield* q.has([ghost])).toStrictEqual(new Set())
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      wrapQueue: failFirstComplete(ghost, failures),
      handler: () => Effect.as(Effect.sleep("1 second"), { status: 204 })
    }))))
})
