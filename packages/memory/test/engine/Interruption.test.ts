/**
 * Operations that write twice (storage, then queue) or write around an HTTP send, interrupted at each step — as an
 * HTTP server interrupts a handler whose client disconnected: no delivery is ever left pending with nothing to send
 * it (not queued). No dispatcher runs here, so "queued" is read straight from the queue.
 */
import { describe, expect, it } from "@effect/vitest"
import { DeliveryQueue, RecordingTransport, Storage, Sweeper, Webhooks } from "@hookwire/core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as TestClock from "effect/TestClock"
import { engine } from "./harness.js"

const tenant = "acme"
const url = "https://receiver.example/webhooks"

/** A point an operation stops at (after a write, or in the receiver), until the test lets it go on. */
const makeGate = () => {
  const reached = Deferred.unsafeMake<void>(FiberId.none)
  const opened = Deferred.unsafeMake<void>(FiberId.none)
  let armed = false
  return {
    arm: () => {
      armed = true
    },
    /** Runs `write`, then (when armed, once) stops until opened. */
    after: <A, E>(write: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.tap(write, () => {
        if (!armed) return Effect.void
        armed = false
        return Effect.zipRight(Deferred.succeed(reached, undefined), Deferred.await(opened))
      }),
    /** Forks `operation`, waits for the gate, interrupts the operation there, lets it go on, and awaits its end. */
    interruptAt: <A, E, R>(operation: Effect.Effect<A, E, R>) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(operation)
        yield* Deferred.await(reached)
        yield* Fiber.interruptFork(fiber)
        yield* Deferred.succeed(opened, undefined)
        return yield* Fiber.await(fiber)
      })
  }
}

/** Whether every pending delivery of the tenant is in the queue (and how many are pending). */
const nothingStranded = Effect.gen(function*() {
  const w = yield* Webhooks.Webhooks
  const queue = yield* DeliveryQueue.DeliveryQueue
  const pending = (yield* w.deliveries.list({ tenant, status: "pending", limit: 100 })).items
  const held = yield* queue.has(pending.map((d) => d.id))
  return { pending: pending.length, stranded: pending.filter((d) => !held.has(d.id)).map((d) => d.id) }
})

/** One failed delivery (its attempts spent, out of the queue), for retry and recover. */
const failedDelivery = Effect.gen(function*() {
  const w = yield* Webhooks.Webhooks
  const storage = yield* Storage.Storage
  const queue = yield* DeliveryQueue.DeliveryQueue
  const endpoint = yield* w.endpoints.create({ tenant, url })
  const { message } = yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } })
  const [delivery] = (yield* w.deliveries.list({ tenant, messageId: message.id })).items
  yield* storage.transitionDelivery(tenant, delivery!.id, ["pending"], {
    status: "failed",
    nextAttemptAt: null,
    now: 0
  })
  yield* queue.remove([delivery!.id])
  return { endpoint, delivery: delivery! }
})

describe("interrupted between writes, nothing is stranded", () => {
  it.effect("publish, between inserting and enqueueing", () => {
    const gate = makeGate()
    return Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant, url })
      gate.arm()
      yield* gate.interruptAt(w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } }))
      expect(yield* nothingStranded).toStrictEqual({ pending: 1, stranded: [] })
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      wrapStorage: (s) => ({ ...s, insertMessage: (m, d) => gate.after(s.insertMessage(m, d)) })
    })))
  })

  it.effect("publishMany, between inserting and enqueueing", () => {
    const gate = makeGate()
    return Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant, url })
      gate.arm()
      yield* gate.interruptAt(w.publishMany([
        { tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } },
        { tenant, type: "invoice.paid", data: { invoiceId: "in_2", amount: 2 } }
      ]))
      expect(yield* nothingStranded).toStrictEqual({ pending: 2, stranded: [] })
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      wrapStorage: (s) => ({
        ...s,
        insertMessage: (m, d) => gate.after(s.insertMessage(m, d)),
        insertMessages: s.insertMessages === undefined ? undefined : (batch) => gate.after(s.insertMessages!(batch))
      })
    })))
  })

  it.effect("recover, between moving the deliveries back to pending and enqueueing them", () => {
    const gate = makeGate()
    return Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const { endpoint } = yield* failedDelivery
      gate.arm()
      yield* gate.interruptAt(w.deliveries.recover({ tenant, endpointId: endpoint.id, since: 0 }))
      expect(yield* nothingStranded).toStrictEqual({ pending: 1, stranded: [] })
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      wrapStorage: (s) => ({
        ...s,
        transitionEndpointDeliveries: (t, e, o) => gate.after(s.transitionEndpointDeliveries(t, e, o))
      })
    })))
  })

  it.effect("retry, right after claiming the delivery: it goes to the queue, due at once", () => {
    const gate = makeGate()
    return Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const { delivery } = yield* failedDelivery
      gate.arm()
      yield* gate.interruptAt(w.deliveries.retry({ tenant, id: delivery.id }))
      expect(yield* nothingStranded).toStrictEqual({ pending: 1, stranded: [] })
      const claimed = yield* Effect.flatMap(
        DeliveryQueue.DeliveryQueue,
        (q) => q.claim({ max: 10, leaseMs: 1000, now: 0 })
      )
      expect(claimed.map((c) => c.id)).toStrictEqual([delivery.id])
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      wrapStorage: (s) => ({
        ...s,
        transitionDelivery: (t, id, from, to) => gate.after(s.transitionDelivery(t, id, from, to))
      })
    })))
  })

  it.effect("retry, while the request is in flight: it goes to the queue, due at once", () => {
    let calls = 0
    return Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const { delivery } = yield* failedDelivery
      const fiber = yield* Effect.fork(w.deliveries.retry({ tenant, id: delivery.id }))
      yield* RecordingTransport.awaitRequests(1)
      yield* Fiber.interrupt(fiber)
      expect(yield* nothingStranded).toStrictEqual({ pending: 1, stranded: [] })
      expect((yield* w.deliveries.get({ tenant, id: delivery.id })).nextAttemptAt?.getTime()).toBe(0)
      expect(calls).toBe(1)
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      handler: () => {
        calls++
        return Effect.never
      }
    })))
  })

  it.effect("retry, between the response and recording it: the result is recorded", () => {
    const gate = makeGate()
    return Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const { delivery } = yield* failedDelivery
      gate.arm()
      yield* gate.interruptAt(
        Effect.zipRight(Effect.void, w.deliveries.retry({ tenant, id: delivery.id }))
      )
      expect(yield* w.deliveries.get({ tenant, id: delivery.id })).toMatchObject({ status: "delivered", attempts: 1 })
      expect(yield* nothingStranded).toStrictEqual({ pending: 0, stranded: [] })
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      handler: () => ({ status: 204 }),
      wrapStorage: (s) => ({
        ...s,
        // Stop right before the write of the result: interrupted there, the old code never wrote it.
        recordAttempts: (results) => Effect.zipRight(gate.after(Effect.void), s.recordAttempts(results))
      })
    })))
  })
})

describe("a manual retry whose process dies mid-request", () => {
  it.effect("leaves its delivery queued under the attempt's lease, claimed by a worker once the hold has passed", () =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const queue = yield* DeliveryQueue.DeliveryQueue
      const { delivery } = yield* failedDelivery
      // The result is never written and nothing interrupts the retry: as far as storage knows, the process died. (A
      // daemon: the test does not wait for a retry that never ends.)
      yield* Effect.forkDaemon(w.deliveries.retry({ tenant, id: delivery.id }))
      yield* RecordingTransport.awaitRequests(1)
      // Never stranded: queued, and held for the manual attempt (no worker claims it, the sweeper has nothing to do).
      expect(yield* nothingStranded).toStrictEqual({ pending: 1, stranded: [] })
      const claim = Effect.flatMap(
        TestClock.currentTimeMillis,
        (now) => queue.claim({ max: 10, leaseMs: 30_000, now })
      )
      expect(yield* claim).toStrictEqual([])
      yield* TestClock.adjust("1 minute")
      expect(yield* claim).toStrictEqual([])
      expect(yield* Sweeper.sweep({ grace: "30 seconds" })).toBe(0)
      // The hold (`HOLD_MS`, 2 minutes) has passed: the delivery is due, for a worker to attempt.
      yield* TestClock.adjust("1 minute")
      expect(yield* claim).toMatchObject([{ id: delivery.id, claims: 2 }])
    }).pipe(Effect.provide(engine({
      dispatcher: false,
      wrapStorage: (s) => ({ ...s, recordAttempts: () => Effect.never })
    }))))
})
