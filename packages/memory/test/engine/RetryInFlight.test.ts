/**
 * A manual "retry now" of a pending delivery that a worker is sending right now: refused with `delivery_in_flight`,
 * and the delivery is sent once. Re-queueing it (the old behaviour) ended the worker's lease, and a second worker
 * sent it again while the first send was still open.
 */
import { describe, expect, it } from "@effect/vitest"
import { RecordingTransport, Webhooks } from "@hookwire/core"
import {
  concurrentRetries,
  manualReceiver,
  retryWhileSending,
  slowReceiver
} from "@hookwire/core/test/contract/RetryInFlight"
import * as Effect from "effect/Effect"
import { deliveryOf, engine, eventually } from "./harness.js"

const tenant = "acme"

describe("deliveries.retry of a delivery being sent", () => {
  const receiver = slowReceiver()

  it.effect("is refused with delivery_in_flight, and the delivery is sent once", () =>
    Effect.gen(function*() {
      yield* retryWhileSending(receiver, { tenant, type: "invoice.paid", data: { invoiceId: "i1", amount: 1 } })
    }).pipe(Effect.provide(engine({ handler: receiver.handler, dispatcher: { concurrency: 4 } }))))

  it.effect("of a pending delivery nobody holds (waiting for its next attempt) still sends it now", () =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/flaky" })
      const { message } = yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "i2", amount: 2 } })
      // The first attempt fails; the next is scheduled 5 seconds later (the harness's retry policy).
      const [delivery] = yield* eventually(deliveryOf(tenant, message.id), ([d]) => d?.attempts === 1)
      expect(delivery.status).toBe("pending")
      const retried = yield* w.deliveries.retry({ tenant, id: delivery.id })
      expect(retried.status).toBe("pending")
      yield* eventually(w.deliveries.get({ tenant, id: delivery.id }), (d) => d.status === "delivered")
      expect((yield* RecordingTransport.requests).length).toBe(2)
    }).pipe(Effect.provide(engine({
      handler: (_, index) => ({ status: index === 0 ? 503 : 204 })
    }))))

  it.effect("twice at once, of a finished delivery: sent once, and both calls get that attempt's result", () => {
    const manual = manualReceiver()
    return concurrentRetries(manual, {
      tenant: "acme-twice",
      type: "invoice.paid",
      data: { invoiceId: "i3", amount: 3 }
    })
      .pipe(Effect.provide(engine({ handler: manual.handler, dispatcher: { concurrency: 4 } })))
  })
})
