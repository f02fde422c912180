/**
 * The dispatcher survives defects (`Effect.die`: a corrupt row, host code that throws) at every port call it makes:
 * delivery resumes and shutdown completes. Driven by TestClock; every wait is bounded.
 */
import { describe, expect, it } from "@effect/vitest"
import { Dispatcher, RateLimiter, RecordingTransport, Webhooks } from "@hookwire/core"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { deliveryOf, engine, type HarnessOptions } from "./harness.js"

const tenant = "acme"
const url = "https://receiver.example/webhooks"

/** Wraps a port method so that its first `times` runs die (retrying the returned effect runs it again). */
const dieFirst = <Args extends Array<any>, A, E>(
  name: string,
  f: (...args: Args) => Effect.Effect<A, E>,
  times = 1
) => {
  let calls = 0
  return (...args: Args): Effect.Effect<A, E> =>
    Effect.suspend(() => calls++ < times ? Effect.die(new Error(`injected defect in ${name}`)) : f(...args))
}

const statusOf = (messageId: string) => Effect.map(deliveryOf(tenant, messageId), (items) => items[0]!)

/** Moves the TestClock in 100 ms steps until the message's delivery is delivered; fails after `withinMs`. */
const deliveredWithin = (messageId: string, withinMs: number) =>
  Effect.gen(function*() {
    for (let elapsed = 0; elapsed <= withinMs; elapsed += 100) {
      for (let i = 0; i < 50; i++) {
        const delivery = yield* statusOf(messageId)
        if (delivery?.status === "delivered") return delivery
        yield* Effect.yieldNow()
      }
      yield* TestClock.adjust("100 millis")
    }
    return yield* Effect.fail(new Error(`${messageId} not delivered within ${withinMs} ms`))
  })

/** Moves the TestClock in 100 ms steps until the dispatcher has written every result (a retried write too). */
const allWritten = Effect.gen(function*() {
  const dispatcher = yield* Dispatcher.Dispatcher
  for (let elapsed = 0; elapsed <= 10_000; elapsed += 100) {
    for (let i = 0; i < 50; i++) {
      if ((yield* dispatcher.stats).unwritten === 0) return
      yield* Effect.yieldNow()
    }
    yield* TestClock.adjust("100 millis")
  }
  return yield* Effect.fail(new Error("results not all written within 10 s"))
})

const publish = (n: number) =>
  Effect.flatMap(
    Webhooks.Webhooks,
    (w) => w.publish({ tenant, type: "invoice.paid", data: { invoiceId: `in_${n}`, amount: n } })
  )

/**
 * Builds the engine in a scope of its own, creates an endpoint, publishes two messages one after the other and waits
 * for each to be delivered (within 10 s of test time: a lease is 30 s, so waiting for one to expire does not count)
 * and for every result to be written (results are written in concurrent batches: the second delivery's may be written
 * while the first's retries), then closes the scope, which must succeed.
 */
const survives = (options: HarnessOptions, endpoint: Partial<Webhooks.CreateEndpoint> = {}) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    // Every engine built here has a dispatcher (`engine`'s type also covers `dispatcher: false`).
    const context = (yield* Layer.buildWithScope(engine(options), scope)) as Context.Context<
      Layer.Layer.Success<ReturnType<typeof engine>> | Dispatcher.Dispatcher
    >
    const attempts = yield* Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant, url, ...endpoint })
      const first = yield* publish(1)
      yield* deliveredWithin(first.message.id, 10_000)
      const second = yield* publish(2)
      yield* deliveredWithin(second.message.id, 10_000)
      yield* allWritten
      return (yield* w.deliveries.attempts({ tenant, messageId: first.message.id })).items
    }).pipe(Effect.provide(context))
    const closed = yield* Effect.exit(Scope.close(scope, Exit.void))
    expect(Exit.isSuccess(closed)).toBe(true)
    return attempts
  })

describe("Supervision: a defect at a port call the dispatcher makes", () => {
  it.effect("Queue.claim: the claim loop restarts", () =>
    survives({ wrapQueue: (q) => ({ ...q, claim: dieFirst("claim", q.claim) }) }))

  it.effect("Storage.loadForDispatch: the claim loop restarts and the deliveries are claimed again", () =>
    survives({ wrapStorage: (s) => ({ ...s, loadForDispatch: dieFirst("loadForDispatch", s.loadForDispatch) }) }))

  it.effect("Storage.recordAttempts: the write is retried, the delivery is sent once", () =>
    Effect.gen(function*() {
      const attempts = yield* survives({
        wrapStorage: (s) => ({ ...s, recordAttempts: dieFirst("recordAttempts", s.recordAttempts) })
      })
      expect(attempts).toHaveLength(1)
    }))

  it.effect("Queue.complete: the write is retried", () =>
    survives({ wrapQueue: (q) => ({ ...q, complete: dieFirst("complete", q.complete) }) }))

  it.effect("Queue.reschedule: the write is retried", () =>
    Effect.gen(function*() {
      const attempts = yield* survives({
        handler: (_, index) => index === 0 ? { status: 500 } : { status: 204 },
        wrapQueue: (q) => ({ ...q, reschedule: dieFirst("reschedule", q.reschedule) })
      })
      expect(attempts.map((a) => a.responseStatus)).toStrictEqual([500, 204])
    }))

  it.effect("Storage.patchEndpoint (endpoint health): the update is retried", () =>
    Effect.gen(function*() {
      const attempts = yield* survives({
        handler: (_, index) => index === 0 ? { status: 500 } : { status: 204 },
        wrapStorage: (s) => ({ ...s, patchEndpoint: dieFirst("patchEndpoint", s.patchEndpoint) })
      })
      expect(attempts.map((a) => a.responseStatus)).toStrictEqual([500, 204])
    }))

  it.effect("RateLimiter: a limiter that dies is waited out", () => {
    const limiter = RateLimiter.RateLimiter.of({ take: dieFirst("RateLimiter.take", () => Effect.succeed(0), 3) })
    return survives({ rateLimiter: limiter }, { rateLimit: { perSecond: 100 } })
  })

  it.effect("Transport: the defect is recorded as an attempt (unknown, no secret) and retried per policy", () =>
    Effect.gen(function*() {
      const secret = `whsec_${Buffer.alloc(24, 7).toString("base64")}`
      const attempts = yield* survives({
        // Host code that leaks the secret into its error: the attempt's record must not show it.
        handler: (_, index) =>
          index === 0 ? Effect.die(new Error(`transport exploded (signed with ${secret})`)) : { status: 204 }
      }, { secret })
      expect(attempts).toHaveLength(2)
      expect(attempts[0]).toMatchObject({ attempt: 1, errorKind: "unknown", responseStatus: null })
      expect(attempts[0]!.errorMessage).toContain("transport exploded")
      expect(attempts[0]!.errorMessage).not.toContain(secret.slice(6))
      // The engine's retry policy (5 s, then 10 s): the second attempt follows the first by 5 s.
      expect(attempts[1]!.startedAt.getTime() - attempts[0]!.startedAt.getTime()).toBe(5_000)
    }))
})

/**
 * Two messages to one endpoint with an in-flight cap of 1 and a receiver that never answers: at shutdown the first is
 * in flight (interrupted after the grace period, then released) and the second waits in line (released at once).
 */
const stuckAtShutdown = (options: HarnessOptions) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(
      engine({
        handler: () => Effect.never,
        ...options,
        dispatcher: { perEndpointConcurrency: 1, shutdownGrace: "1 second", ...options.dispatcher }
      }),
      scope
    )
    yield* Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant, url })
      yield* publish(1)
      yield* publish(2)
      yield* RecordingTransport.awaitRequests(1)
      // Both claimed: one in flight, one in line.
      const dispatcher = yield* Dispatcher.Dispatcher
      for (let i = 0; i < 2_000 && (yield* dispatcher.stats).waiting < 1; i++) yield* Effect.yieldNow()
    }).pipe(
      Effect.provide(
        context as Context.Context<Dispatcher.Dispatcher | Webhooks.Webhooks | RecordingTransport.RecordingTransport>
      )
    )
    const closing = yield* Effect.fork(Effect.exit(Scope.close(scope, Exit.void)))
    for (let i = 0; i < 200 && closing.unsafePoll() === null; i++) {
      yield* TestClock.adjust("100 millis")
      for (let j = 0; j < 20; j++) yield* Effect.yieldNow()
    }
    const closed = closing.unsafePoll()
    expect(closed, "Scope.close did not finish within 20 s of test time").not.toBeNull()
    expect(Exit.isSuccess(Exit.flatten(closed!))).toBe(true)
  })

describe("Supervision: shutdown", () => {
  it.effect("a Queue.release that dies does not fail Scope.close", () =>
    stuckAtShutdown({ wrapQueue: (q) => ({ ...q, release: dieFirst("release", q.release, 10) }) }))

  it.effect("a Queue.release that never answers holds Scope.close only until the shutdown deadline", () =>
    stuckAtShutdown({
      wrapQueue: (q) => ({ ...q, release: () => Effect.never }),
      dispatcher: { shutdownTimeout: "5 seconds" }
    }))
})
