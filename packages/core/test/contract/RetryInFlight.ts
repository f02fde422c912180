/**
 * A manual "retry now" of a pending delivery while a worker is sending it, for every adapter's engine tests: a slow
 * receiver holds the attempt open, `deliveries.retry` is called, then the receiver answers. The retry must be refused
 * with `delivery_in_flight` and leave the worker's claim alone, so the delivery is sent once: re-queueing it would end
 * the worker's lease and let another worker send it a second time. And two manual retries of one finished delivery
 * at once (`concurrentRetries`): one send, both calls get its result.
 *
 * @since 0.3.0
 */
import { expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as TestServices from "effect/TestServices"
import { InvalidState } from "../../src/Errors.js"
import type * as RecordingTransport from "../../src/RecordingTransport.js"
import * as Webhooks from "../../src/Webhooks.js"

/**
 * A receiver (a `RecordingTransport` handler) that holds every request open until `release` completes, and counts
 * what it was sent.
 *
 * @since 0.3.0
 * @category models
 */
export interface SlowReceiver {
  readonly handler: RecordingTransport.Handler
  /** Completed when the first request arrives. */
  readonly started: Deferred.Deferred<void>
  /** Complete it to let every request, held or later, answer 204. */
  readonly release: Deferred.Deferred<void>
  /** How many requests arrived so far. */
  readonly sends: () => number
}

/**
 * @since 0.3.0
 * @category constructors
 */
export const slowReceiver = (): SlowReceiver => {
  let sends = 0
  const started = Deferred.unsafeMake<void>(FiberId.none)
  const release = Deferred.unsafeMake<void>(FiberId.none)
  return {
    handler: () => {
      sends++
      Deferred.unsafeDone(started, Exit.void)
      return Effect.as(Deferred.await(release), { status: 204 })
    },
    started,
    release,
    sends: () => sends
  }
}

/** Polls on the live clock (the engine may run on a TestClock; its work needs no time to pass), at most 30 s. */
const until = <A, E, R>(what: string, effect: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1_500; i++) {
      const a = yield* effect
      if (done(a)) return a
      yield* TestServices.provideLive(Effect.sleep("20 millis"))
    }
    return yield* Effect.dieMessage(`timed out after 30 s waiting for ${what}`)
  })

/**
 * The scenario, with the dispatcher already running over an engine whose transport is `receiver.handler`: creates an
 * endpoint in `tenant`, publishes `publish` (one delivery), retries it while it is being sent, then lets it answer.
 * Fails the test unless the retry is refused, changes nothing, and the delivery is sent exactly once and recorded
 * delivered.
 *
 * @since 0.3.0
 * @category constructors
 */
export const retryWhileSending = (
  receiver: SlowReceiver,
  input: { readonly tenant: string; readonly type: string; readonly data: unknown }
) =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const { tenant } = input
    yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/slow" })
    const { message } = yield* w.publish({ tenant, type: input.type, data: input.data } as Webhooks.PublishInput)
    yield* Deferred.await(receiver.started)
    const [delivery] = (yield* w.deliveries.list({ tenant, messageId: message.id })).items
    if (delivery?.status !== "pending") {
      return yield* Effect.dieMessage(`expected one pending delivery, got ${JSON.stringify(delivery)}`)
    }

    const refused = yield* Effect.flip(w.deliveries.retry({ tenant, id: delivery.id }))
    expect(refused).toBeInstanceOf(InvalidState)
    expect(refused).toMatchObject({ code: "delivery_in_flight", id: delivery.id })
    // Nothing changed: still pending, no attempt recorded, and nobody else took it.
    expect(yield* w.deliveries.get({ tenant, id: delivery.id })).toMatchObject({ status: "pending", attempts: 0 })

    yield* Deferred.succeed(receiver.release, undefined)
    const done = yield* until(
      "the delivery to be delivered",
      w.deliveries.get({ tenant, id: delivery.id }),
      (d) => d.status !== "pending"
    )
    expect(done).toMatchObject({ status: "delivered", attempts: 1 })
    expect(receiver.sends()).toBe(1)
  }).pipe(
    // Whatever happens, the receiver answers, so the engine can shut down.
    Effect.ensuring(Deferred.succeed(receiver.release, undefined))
  )

/**
 * A receiver that answers its first request (the scheduled delivery) at once with 204 and holds every later one (the
 * manual attempts) open until `release` completes; `started` completes when the first manual attempt arrives.
 *
 * @since 0.4.0
 * @category constructors
 */
export const manualReceiver = (): SlowReceiver => {
  let sends = 0
  const started = Deferred.unsafeMake<void>(FiberId.none)
  const release = Deferred.unsafeMake<void>(FiberId.none)
  return {
    handler: () => {
      sends++
      if (sends === 1) return { status: 204 }
      Deferred.unsafeDone(started, Exit.void)
      return Effect.as(Deferred.await(release), { status: 204 })
    },
    started,
    release,
    sends: () => sends
  }
}

/** Creates an endpoint in `input.tenant`, publishes `input` (one delivery) and waits until it is delivered, once. */
const deliveredOnce = (
  receiver: SlowReceiver,
  input: { readonly tenant: string; readonly type: string; readonly data: unknown }
) =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const { tenant } = input
    yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/manual" })
    const { message } = yield* w.publish({ tenant, type: input.type, data: input.data } as Webhooks.PublishInput)
    const [delivery] = yield* until(
      "the delivery to be delivered",
      Effect.map(w.deliveries.list({ tenant, messageId: message.id }), (page) => page.items),
      ([d]) => d?.status === "delivered"
    )
    expect(receiver.sends()).toBe(1)
    return delivery!
  })

/**
 * The scenario, with the dispatcher running over an engine whose transport is `receiver.handler` (a
 * `manualReceiver`): publishes one delivery and waits until it is delivered, then calls `deliveries.retry` twice at
 * once while the first call's attempt is held open. The second call must wait for the first and return its result;
 * the receiver gets exactly one more request and the delivery two recorded attempts, and it stays delivered.
 *
 * @since 0.4.0
 * @category constructors
 */
export const concurrentRetries = (
  receiver: SlowReceiver,
  input: { readonly tenant: string; readonly type: string; readonly data: unknown }
) =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const { tenant } = input
    const delivery = yield* deliveredOnce(receiver, input)

    const first = yield* Effect.fork(w.deliveries.retry({ tenant, id: delivery.id }))
    yield* Deferred.await(receiver.started)
    const second = yield* Effect.fork(w.deliveries.retry({ tenant, id: delivery.id }))
    // While the first attempt is held open, give a second send every chance to happen (before the fix, the second
    // retry found the delivery pending, queued it due now and returned, and a worker sent it at once): at most 1 s on
    // the live clock, ended early by a third request or the second call returning. Passing never depends on it.
    for (let i = 0; i < 50 && receiver.sends() < 3 && Option.isNone(yield* Fiber.poll(second)); i++) {
      yield* TestServices.provideLive(Effect.sleep("20 millis"))
    }
    expect(receiver.sends()).toBe(2)
    expect(Option.isNone(yield* Fiber.poll(second))).toBe(true)

    yield* Deferred.succeed(receiver.release, undefined)
    const a = yield* Fiber.join(first)
    const b = yield* Fiber.join(second)
    expect(a).toMatchObject({ id: delivery.id, status: "delivered", attempts: 2 })
    expect(b).toStrictEqual(a)
    // Delivered (a worker sends only pending deliveries), and the log has the one manual attempt.
    const attempts = (yield* w.deliveries.attempts({ tenant, deliveryId: delivery.id })).items
    expect(attempts.map((x) => x.trigger).sort()).toStrictEqual(["manual", "scheduled"])
    expect(yield* w.deliveries.get({ tenant, id: delivery.id })).toMatchObject({ status: "delivered", attempts: 2 })
    expect(receiver.sends()).toBe(2)
  }).pipe(Effect.ensuring(Deferred.succeed(receiver.release, undefined)))

/**
 * The scenario across two engines over one store (two processes, as far as the engine can tell: each with its own
 * queue client and no shared memory): `concurrentRetries`' delivery, retried through the running engine, while its
 * manual attempt is held open, through `other`. The second call must be refused with `delivery_in_flight` (the first
 * holds the delivery's queue lease), and the delivery is sent once more in all, not twice.
 *
 * @since 0.7.0
 * @category constructors
 */
export const retriesFromTwoEngines = (
  receiver: SlowReceiver,
  input: { readonly tenant: string; readonly type: string; readonly data: unknown },
  other: Webhooks.Webhooks["Type"]
) =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const { tenant } = input
    const delivery = yield* deliveredOnce(receiver, input)

    const first = yield* Effect.fork(w.deliveries.retry({ tenant, id: delivery.id }))
    yield* Deferred.await(receiver.started)
    // Before the fix, the other engine found the delivery pending, queued it due now and returned it, and a worker
    // sent it a second time while the first send was still open.
    const refused = yield* Effect.flip(other.deliveries.retry({ tenant, id: delivery.id }))
    expect(refused).toBeInstanceOf(InvalidState)
    expect(refused).toMatchObject({ code: "delivery_in_flight", id: delivery.id })
    // Give a second send every chance to happen (at most 1 s on the live clock); passing never depends on it.
    for (let i = 0; i < 50 && receiver.sends() < 3; i++) yield* TestServices.provideLive(Effect.sleep("20 millis"))
    expect(receiver.sends()).toBe(2)

    yield* Deferred.succeed(receiver.release, undefined)
    expect(yield* Fiber.join(first)).toMatchObject({ id: delivery.id, status: "delivered", attempts: 2 })
    const attempts = (yield* w.deliveries.attempts({ tenant, deliveryId: delivery.id })).items
    expect(attempts.map((x) => x.trigger).sort()).toStrictEqual(["manual", "scheduled"])
    // And nothing is left to send it again: a while later, still two sends.
    for (let i = 0; i < 25; i++) yield* TestServices.provideLive(Effect.sleep("20 millis"))
    expect(receiver.sends()).toBe(2)
    expect(yield* other.deliveries.get({ tenant, id: delivery.id })).toMatchObject({ status: "delivered" })
  }).pipe(Effect.ensuring(Deferred.succeed(receiver.release, undefined)))
