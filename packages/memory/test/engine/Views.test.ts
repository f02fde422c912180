/**
 * The exported Schemas of the public views and inputs (`Views`) against what the engine really returns and takes:
 * every record the Webhooks operations return encodes to JSON and decodes back to itself, and a decoded
 * `EndpointCreate`/`EndpointUpdate` is accepted by `endpoints.create`/`update` as is.
 */
import { describe, expect, it } from "@effect/vitest"
import { Views, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { engine, eventually } from "./harness.js"

const W = Webhooks.Webhooks

/** Encodes to JSON text and back: what crosses the HTTP API. */
const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  Effect.gen(function*() {
    const json = JSON.parse(JSON.stringify(yield* Schema.encode(schema)(value)))
    return { json, decoded: yield* Schema.decodeUnknown(schema)(json) }
  })

describe("Views", () => {
  it.effect("endpoint, message, delivery and attempt round-trip through their Schemas, times as ISO strings", () =>
    Effect.gen(function*() {
      const w = yield* W
      const input = yield* Schema.decodeUnknown(Views.EndpointCreate)({
        url: "https://receiver.example/hook",
        name: "Billing",
        eventTypes: ["invoice.paid"],
        headers: { "x-team": "billing" },
        rateLimit: { perSecond: 5 }
      })
      const created = yield* w.endpoints.create({ tenant: "t", ...input })
      const endpoint = yield* w.endpoints.get({ tenant: "t", id: created.id })
      const published = yield* w.publish({
        tenant: "t",
        type: "invoice.paid",
        data: { invoiceId: "in_1", amount: 1 }
      })
      yield* TestClock.adjust("1 second")
      const [delivery] = yield* eventually(
        Effect.map(w.deliveries.list({ tenant: "t", messageId: published.message.id }), (p) => p.items),
        (items) => items.length === 1 && items[0].status === "delivered"
      )
      const [attempt] = (yield* w.deliveries.attempts({ tenant: "t", deliveryId: delivery.id })).items

      const e = yield* roundTrip(Views.TenantEndpoint, endpoint)
      expect(e.decoded).toStrictEqual(endpoint)
      expect(e.json.createdAt).toBe(endpoint.createdAt.toISOString())
      expect(e.json).not.toHaveProperty("secret")
      expect((yield* roundTrip(Views.TenantMessage, published.message)).decoded).toStrictEqual(published.message)
      expect((yield* roundTrip(Views.TenantDelivery, delivery)).decoded).toStrictEqual(delivery)
      const a = yield* roundTrip(Views.TenantAttempt, attempt)
      expect(a.decoded).toStrictEqual(attempt)
      expect(a.json.startedAt).toBe(attempt.startedAt.toISOString())

      // The API's form leaves the tenant out: every call is already scoped to one.
      const apiForm = yield* Schema.encode(Views.Endpoint)(endpoint)
      expect(apiForm).not.toHaveProperty("tenant")
      expect(apiForm.rateLimit).toStrictEqual({ perSecond: 5, burst: 1 })
    }).pipe(Effect.provide(engine())))

  it.effect("EndpointUpdate decodes a JSON patch the engine applies; null clears a field", () =>
    Effect.gen(function*() {
      const w = yield* W
      const created = yield* w.endpoints.create({ tenant: "t", url: "https://receiver.example/hook", name: "Old" })
      const patch = yield* Schema.decodeUnknown(Views.EndpointUpdate)({ name: null, timeoutMs: 5000, fifo: true })
      const updated = yield* w.endpoints.update({ tenant: "t", id: created.id, ...patch })
      expect([updated.name, updated.timeoutMs, updated.fifo]).toStrictEqual([null, 5000, true])
    }).pipe(Effect.provide(engine({ dispatcher: false }))))

  it("the inputs refuse unknown fields and bad values, naming each", () => {
    const create = Schema.decodeUnknownEither(Views.EndpointCreate)
    const unknownField = create({ url: "https://r.example/hook", events: ["a"] })
    expect(Either.isLeft(unknownField) && String(unknownField.left)).toMatch(/events/)
    const badRate = create({ url: "https://r.example/hook", rateLimit: { perSecond: 0 } })
    expect(Either.isLeft(badRate) && String(badRate.left)).toMatch(/perSecond/)
    expect(Either.isLeft(Schema.decodeUnknownEither(Views.EndpointUpdate)({ timeoutMs: 1.5 }))).toBe(true)
  })
})
