/**
 * The sweeper on the memory adapter: a pending delivery that the queue does not hold — one whose enqueue was lost,
 * and one written without a next attempt time, as older versions did — is found, re-queued and delivered.
 */
import { describe, expect, it } from "@effect/vitest"
import { DeliveryQueue, RecordingTransport, Storage, Sweeper, Webhooks } from "@hookwire/core"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { deliveryOf, engine, eventually } from "./harness.js"

const tenant = "acme"

describe("Sweeper on the memory adapter", () => {
  let dropEnqueues = false

  it.effect("finds pending deliveries with no queue entry, with or without a next attempt time, and they are delivered", () =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const storage = yield* Storage.Storage
      const queue = yield* DeliveryQueue.DeliveryQueue
      yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/a" })
      // Two publishes whose enqueue is lost (the process died between the two writes).
      dropEnqueues = true
      const timed = yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "i1", amount: 1 } })
      const untimed = yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "i2", amount: 2 } })
      dropEnqueues = false
      const [timedDelivery] = yield* deliveryOf(tenant, timed.message.id)
      const [untimedDelivery] = yield* deliveryOf(tenant, untimed.message.id)
      // The second as an older version left it: pending with no next attempt time.
      yield* storage.transitionDelivery(tenant, untimedDelivery.id, ["pending"], {
        status: "pending",
        nextAttemptAt: null,
        now: yield* Clock.currentTimeMillis
      })
      const ids = [timedDelivery.id, untimedDelivery.id]
      expect(yield* queue.has(ids)).toStrictEqual(new Set())

      // Within the grace period nothing is touched (a publish may be between its writes).
      expect(yield* Sweeper.sweep({ grace: "1 minute" })).toBe(0)
      yield* TestClock.adjust("2 minutes")
      expect(yield* RecordingTransport.requests).toStrictEqual([])
      expect(yield* Sweeper.sweep({ grace: "1 minute" })).toBe(2)
      yield* RecordingTransport.awaitRequests(2)
      const statuses = yield* eventually(
        Effect.forEach(ids, (id) => Effect.map(w.deliveries.get({ tenant, id }), (d) => d.status)),
        (all) => all.every((status) => status === "delivered")
      )
      expect(statuses).toStrictEqual(["delivered", "delivered"])
      const sent = yield* RecordingTransport.requests
      expect(sent.map((r) => r.headers["webhook-id"]).sort()).toStrictEqual(
        [timed.message.id, untimed.message.id].sort()
      )
      // Nothing left to sweep.
      expect(yield* Sweeper.sweep({ grace: "1 minute" })).toBe(0)
    }).pipe(Effect.provide(engine({
      handler: () => ({ status: 204 }),
      wrapQueue: (q) => ({ ...q, enqueue: (items) => (dropEnqueues ? Effect.void : q.enqueue(items)) })
    }))))
})
