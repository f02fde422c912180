/**
 * Payload filters on Postgres: the filter is stored with the endpoint (in its options) and read back as given, fan-out
 * applies it to every publish, and an update's new filter applies to the next publish although every read decodes a
 * fresh record (the compiled filter is kept per endpoint version).
 */
import { layer } from "@effect/vitest"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { expect } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import { clientLayer, describeDb, newSchema, schemaLayer } from "./utils/db.js"
import { webhooks } from "./utils/engine.js"

describeDb("payload filters on Postgres", () => {
  const schema = newSchema("filters")
  const engine = webhooks(PgAdapter.layer({ schema, migrate: false })).pipe(
    Layer.provide(schemaLayer(schema)),
    Layer.provideMerge(clientLayer("hookwire-test-filters", 4))
  )

  layer(engine, { timeout: 60_000 })("Webhooks", (it) => {
    const url = "https://receiver.example.com/hooks"
    const order = (tenant: string, orderId: string) => ({ tenant, type: "order.created" as const, data: { orderId } })

    it.effect("stores the filter, applies it at fan-out, and follows updates", () =>
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const tenant = `t_${Math.random().toString(36).slice(2)}`
        const filter = { data: { orderId: { $in: ["o1", "o2"] } }, $or: [{ type: "order.created" }, { x: 1.5 }] }
        const created = yield* w.endpoints.create({ tenant, url, filter })
        const other = yield* w.endpoints.create({ tenant, url, filter: { "data.orderId": { $exists: true } } })
        expect((yield* w.endpoints.get({ tenant, id: created.id })).filter).toStrictEqual(filter)
        expect((yield* w.endpoints.list({ tenant })).items.map((e) => e.filter)).toStrictEqual([
          filter,
          { "data.orderId": { $exists: true } }
        ])
        expect((yield* w.publish(order(tenant, "o1"))).deliveries).toBe(2)
        expect((yield* w.publish(order(tenant, "o3"))).deliveries).toBe(1)
        // The update's filter applies at once, on this engine's next publish.
        yield* w.endpoints.update({ tenant, id: created.id, filter: { "data.orderId": "o3" } })
        expect((yield* w.publish(order(tenant, "o3"))).deliveries).toBe(2)
        expect((yield* w.publish(order(tenant, "o1"))).deliveries).toBe(1)
        const many = yield* w.publishMany([order(tenant, "o3"), order(tenant, "o9")])
        expect(many.map((r) => r.deliveries)).toStrictEqual([2, 1])
        const deliveries = yield* w.deliveries.list({ tenant, endpointId: other.id })
        expect(deliveries.items).toHaveLength(6)
        yield* w.endpoints.update({ tenant, id: created.id, filter: null })
        expect((yield* w.endpoints.get({ tenant, id: created.id })).filter).toBeNull()
        expect((yield* w.publish(order(tenant, "o9"))).deliveries).toBe(2)
      }))

    it.effect("refuses what Postgres could not keep as given, as memory does", () =>
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const tenant = `t_${Math.random().toString(36).slice(2)}`
        const error = yield* Effect.flip(w.endpoints.create({ tenant, url, filter: { "data.orderId": "a\u0000" } }))
        expect(error).toMatchObject({
          _tag: "ValidationError",
          code: "invalid_payload_filter",
          field: "filter.data.orderId"
        })
      }))
  })
})
