import { describe, expect, it } from "@effect/vitest"
import { Dispatcher, Errors, OperationalEvents, RecordingTransport, RetryPolicy, Webhooks } from "@hookwire/core"
import * as Verify from "@hookwire/verify"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { deliveryOf, engine, eventually } from "./harness.js"

const W = Webhooks.Webhooks
const url = "https://receiver.example/webhooks"
const tenant = "acme"

const setup = (input: Partial<Webhooks.CreateEndpoint> = {}) =>
  Effect.gen(function*() {
    const w = yield* W
    const endpoint = yield* w.endpoints.create({ tenant, url, ...input })
    return { w, endpoint, secret: Redacted.value(endpoint.secret) }
  })

const publishOne = Effect.flatMap(
  W,
  (w) => w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 10 } })
)

const statusOf = (messageId: string) => Effect.map(deliveryOf(tenant, messageId), (items) => items[0]!)

const settle = (messageId: string, status: Webhooks.Delivery["status"]) =>
  eventually(statusOf(messageId), (d) => d.status === status)

describe("Dispatcher", () => {
  it.effect("delivers a signed request that verifies with @hookwire/verify", () =>
    Effect.gen(function*() {
      const { secret } = yield* setup({ headers: { "x-tenant": "acme" } })
      const { message } = yield* publishOne
      const [request] = yield* RecordingTransport.awaitRequests(1)
      expect(request!.url).toBe(url)
      expect(request!.body).toBe(message.body)
      expect(request!.headers).toMatchObject({
        "content-type": "application/json",
        "webhook-id": message.id,
        "x-tenant": "acme"
      })
      expect(request!.headers["user-agent"]).toMatch(/^Hookwire\//)
      expect(Object.keys(request!.headers).some((h) => h === "traceparent" || h.startsWith("x-b3") || h === "b3"))
        .toBe(false)
      const verified = Verify.verify(request!.body, request!.headers, { secret, now: () => request!.at })
      expect(verified.id).toBe(message.id)
      const delivery = yield* settle(message.id, "delivered")
      expect(delivery).toMatchObject({ attempts: 1, lastResponseStatus: 204, nextAttemptAt: null })
      const attempts = yield* (yield* W).deliveries.attempts({ tenant, deliveryId: delivery.id })
      expect(attempts.items).toHaveLength(1)
      expect(attempts.items[0]).toMatchObject({
        attempt: 1,
        trigger: "scheduled",
        responseStatus: 204,
        errorKind: null
      })
    }).pipe(Effect.provide(engine())))

  it.scoped("retries on the policy's schedule with TestClock, then fails for good", () =>
    Effect.gen(function*() {
      yield* setup()
      const events = yield* Effect.flatMap(OperationalEvents.OperationalEvents, (e) => e.subscribe)
      const failed = yield* Effect.fork(Stream.runHead(Stream.filter(events, (e) => e.type === "delivery.failed")))
      const { message } = yield* publishOne
      yield* RecordingTransport.awaitRequests(1)
      const afterFirst = yield* eventually(statusOf(message.id), (d) => d.attempts === 1)
      expect(afterFirst.status).toBe("pending")
      expect(afterFirst.nextAttemptAt!.getTime()).toBe(5_000)
      yield* TestClock.adjust("4999 millis")
      expect(yield* RecordingTransport.requests).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      const [first, second] = yield* RecordingTransport.awaitRequests(2)
      // The id is stable across retries; the timestamp is the attempt's.
      expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"])
      expect(second!.headers["webhook-timestamp"]).toBe("5")
      const afterSecond = yield* eventually(statusOf(message.id), (d) => d.attempts === 2)
      expect(afterSecond.nextAttemptAt!.getTime()).toBe(15_000)
      yield* TestClock.adjust("10 seconds")
      yield* RecordingTransport.awaitRequests(3)
      const final = yield* settle(message.id, "failed")
      expect(final).toMatchObject({ attempts: 3, lastResponseStatus: 500, nextAttemptAt: null })
      const event = yield* Fiber.join(failed)
      expect(event._tag === "Some" && event.value).toMatchObject({ type: "delivery.failed", attempts: 3 })
      yield* TestClock.adjust("1 hour")
      expect(yield* RecordingTransport.requests).toHaveLength(3)
    }).pipe(Effect.provide(engine({ handler: () => ({ status: 500, body: "boom" }) }))))

  it.effect("a results write that fails is retried on the storage schedule (50 ms, 100 ms, …) until it is written", () => {
    let failing = 2
    const writes: Array<number> = []
    return Effect.gen(function*() {
      yield* setup()
      const { message } = yield* publishOne
      yield* RecordingTransport.awaitRequests(1)
      const writesAt = (n: number) => eventually(Effect.sync(() => writes.length), (count) => count === n)
      yield* writesAt(1)
      yield* TestClock.adjust("49 millis")
      expect(writes).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      yield* writesAt(2)
      yield* TestClock.adjust("99 millis")
      expect(writes).toHaveLength(2)
      expect((yield* statusOf(message.id)).status).toBe("pending")
      yield* TestClock.adjust("1 millis")
      yield* writesAt(3)
      expect(writes).toStrictEqual([0, 50, 150])
      // Written once, on the third try: one attempt, delivered; the receiver was called once.
      const delivery = yield* settle(message.id, "delivered")
      expect(delivery.attempts).toBe(1)
      expect(yield* RecordingTransport.requests).toHaveLength(1)
    }).pipe(Effect.provide(engine({
      wrapStorage: (storage) => ({
        ...storage,
        recordAttempts: (results) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            writes.push(now)
            return failing-- > 0
              ? Effect.fail(new Errors.StorageError({ code: "connection", message: "connection lost" }))
              : storage.recordAttempts(results)
          })
      })
    })))
  })

  describe("results written as plain calls (SyncableWrite.unsafeSync)", () => {
    // The memory store's own `recordAttempts`, counting how it is called; `fail` makes the plain call throw.
    const counted = (calls: { effect: number; sync: number }, fail: () => boolean) =>
      engine({
        wrapStorage: (storage) => ({
          ...storage,
          recordAttempts: Object.assign((results: Parameters<typeof storage.recordAttempts>[0]) => {
            calls.effect++
            return storage.recordAttempts(results)
          }, {
            unsafeSync: (results: Parameters<typeof storage.recordAttempts>[0]) => {
              calls.sync++
              if (fail()) throw new Error("injected defect in unsafeSync")
              storage.recordAttempts.unsafeSync!(results)
            }
          })
        })
      })

    it.effect("the memory store's results are written without an effect", () => {
      const calls = { effect: 0, sync: 0 }
      return Effect.gen(function*() {
        yield* setup()
        const { message } = yield* publishOne
        const delivery = yield* settle(message.id, "delivered")
        expect(calls).toStrictEqual({ effect: 0, sync: 1 })
        const attempts = yield* (yield* W).deliveries.attempts({ tenant, deliveryId: delivery.id })
        expect(attempts.items).toHaveLength(1)
      }).pipe(Effect.provide(counted(calls, () => false)))
    })

    it.effect("a plain write that throws is written again on a fiber: delivered, recorded once", () => {
      const calls = { effect: 0, sync: 0 }
      return Effect.gen(function*() {
        yield* setup()
        const { message } = yield* publishOne
        const delivery = yield* settle(message.id, "delivered")
        expect(calls).toStrictEqual({ effect: 1, sync: 1 })
        const attempts = yield* (yield* W).deliveries.attempts({ tenant, deliveryId: delivery.id })
        expect(attempts.items).toHaveLength(1)
        expect(yield* RecordingTransport.requests).toHaveLength(1)
      }).pipe(Effect.provide(counted(calls, () => true)))
    })
  })

  it.effect("a 3xx is a failure (redirects are not followed)", () =>
    Effect.gen(function*() {
      yield* setup()
      const { message } = yield* publishOne
      const d = yield* eventually(statusOf(message.id), (d) => d.attempts === 1)
      expect(d).toMatchObject({ status: "pending", lastResponseStatus: 301 })
    }).pipe(Effect.provide(engine({ handler: () => ({ status: 301, headers: { location: "https://elsewhere/" } }) }))))

  it.effect("429 with Retry-After waits at least that long (and at least 60 s)", () =>
    Effect.gen(function*() {
      yield* setup()
      const { message } = yield* publishOne
      const d = yield* eventually(statusOf(message.id), (d) => d.attempts === 1)
      expect(d.nextAttemptAt!.getTime()).toBe(120_000)
      yield* TestClock.adjust("119 seconds")
      expect(yield* RecordingTransport.requests).toHaveLength(1)
      yield* TestClock.adjust("1 second")
      yield* RecordingTransport.awaitRequests(2)
      yield* settle(message.id, "delivered")
    }).pipe(Effect.provide(engine({
      handler: (_request, index) => (index === 0 ? { status: 429, headers: { "Retry-After": "120" } } : { status: 200 })
    }))))

  it.effect("records transport errors by kind and retries them", () =>
    Effect.gen(function*() {
      yield* setup()
      const { message } = yield* publishOne
      const d = yield* eventually(statusOf(message.id), (d) => d.attempts === 1)
      expect(d).toMatchObject({ status: "pending", lastError: "timeout", lastResponseStatus: null })
      const [attempt] = (yield* (yield* W).deliveries.attempts({ tenant, messageId: message.id })).items
      expect(attempt).toMatchObject({ errorKind: "timeout", responseStatus: null })
    }).pipe(Effect.provide(engine({
      handler: () => new Errors.TransportError({ code: "timeout", message: "no response within 15000 ms" })
    }))))

  it.effect("a blocked address fails at once, without retries", () =>
    Effect.gen(function*() {
      yield* setup()
      const { message } = yield* publishOne
      const d = yield* settle(message.id, "failed")
      expect(d).toMatchObject({ attempts: 1, lastError: "blocked" })
    }).pipe(Effect.provide(engine({
      handler: () => new Errors.TransportError({ code: "blocked", message: "loopback address" })
    }))))

  it.scoped("410 Gone disables the endpoint and cancels its pending deliveries", () =>
    Effect.gen(function*() {
      const { endpoint, w } = yield* setup()
      const events = yield* Effect.flatMap(OperationalEvents.OperationalEvents, (e) => e.subscribe)
      const disabledEvent = yield* Effect.fork(
        Stream.runHead(Stream.filter(events, (e) => e.type === "endpoint.disabled"))
      )
      const first = yield* publishOne
      yield* RecordingTransport.awaitRequests(1)
      const ep = yield* eventually(w.endpoints.get({ tenant, id: endpoint.id }), (e) => e.disabled)
      expect(ep.disabledReason).toContain("410")
      expect((yield* statusOf(first.message.id)).status).toBe("failed")
      expect(Option(yield* Fiber.join(disabledEvent))).toMatchObject({
        type: "endpoint.disabled",
        endpointId: endpoint.id
      })
      // A new message no longer goes to the disabled endpoint.
      expect((yield* publishOne).deliveries).toBe(0)
    }).pipe(Effect.provide(engine({ handler: () => ({ status: 410 }) }))))

  it.effect("410 cancels the other pending deliveries of the endpoint", () =>
    Effect.gen(function*() {
      const { w } = yield* setup()
      const gate = yield* Deferred.make<void>()
      yield* (yield* RecordingTransport.RecordingTransport).setHandler((_r, index) =>
        index === 0 ? Effect.as(Deferred.await(gate), { status: 410 }) : { status: 204 }
      )
      const first = yield* publishOne
      yield* RecordingTransport.awaitRequests(1)
      // While the first attempt hangs, queue more with a later due time by failing them once... simpler: publish now
      // with the endpoint at its in-flight cap of 1, so they wait.
      const others = yield* Effect.all([publishOne, publishOne])
      yield* Deferred.succeed(gate, undefined)
      yield* settle(first.message.id, "failed")
      for (const o of others) {
        const d = yield* eventually(statusOf(o.message.id), (d) => d.status !== "pending")
        expect(d.status).toBe("cancelled")
      }
      expect((yield* w.deliveries.list({ tenant, status: "cancelled" })).items).toHaveLength(2)
    }).pipe(Effect.provide(engine({ dispatcher: { perEndpointConcurrency: 1 } }))))

  it.effect("signs with the old and the new secret during the grace period, only the new one after", () =>
    Effect.gen(function*() {
      const { endpoint, secret: oldSecret, w } = yield* setup()
      const rotated = yield* w.endpoints.rotateSecret({ tenant, id: endpoint.id, grace: "1 hour" })
      const newSecret = Redacted.value(rotated.secret)
      yield* publishOne
      const [during] = yield* RecordingTransport.awaitRequests(1)
      expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2)
      const opts = { now: () => during!.at }
      expect(() => Verify.verify(during!.body, during!.headers, { secret: oldSecret, ...opts })).not.toThrow()
      expect(() => Verify.verify(during!.body, during!.headers, { secret: newSecret, ...opts })).not.toThrow()
      yield* TestClock.adjust("61 minutes")
      yield* publishOne
      const [, after] = yield* RecordingTransport.awaitRequests(2)
      expect(after!.headers["webhook-signature"]!.split(" ")).toHaveLength(1)
      expect(() => Verify.verify(after!.body, after!.headers, { secret: newSecret, now: () => after!.at })).not
        .toThrow()
      expect(() => Verify.verify(after!.body, after!.headers, { secret: oldSecret, now: () => after!.at })).toThrow(
        Verify.WebhookVerificationError
      )
    }).pipe(Effect.provide(engine())))

  it.effect("a per-endpoint retry policy overrides the engine's", () =>
    Effect.gen(function*() {
      yield* setup({ retryPolicy: RetryPolicy.none })
      const { message } = yield* publishOne
      expect(yield* settle(message.id, "failed")).toMatchObject({ attempts: 1 })
    }).pipe(Effect.provide(engine({ handler: () => ({ status: 503 }) }))))

  it.effect("retry now: one manual attempt for a failed delivery", () =>
    Effect.gen(function*() {
      const { w } = yield* setup({ retryPolicy: RetryPolicy.none })
      const { message } = yield* publishOne
      const failed = yield* settle(message.id, "failed")
      yield* (yield* RecordingTransport.RecordingTransport).setHandler(() => ({ status: 200, body: "ok" }))
      const retried = yield* w.deliveries.retry({ tenant, id: failed.id })
      expect(retried).toMatchObject({ status: "delivered", attempts: 2, lastResponseStatus: 200 })
      const attempts = (yield* w.deliveries.attempts({ tenant, deliveryId: failed.id })).items
      expect(attempts.map((a) => a.trigger)).toEqual(["scheduled", "manual"])
      expect(attempts[1]!.responseBody).toBe("ok")
    }).pipe(Effect.provide(engine({ handler: () => ({ status: 500 }) }))))

  it.effect("recover re-enqueues the endpoint's failed deliveries since a time", () =>
    Effect.gen(function*() {
      const { endpoint, w } = yield* setup({ retryPolicy: RetryPolicy.none })
      const a = yield* publishOne
      const b = yield* publishOne
      yield* settle(a.message.id, "failed")
      yield* settle(b.message.id, "failed")
      yield* (yield* RecordingTransport.RecordingTransport).setHandler(() => ({ status: 204 }))
      const { recovered } = yield* w.deliveries.recover({ tenant, endpointId: endpoint.id, since: new Date(0) })
      expect(recovered).toBe(2)
      yield* settle(a.message.id, "delivered")
      yield* settle(b.message.id, "delivered")
    }).pipe(Effect.provide(engine({ handler: () => ({ status: 500 }) }))))

  it.effect("a delivery whose endpoint was disabled meanwhile fails with the reason", () =>
    Effect.gen(function*() {
      const { endpoint, w } = yield* setup()
      const { message } = yield* publishOne
      yield* eventually(statusOf(message.id), (d) => d.attempts === 1)
      yield* w.endpoints.disable({ tenant, id: endpoint.id, reason: "maintenance" })
      yield* TestClock.adjust("5 seconds")
      const d = yield* settle(message.id, "failed")
      expect(d.attempts).toBe(1)
    }).pipe(Effect.provide(engine({ handler: () => ({ status: 500 }) }))))

  it.effect("holds global concurrency and the per-endpoint in-flight cap", () =>
    Effect.gen(function*() {
      const w = yield* W
      const gate = yield* Deferred.make<void>()
      let inFlight = 0
      let peak = 0
      const perEndpoint = new Map<string, number>()
      let peakPerEndpoint = 0
      yield* (yield* RecordingTransport.RecordingTransport).setHandler((request) =>
        Effect.gen(function*() {
          inFlight++
          peak = Math.max(peak, inFlight)
          const n = (perEndpoint.get(request.url) ?? 0) + 1
          perEndpoint.set(request.url, n)
          peakPerEndpoint = Math.max(peakPerEndpoint, n)
          yield* Deferred.await(gate)
          inFlight--
          perEndpoint.set(request.url, perEndpoint.get(request.url)! - 1)
          return { status: 204 }
        })
      )
      for (let i = 0; i < 3; i++) yield* w.endpoints.create({ tenant, url: `https://r${i}.example/hook` })
      for (let i = 0; i < 10; i++) yield* publishOne
      yield* RecordingTransport.awaitRequests(5)
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
      expect(inFlight).toBe(5)
      yield* Deferred.succeed(gate, undefined)
      yield* eventually(w.deliveries.list({ tenant, status: "delivered", limit: 100 }), (p) => p.items.length === 30)
      expect(peak).toBe(5)
      expect(peakPerEndpoint).toBe(2)
    }).pipe(Effect.provide(engine({ dispatcher: { concurrency: 5, perEndpointConcurrency: 2 } }))))

  it.effect("gives every global slot back: after a saturated endpoint drains, nothing stays occupied", () =>
    Effect.gen(function*() {
      const w = yield* W
      const dispatcher = yield* Dispatcher.Dispatcher
      yield* w.endpoints.create({ tenant, url })
      yield* w.endpoints.create({ tenant, url: "https://other.example/hook" })
      // 2 endpoints × 40 messages with an in-flight cap of 1 and 4 slots: deliveries queue in the waiting line and
      // are handed freed slots over and over.
      for (let i = 0; i < 40; i++) yield* publishOne
      const delivered = yield* eventually(
        w.deliveries.list({ tenant, status: "delivered", limit: 100 }),
        (p) => p.items.length === 80,
        20_000
      )
      expect(delivered.items).toHaveLength(80)
      const stats = yield* eventually(dispatcher.stats, (s) => s.inFlight === 0 && s.unwritten === 0)
      expect(stats).toMatchObject({ occupied: 0, inFlight: 0, waiting: 0, unwritten: 0 })
    }).pipe(Effect.provide(
      engine({
        handler: () => Effect.as(Effect.yieldNow(), { status: 204 }),
        dispatcher: { concurrency: 4, perEndpointConcurrency: 1 }
      }) as Layer.Layer<Webhooks.Webhooks | Dispatcher.Dispatcher | RecordingTransport.RecordingTransport>
    )))

  it.effect("fans out to 1,000 endpoints and delivers them all", () =>
    Effect.gen(function*() {
      const w = yield* W
      for (let i = 0; i < 1000; i++) yield* w.endpoints.create({ tenant, url: `https://r${i}.example/hook` })
      const { deliveries } = yield* publishOne
      expect(deliveries).toBe(1000)
      yield* RecordingTransport.awaitRequests(1000)
      const delivered = yield* eventually(
        w.deliveries.list({ tenant, status: "delivered", limit: 1000 }),
        (p) => p.items.length === 1000
      )
      expect(delivered.items).toHaveLength(1000)
    }).pipe(Effect.provide(engine())))

  it.live("shutdown lets in-flight attempts finish within the grace period", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        engine({
          handler: () => Effect.as(Effect.sleep("100 millis"), { status: 204 }),
          dispatcher: { shutdownGrace: "5 seconds" }
        }),
        scope
      )
      const run = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, context) as Effect.Effect<A, E>
      yield* run(setup())
      const { message } = yield* run(publishOne)
      yield* run(RecordingTransport.awaitRequests(1))
      yield* Scope.close(scope, Exit.void)
      // The attempt finished and its result was written before close returned.
      const d = yield* run(statusOf(message.id))
      expect(d.status).toBe("delivered")
    }))

  it.live("shutdown past the grace period leaves a sent delivery leased: claimable when its lease expires, not before", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        engine({
          handler: () => Effect.as(Effect.never, { status: 204 }),
          dispatcher: { shutdownGrace: "50 millis" }
        }),
        scope
      )
      const run = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, context) as Effect.Effect<A, E>
      yield* run(setup())
      const { message } = yield* run(publishOne)
      yield* run(RecordingTransport.awaitRequests(1))
      yield* Scope.close(scope, Exit.void)
      const d = yield* run(statusOf(message.id))
      expect(d).toMatchObject({ status: "pending", attempts: 0 })
      // The receiver may have the request: another worker must not send it again at once (issue 16.2), only once the
      // lease (30 s here) is over.
      const { DeliveryQueue } = yield* Effect.promise(() => import("@hookwire/core"))
      const claim = (now: number) =>
        run(Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.claim({ max: 10, leaseMs: 1000, now })))
      expect(yield* claim(Date.now())).toEqual([])
      const claimed = yield* claim(Date.now() + 30_000)
      expect(claimed.map((c) => c.id)).toEqual([d.id])
    }))
})

const Option = <A>(o: { _tag: "Some"; value: A } | { _tag: "None" }) => (o._tag === "Some" ? o.value : undefined)
