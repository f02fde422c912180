/**
 * Ill-formed Unicode on Postgres (issue 16.4): the driver stores every lone surrogate as U+FFFD, so tenant "x\uDC00"
 * listed, read and rewrote the endpoint of tenant "x\uD800", idempotency keys collided the same way, and NUL in a
 * tenant, name, metadata or key was a `StorageError` here but accepted in memory. Core now refuses those strings with
 * a `ValidationError` naming the field, before any adapter sees them — the same answer on every adapter.
 */
import { layer } from "@effect/vitest"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { expect } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import { clientLayer, describeDb, newSchema, schemaLayer } from "./utils/db.js"
import { webhooks } from "./utils/engine.js"

describeDb("ill-formed Unicode on Postgres", () => {
  const schema = newSchema("unicode")
  const engine = webhooks(PgAdapter.layer({ schema, migrate: false })).pipe(
    Layer.provide(schemaLayer(schema)),
    Layer.provideMerge(clientLayer("hookwire-test-unicode", 4))
  )

  layer(engine, { timeout: 60_000 })("Webhooks", (it) => {
    const url = "https://receiver.example.com/hooks"
    const suffix = () => Math.random().toString(36).slice(2)

    it.effect("a tenant with a lone surrogate is refused, so it can never reach another tenant's endpoints", () =>
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const base = `x_${suffix()}`
        const high = yield* Effect.flip(w.endpoints.create({ tenant: `${base}\uD800`, url }))
        expect(high).toMatchObject({ _tag: "ValidationError", code: "invalid_tenant", field: "tenant" })
        const low = yield* Effect.flip(w.endpoints.list({ tenant: `${base}\uDC00` }))
        expect(low).toMatchObject({ _tag: "ValidationError", code: "invalid_tenant", field: "tenant" })
        // A well-formed pair is an ordinary character: accepted, and its own tenant.
        const emoji = yield* w.endpoints.create({ tenant: `${base}\uD83D\uDE00`, url })
        expect((yield* w.endpoints.list({ tenant: `${base}\uD83D\uDE01` })).items).toStrictEqual([])
        expect((yield* w.endpoints.list({ tenant: `${base}\uD83D\uDE00` })).items.map((e) => e.id)).toStrictEqual([
          emoji.id
        ])
      }))

    it.effect("NUL is the same ValidationError as in memory, never a StorageError", () =>
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const tenant = `t_${suffix()}`
        const cases = [
          [w.endpoints.create({ tenant: `${tenant}\u0000`, url }), "tenant"],
          [w.endpoints.create({ tenant, url, name: "a\u0000b" }), "name"],
          [w.endpoints.create({ tenant, url, metadata: { plan: "pro\u0000" } }), "metadata"],
          [w.endpoints.create({ tenant, url, metadata: { "k\u0000": "v" } }), "metadata"],
          [
            w.publish({ tenant, type: "order.created", data: { orderId: "o1" }, idempotencyKey: "k\u0000" }),
            "idempotencyKey"
          ],
          [w.endpoints.get({ tenant, id: "ep_\u0000" }), "id"]
        ] as const
        for (const [effect, field] of cases) {
          expect(yield* Effect.flip(effect as Effect.Effect<unknown, unknown>)).toMatchObject({
            _tag: "ValidationError",
            field
          })
        }
      }))

    it.effect("idempotency keys that differ only in a lone surrogate are refused rather than merged", () =>
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const tenant = `t_${suffix()}`
        const publish = (idempotencyKey: string) =>
          w.publish({ tenant, type: "order.created", data: { orderId: "o1" }, idempotencyKey })
        for (const key of ["k\uD800", "k\uDC00"]) {
          expect(yield* Effect.flip(publish(key))).toMatchObject({ _tag: "ValidationError", field: "idempotencyKey" })
        }
        const first = yield* publish("k\uD83D\uDE00")
        const second = yield* publish("k\uD83D\uDE01")
        expect(second.message.id).not.toBe(first.message.id)
        expect(second.duplicate).toBe(false)
      }))
  })
})
