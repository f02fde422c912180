/**
 * A slow endpoint with more deliveries due than it can take (issue 16.1): the dispatcher sends the overflow back to
 * the queue for about one of its attempt durations, a moving average. Every time it hands the queue must be whole
 * milliseconds — a store that keeps them as integers (Postgres `bigint`) refuses anything else, and the claim loop
 * stalled every endpoint while it retried. The queue here refuses a fractional time the way such a store does.
 */
import { describe, expect, it } from "@effect/vitest"
import { DeliveryQueue, Errors, RecordingTransport, Webhooks } from "@hookwire/core"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { engine } from "./harness.js"

const tenant = "acme"
type QueueService = Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>

/** The queue, refusing (like a Postgres `bigint` column) any time that is not a whole number of milliseconds. */
const wholeMsOnly = (refused: Array<string>) => (queue: QueueService): QueueService => {
  const check = (what: string, ms: number) => {
    if (Number.isSafeInteger(ms)) return undefined
    refused.push(`${what} ${ms}`)
    return new Errors.QueueError({ code: "unknown", message: `invalid input syntax for type bigint: "${ms}"` })
  }
  const all = (what: string, times: ReadonlyArray<number>) => {
    for (const ms of times) {
      const error = check(what, ms)
      if (error !== undefined) return Effect.fail(error)
    }
    return undefined
  }
  return {
    ...queue,
    enqueue: (items) => all("enqueue runAt", items.map((i) => i.runAt)) ?? queue.enqueue(items),
    claim: (options) => all("claim now/leaseMs", [options.now, options.leaseMs]) ?? queue.claim(options),
    reschedule: (items) => all("reschedule runAt", items.map((i) => i.runAt)) ?? queue.reschedule(items),
    awaitWork: (options) => all("awaitWork now/maxWaitMs", [options.now, options.maxWaitMs]) ?? queue.awaitWork(options)
  }
}

describe("a slow endpoint's overflow", () => {
  const refused: Array<string> = []
  it.effect("goes back to the queue at whole-millisecond times, and every delivery is sent once", () =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant, url: "https://slow.example/webhooks" })
      const publish = (n: number) =>
        Effect.forEach(
          Array.from({ length: n }, (_, i) => i),
          (i) => w.publish({ tenant, type: "invoice.paid", data: { invoiceId: `in_${i}`, amount: i } }),
          { discard: true }
        )
      const delivered = Effect.map(
        w.deliveries.list({ tenant, status: "delivered", limit: 1000 }),
        (page) => page.items.length
      )
      const advanceUntil = (count: number) =>
        Effect.gen(function*() {
          for (let step = 0; step < 2_000 && (yield* delivered) < count; step++) yield* TestClock.adjust("10 millis")
          return yield* delivered
        })
      // Attempts of 150, 151, 152 ms: the endpoint's moving average becomes fractional (150.2, 150.56).
      yield* publish(3)
      expect(yield* advanceUntil(3)).toBe(3)
      // More due than its in-flight cap (2) plus its waiting line (2): the rest goes back to the queue.
      yield* publish(20)
      expect(yield* advanceUntil(23)).toBe(23)
      expect(refused).toStrictEqual([])
      expect(yield* RecordingTransport.requests).toHaveLength(23)
    }).pipe(Effect.provide(engine({
      wrapQueue: wholeMsOnly(refused),
      dispatcher: { perEndpointConcurrency: 2 },
      handler: (_request, index) => Effect.as(Effect.sleep(150 + (index % 3)), { status: 204 })
    }))))
})
