/**
 * A manual "retry now" of a pending delivery while a worker is sending it, for every adapter's engine tests: a slow
 * receiver holds the attempt open, `deliveries.retry` is called, then the receiver answers. The retry must be refused
 * with `delivery_in_flight` and leave the worker's claim alone, so the delivery is sent once: re-queueing it would end
 * the worker's lease and let another worker send it a second time.
 *
 * @since 0.3.0
 */
import { expect } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
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
