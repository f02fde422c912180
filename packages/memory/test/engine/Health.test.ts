import { describe, expect, it } from "@effect/vitest"
import { OperationalEvents, RecordingTransport, RetryPolicy, Webhooks } from "@hookwire/core"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { engine, eventually } from "./harness.js"

const W = Webhooks.Webhooks
const tenant = "acme"
const url = "https://receiver.example/hook"
const day = 86_400_000

/** Collects operational events into a queue for the rest of the test. */
const collect = Effect.gen(function*() {
  const events = yield* Effect.flatMap(OperationalEvents.OperationalEvents, (e) => e.subscribe)
  const queue = yield* Queue.unbounded<OperationalEvents.OperationalEvent>()
  yield* Effect.forkScoped(Stream.runForEach(events, (e) => Queue.offer(queue, e)))
  yield* Effect.yieldNow()
  return {
    all: Effect.map(Queue.takeAll(queue), Chunk.toReadonlyArray),
    queue
  }
})

const seen: Array<OperationalEvents.OperationalEvent> = []
const typesOf = (collector: { all: Effect.Effect<ReadonlyArray<OperationalEvents.OperationalEvent>> }) =>
  Effect.map(collector.all, (events) => {
    seen.push(...events)
    return seen.map((e) => e.type)
  })

const publish = (n = 1) =>
  Effect.flatMap(
    W,
    (w) =>
      Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) =>
        w.publish({ tenant, type: "customer.created", data: { id: `c${i}` } }))
  )

const idOf = (request: RecordingTransport.RecordedRequest) => request.headers["webhook-id"]

describe("endpoint health", () => {
  it.scoped("an endpoint failing without a success for 5 days is disabled; a success resets the clock", () =>
    Effect.gen(function*() {
      seen.length = 0
      const w = yield* W
      const events = yield* collect
      const recorder = yield* RecordingTransport.RecordingTransport
      const endpoint = yield* w.endpoints.create({ tenant, url })
      const [{ message }] = yield* publish()
      yield* RecordingTransport.awaitRequests(1)
      const afterFirst = yield* eventually(
        w.endpoints.get({ tenant, id: endpoint.id }),
        (e) => e.health.failingSince !== null
      )
      expect(afterFirst.health).toMatchObject({ failingSince: new Date(0), consecutiveFailures: 1 })
      // Days 1–3 fail; day 3's attempt succeeds on another message: the clock resets.
      for (let d = 1; d <= 2; d++) {
        yield* TestClock.adjust(day)
        yield* RecordingTransport.awaitRequests(d + 1)
      }
      yield* recorder.setHandler(() => ({ status: 204 }))
      yield* TestClock.adjust(day)
      yield* RecordingTransport.awaitRequests(4)
      const reset = yield* eventually(
        w.endpoints.get({ tenant, id: endpoint.id }),
        (e) => e.health.failingSince === null
      )
      expect(reset.disabled).toBe(false)
      expect(yield* typesOf(events)).toContain("endpoint.recovered")
      expect(
        (yield* eventually(
          w.deliveries.list({ tenant, messageId: message.id }),
          (p) => p.items[0]?.status === "delivered"
        )).items
      ).toHaveLength(1)

      // From day 3 on, everything fails again: disabled once 5 days have passed since the first new failure.
      yield* recorder.setHandler(() => ({ status: 500 }))
      yield* publish()
      yield* RecordingTransport.awaitRequests(5)
      const failingFrom = (yield* eventually(w.endpoints.get({ tenant, id: endpoint.id }), (e) =>
        e.health.failingSince !== null)).health.failingSince!.getTime()
      expect(failingFrom).toBe(3 * day)
      for (let d = 1; d <= 4; d++) {
        yield* TestClock.adjust(day)
        yield* RecordingTransport.awaitRequests(5 + d)
        expect((yield* w.endpoints.get({ tenant, id: endpoint.id })).disabled).toBe(false)
      }
      yield* TestClock.adjust(day)
      yield* RecordingTransport.awaitRequests(10)
      const disabled = yield* eventually(w.endpoints.get({ tenant, id: endpoint.id }), (e) =>
        e.disabled)
      expect(disabled.disabledReason).toContain("failing without a success since")
      const types = yield* eventually(typesOf(events), (t) => t.includes("endpoint.disabled"))
      expect(types.filter((t) => t === "endpoint.disabled")).toHaveLength(1)

      // Re-enabling is one call, recovering what failed meanwhile another.
      yield* recorder.setHandler(() => ({ status: 204 }))
      yield* w.endpoints.enable({ tenant, id: endpoint.id })
      const { recovered } = yield* w.deliveries.recover({ tenant, endpointId: endpoint.id, since: 0 })
      expect(recovered).toBe(1)
      yield* eventually(w.deliveries.list({ tenant, status: "delivered" }), (p) => p.items.length === 2)
    }).pipe(Effect.provide(engine({
      handler: () => ({ status: 500 }),
      settings: { retryPolicy: RetryPolicy.fixed(Array.from({ length: 10 }, () => "1 day")) }
    }))))

  it.scoped("the circuit breaker opens after N consecutive failures; deliveries wait without spending attempts; one probe closes it", () =>
    Effect.gen(function*() {
      seen.length = 0
      const w = yield* W
      const events = yield* collect
      const recorder = yield* RecordingTransport.RecordingTransport
      const endpoint = yield* w.endpoints.create({ tenant, url })
      yield* publish(3)
      // Three failures (one per message, the endpoint's in-flight cap is 1, so the third waits its turn): the
      // circuit opens.
      yield* TestClock.adjust("1 second")
      yield* RecordingTransport.awaitRequests(3)
      const open = yield* eventually(
        w.endpoints.get({ tenant, id: endpoint.id }),
        (e) => e.health.circuit.state === "open"
      )
      expect(open.health.circuit.retryAt!.getTime()).toBe(open.health.circuit.openedAt!.getTime() + 60_000)
      expect(yield* eventually(typesOf(events), (t) => t.includes("endpoint.circuit_opened"))).toContain(
        "endpoint.circuit_opened"
      )
      // Retries come due after 10 s, but the circuit holds them: no request, no attempt spent.
      yield* publish(2)
      yield* TestClock.adjust("29 seconds")
      expect(yield* RecordingTransport.requests).toHaveLength(3)
      const attempts = (yield* w.deliveries.list({ tenant, limit: 10 })).items.map((d) => d.attempts).sort()
      expect(attempts).toEqual([0, 0, 1, 1, 1])
      // After the cool-down exactly one probe goes; it succeeds and closes the circuit; the rest follow.
      yield* recorder.setHandler(() => ({ status: 204 }))
      yield* TestClock.setTime(open.health.circuit.retryAt!.getTime())
      yield* RecordingTransport.awaitRequests(4)
      yield* eventually(w.endpoints.get({ tenant, id: endpoint.id }), (e) => e.health.circuit.state === "closed")
      // Deliveries that came due with the probe look again a second later (while a probe is out they wait 1 s), one
      // at a time (in-flight cap 1).
      for (let i = 0; i < 10 && (yield* w.deliveries.list({ tenant, status: "delivered" })).items.length < 5; i++) {
        yield* TestClock.adjust("1 second")
        for (let j = 0; j < 100; j++) yield* Effect.yieldNow()
      }
      expect((yield* w.deliveries.list({ tenant, status: "delivered" })).items).toHaveLength(5)
      expect(yield* RecordingTransport.requests).toHaveLength(8)
      const types = yield* typesOf(events)
      expect(types).toContain("endpoint.circuit_closed")
    }).pipe(Effect.provide(engine({
      handler: () => ({ status: 500 }),
      settings: {
        retryPolicy: RetryPolicy.fixed(["10 seconds", "10 seconds", "10 seconds"]),
        circuitBreaker: { failureThreshold: 3, coolDown: "1 minute" }
      },
      dispatcher: { perEndpointConcurrency: 1 }
    }))))

  it.scoped("a failed probe re-opens the circuit for another cool-down", () =>
    Effect.gen(function*() {
      const w = yield* W
      const endpoint = yield* w.endpoints.create({
        tenant,
        url,
        circuitBreaker: { failureThreshold: 1, coolDown: "1 minute" }
      })
      yield* publish(1)
      yield* RecordingTransport.awaitRequests(1)
      const first = yield* eventually(w.endpoints.get({ tenant, id: endpoint.id }), (e) =>
        e.health.circuit.state === "open")
      yield* TestClock.adjust("1 minute")
      yield* RecordingTransport.awaitRequests(2)
      const second = yield* eventually(
        w.endpoints.get({ tenant, id: endpoint.id }),
        (e) =>
          e.health.circuit.state === "open" &&
          e.health.circuit.openedAt!.getTime() > first.health.circuit.openedAt!.getTime()
      )
      expect(second.health.circuit.retryAt!.getTime()).toBe(60_000 + 60_000)
      yield* TestClock.adjust("59 seconds")
      expect(yield* RecordingTransport.requests).toHaveLength(2)
    }).pipe(Effect.provide(engine({
      handler: () => ({ status: 500 }),
      settings: {
        retryPolicy: RetryPolicy.fixed(Array.from({ length: 5 }, () =>
          "1 second"))
      }
    }))))

  it.scoped("a rate limit spaces attempts; deliveries beyond the rate wait and never fail", () =>
    Effect.gen(function*() {
      const w = yield* W
      const limited = yield* w.endpoints.create({ tenant, url, rateLimit: { perSecond: 2 } })
      yield* w.endpoints.create({ tenant, url: "https://fast.example/hook" })
      yield* publish(6)
      // The unlimited endpoint gets all 6 at once; the limited one 1 (burst 1).
      yield* RecordingTransport.awaitRequests(7)
      const toLimited = () =>
        Effect.map(RecordingTransport.requests, (rs) => rs.filter((r) => r.url === url).map((r) => r.at))
      expect(yield* toLimited()).toEqual([0])
      for (let i = 1; i < 6; i++) {
        yield* TestClock.adjust("500 millis")
        yield* RecordingTransport.awaitRequests(7 + i)
      }
      expect(yield* toLimited()).toEqual([0, 500, 1000, 1500, 2000, 2500])
      const limitedDeliveries = yield* eventually(
        w.deliveries.list({ tenant, endpointId: limited.id, status: "delivered" }),
        (p) => p.items.length === 6
      )
      expect(limitedDeliveries.items.every((d) => d.attempts === 1)).toBe(true)
    }).pipe(Effect.provide(engine())))

  it.scoped("FIFO: a message goes only after the previous one to the endpoint is delivered, retries included", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* w.endpoints.create({ tenant, url, fifo: true })
      const published = yield* publish(3)
      const ids = published.map((p) => p.message.id)
      // m1 fails its first attempt; m2 and m3 must wait for its retry (10 s later).
      yield* RecordingTransport.awaitRequests(1)
      yield* TestClock.adjust("5 seconds")
      expect((yield* RecordingTransport.requests).map(idOf)).toEqual([ids[0]])
      yield* TestClock.adjust("5 seconds")
      yield* RecordingTransport.awaitRequests(4)
      expect((yield* RecordingTransport.requests).map(idOf)).toEqual([ids[0], ids[0], ids[1], ids[2]])
      yield* eventually(w.deliveries.list({ tenant, status: "delivered" }), (p) => p.items.length === 3)
    }).pipe(Effect.provide(engine({
      handler: (_request, index) => (index === 0 ? { status: 500 } : { status: 204 }),
      settings: { retryPolicy: RetryPolicy.fixed(["10 seconds"]) }
    }))))

  it.scoped("FIFO: a message that finally fails lets the next one go", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* w.endpoints.create({ tenant, url, fifo: true, retryPolicy: RetryPolicy.none })
      const published = yield* publish(2)
      yield* RecordingTransport.awaitRequests(2)
      expect((yield* RecordingTransport.requests).map(idOf)).toEqual(published.map((p) => p.message.id))
      const statuses = yield* eventually(
        w.deliveries.list({ tenant }),
        (p) => p.items.every((d) => d.status !== "pending")
      )
      expect(statuses.items.map((d) => d.status)).toEqual(["failed", "delivered"])
    }).pipe(
      Effect.provide(engine({ handler: (_request, index) => (index === 0 ? { status: 400 } : { status: 204 }) }))
    ))

  it.scoped("interplay: FIFO + circuit breaker + rate limit + retries keep order and spend no attempts while held", () =>
    Effect.gen(function*() {
      const w = yield* W
      const recorder = yield* RecordingTransport.RecordingTransport
      const endpoint = yield* w.endpoints.create({
        tenant,
        url,
        fifo: true,
        rateLimit: { perSecond: 1 },
        circuitBreaker: { failureThreshold: 2, coolDown: "30 seconds" }
      })
      const published = yield* publish(3)
      const ids = published.map((p) => p.message.id)
      // m1: attempt 1 at 0 s fails, attempt 2 at 5 s fails → circuit opens until 35 s.
      yield* RecordingTransport.awaitRequests(1)
      yield* TestClock.adjust("5 seconds")
      yield* RecordingTransport.awaitRequests(2)
      yield* eventually(w.endpoints.get({ tenant, id: endpoint.id }), (e) => e.health.circuit.state === "open")
      yield* recorder.setHandler(() => ({ status: 204 }))
      yield* TestClock.adjust("20 seconds")
      expect(yield* RecordingTransport.requests).toHaveLength(2)
      // At 35 s the probe (m1's third attempt) succeeds; m2 and m3 follow in order, one per second.
      yield* TestClock.adjust("10 seconds")
      yield* RecordingTransport.awaitRequests(3)
      yield* TestClock.adjust("1 second")
      yield* RecordingTransport.awaitRequests(4)
      yield* TestClock.adjust("1 second")
      const requests = yield* RecordingTransport.awaitRequests(5)
      expect(requests.map(idOf)).toEqual([ids[0], ids[0], ids[0], ids[1], ids[2]])
      const deliveries = yield* eventually(
        w.deliveries.list({ tenant }),
        (p) => p.items.every((d) => d.status === "delivered")
      )
      expect(deliveries.items.map((d) => d.attempts)).toEqual([3, 1, 1])
    }).pipe(Effect.provide(engine({
      handler: () => ({ status: 500 }),
      settings: { retryPolicy: RetryPolicy.fixed(["5 seconds", "5 seconds", "5 seconds"]) }
    }))))
})
