/**
 * The Webhooks operations behind the management API: test send, endpoint statistics, resend, recovery windows,
 * newest-first lists and catalog examples, on the memory adapter with a recording transport.
 */
import { describe, expect, it } from "@effect/vitest"
import { Catalog, Errors, RecordingTransport, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { engine, eventually } from "./harness.js"

const W = Webhooks.Webhooks
const url = "https://receiver.example/webhooks"
const examplesCatalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid",
    schema: Schema.Struct({ invoiceId: Schema.String, amount: Schema.Number, at: Schema.Date }),
    examples: [{ invoiceId: "in_1", amount: 42, at: new Date("2026-01-02T03:04:05.000Z") }]
  },
  "customer.created": { description: "No example", schema: Schema.Struct({ id: Schema.String }) }
})
const noDispatch = (handler?: RecordingTransport.Handler) =>
  engine({ dispatcher: false, handler, settings: { catalog: examplesCatalog } })

describe("catalog examples", () => {
  it("examples are checked against the schema and exported encoded", () => {
    expect(Catalog.toJsonSchema(examplesCatalog)["invoice.paid"].examples).toStrictEqual([
      { invoiceId: "in_1", amount: 42, at: "2026-01-02T03:04:05.000Z" }
    ])
    expect(Catalog.toJsonSchema(examplesCatalog)["customer.created"].examples).toStrictEqual([])
    expect(() => Catalog.make({ "a.b": { schema: Schema.Struct({ n: Schema.Number }), examples: [{ n: "x" }] } }))
      .toThrow(/Example 0 of event type "a.b" does not match its schema/)
  })
})

describe("test send", () => {
  it.effect("sends the first example to that endpoint only, once, with trigger test, and logs it", () =>
    Effect.gen(function*() {
      const w = yield* W
      const recorder = yield* RecordingTransport.RecordingTransport
      const target = yield* w.endpoints.create({ tenant: "t", url, eventTypes: ["customer.created"] })
      yield* w.endpoints.create({ tenant: "t", url: "https://other.example/hooks" })
      const result = yield* w.endpoints.test({ tenant: "t", id: target.id, type: "invoice.paid" })
      expect(result.delivery).toMatchObject({ id: result.deliveryId, status: "delivered", attempts: 1 })
      const requests = yield* recorder.requests
      expect(requests).toHaveLength(1)
      expect(requests[0].url).toBe(url)
      expect(JSON.parse(requests[0].body).data).toStrictEqual({
        invoiceId: "in_1",
        amount: 42,
        at: "2026-01-02T03:04:05.000Z"
      })
      const attempts = yield* w.deliveries.attempts({ tenant: "t", deliveryId: result.deliveryId })
      expect(attempts.items.map((a) => a.trigger)).toStrictEqual(["test"])
      const message = yield* w.messages.get({ tenant: "t", id: result.messageId })
      expect(message.type).toBe("invoice.paid")
      expect((yield* w.deliveries.list({ tenant: "t", messageId: result.messageId })).items).toHaveLength(1)
    }).pipe(Effect.provide(noDispatch())))

  it.effect("a failed test is final; no example, unknown type, disabled or foreign endpoint are typed errors", () =>
    Effect.gen(function*() {
      const w = yield* W
      const ep = yield* w.endpoints.create({ tenant: "t", url })
      const failed = yield* w.endpoints.test({ tenant: "t", id: ep.id, type: "invoice.paid" })
      expect(failed.delivery).toMatchObject({ status: "failed", lastResponseStatus: 500, nextAttemptAt: null })
      const noExample = yield* Effect.flip(w.endpoints.test({ tenant: "t", id: ep.id, type: "customer.created" }))
      expect(noExample).toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
      // With data given, a type without examples can be tested.
      const given = yield* w.endpoints.test({ tenant: "t", id: ep.id, type: "customer.created", data: { id: "c" } })
      expect(given.delivery.attempts).toBe(1)
      const unknown = yield* Effect.flip(w.endpoints.test({ tenant: "t", id: ep.id, type: "nope.nope" }))
      expect(unknown).toMatchObject({ _tag: "EventTypeError", code: "unknown_event_type" })
      const foreign = yield* Effect.flip(w.endpoints.test({ tenant: "other", id: ep.id, type: "invoice.paid" }))
      expect(foreign).toMatchObject({ _tag: "NotFound", code: "endpoint_not_found" })
      yield* w.endpoints.disable({ tenant: "t", id: ep.id })
      const disabled = yield* Effect.flip(w.endpoints.test({ tenant: "t", id: ep.id, type: "invoice.paid" }))
      expect(disabled).toBeInstanceOf(Errors.InvalidState)
    }).pipe(Effect.provide(noDispatch(() => ({ status: 500 })))))
})

describe("endpoint stats", () => {
  it.effect("counts by window and outcome, the last attempt, and the health", () =>
    Effect.gen(function*() {
      const w = yield* W
      const recorder = yield* RecordingTransport.RecordingTransport
      const ep = yield* w.endpoints.create({ tenant: "t", url })
      yield* w.endpoints.test({ tenant: "t", id: ep.id, type: "invoice.paid" })
      yield* TestClock.adjust("2 hours")
      yield* recorder.setHandler(() => ({ status: 503 }))
      yield* w.endpoints.test({ tenant: "t", id: ep.id, type: "invoice.paid" })
      yield* w.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
      const stats = yield* w.endpoints.stats({ tenant: "t", id: ep.id })
      expect(stats.windows.hour).toStrictEqual({
        attempts: { total: 1, succeeded: 0, failed: 1 },
        deliveries: { pending: 1, delivered: 0, failed: 1, cancelled: 0 }
      })
      expect(stats.windows.day).toStrictEqual({
        attempts: { total: 2, succeeded: 1, failed: 1 },
        deliveries: { pending: 1, delivered: 1, failed: 1, cancelled: 0 }
      })
      expect(stats.windows.week).toStrictEqual(stats.windows.day)
      expect(stats.lastAttempt).toMatchObject({ responseStatus: 503, errorKind: null })
      expect(stats.lastAttempt?.at.getTime()).toBe(2 * 3_600_000)
      expect(stats).toMatchObject({ disabled: false, disabledReason: null, health: { circuit: { state: "closed" } } })
      const foreign = yield* Effect.flip(w.endpoints.stats({ tenant: "other", id: ep.id }))
      expect(foreign._tag).toBe("NotFound")
    }).pipe(Effect.provide(noDispatch())))
})

describe("resend and recover", () => {
  it.effect("resend delivers a stored message again to one endpoint, even one created after it", () =>
    Effect.gen(function*() {
      const w = yield* W
      const recorder = yield* RecordingTransport.RecordingTransport
      const first = yield* w.endpoints.create({ tenant: "t", url })
      const published = yield* w.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
      yield* recorder.awaitRequests(1)
      const later = yield* w.endpoints.create({ tenant: "t", url: "https://later.example/hooks" })
      const delivery = yield* w.messages.resend({ tenant: "t", id: published.message.id, endpointId: later.id })
      expect(delivery).toMatchObject({ endpointId: later.id, messageId: published.message.id, status: "pending" })
      const requests = yield* recorder.awaitRequests(2)
      expect(requests[1].url).toBe("https://later.example/hooks")
      expect(requests[1].body).toBe(requests[0].body)
      yield* eventually(w.deliveries.get({ tenant: "t", id: delivery.id }), (d) => d.status === "delivered")
      const again = yield* w.messages.resend({ tenant: "t", id: published.message.id, endpointId: first.id })
      expect(again.id).not.toBe(delivery.id)
      const missing = yield* Effect.flip(
        w.messages.resend({ tenant: "x", id: published.message.id, endpointId: first.id })
      )
      expect(missing).toMatchObject({ _tag: "NotFound", code: "message_not_found" })
      const noEndpoint = yield* Effect.flip(
        w.messages.resend({ tenant: "t", id: published.message.id, endpointId: "ep_00000000000000000000000000" })
      )
      expect(noEndpoint).toMatchObject({ _tag: "NotFound", code: "endpoint_not_found" })
    }).pipe(Effect.provide(engine({ settings: { catalog: examplesCatalog } }))))

  it.effect("recover takes a window [since, until) and lists come newest first with order desc", () =>
    Effect.gen(function*() {
      const w = yield* W
      const ep = yield* w.endpoints.create({ tenant: "t", url })
      const times: Array<number> = []
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("1 minute")
        times.push(
          (yield* w.endpoints.test({ tenant: "t", id: ep.id, type: "invoice.paid" })).delivery.createdAt.getTime()
        )
      }
      const recovered = yield* w.deliveries.recover({
        tenant: "t",
        endpointId: ep.id,
        since: times[1],
        until: new Date(times[2])
      })
      expect(recovered.recovered).toBe(1)
      const newest = yield* w.deliveries.list({ tenant: "t", endpointId: ep.id, order: "desc" })
      expect(newest.items.map((d) => d.status)).toStrictEqual(["failed", "pending", "failed"])
      const bad = yield* Effect.flip(
        w.deliveries.recover({ tenant: "t", endpointId: ep.id, since: times[2], until: times[1] })
      )
      expect(bad).toMatchObject({ _tag: "ValidationError", field: "until" })
      const badOrder = yield* Effect.flip(w.messages.list({ tenant: "t", order: "sideways" as "asc" }))
      expect(badOrder).toMatchObject({ _tag: "ValidationError", field: "order" })
      const messages = yield* w.messages.list({ tenant: "t", order: "desc", limit: 2 })
      expect(messages.items[0].createdAt.getTime()).toBeGreaterThan(messages.items[1].createdAt.getTime())
    }).pipe(Effect.provide(noDispatch(() => ({ status: 500 })))))
})

describe("Promise API", () => {
  it("createHookwire exposes test send, stats, resend and recover windows", async () => {
    const { createHookwire } = await import("@hookwire/core/Hookwire")
    const { memory } = await import("../../src/Memory.js")
    const hookwire = createHookwire({
      adapter: memory(),
      catalog: examplesCatalog,
      transport: RecordingTransport.layer(() => ({ status: 204 })),
      logger: false
    })
    try {
      const ep = await hookwire.endpoints.create({ tenant: "t", url })
      const sent = await hookwire.endpoints.test({ tenant: "t", id: ep.id, type: "invoice.paid" })
      expect(sent.delivery.status).toBe("delivered")
      const stats = await hookwire.endpoints.stats({ tenant: "t", id: ep.id })
      expect(stats.windows.hour.attempts).toStrictEqual({ total: 1, succeeded: 1, failed: 0 })
      const resent = await hookwire.messages.resend({ tenant: "t", id: sent.messageId, endpointId: ep.id })
      expect(resent.status).toBe("pending")
      const recovered = await hookwire.deliveries.recover({
        tenant: "t",
        endpointId: ep.id,
        since: 0,
        until: Date.now() + 1
      })
      expect(recovered.recovered).toBe(0)
      const error = await hookwire.endpoints.stats({ tenant: "u", id: ep.id }).catch((e: unknown) => e)
      expect(error).toMatchObject({ _tag: "NotFound", code: "endpoint_not_found" })
    } finally {
      await hookwire.close()
    }
  })
})
