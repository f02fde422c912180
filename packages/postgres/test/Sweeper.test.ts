/**
 * The sweeper on the Postgres adapter. Publish and retry queue their deliveries in the same statement here, so a
 * delivery is stranded (pending, no queue row) only by an older version: a row left without a next attempt time, or
 * a queue row lost. `Sweeper.sweep` finds both and the dispatcher delivers them.
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Dispatcher from "@hookwire/core/Dispatcher"
import * as Sweeper from "@hookwire/core/Sweeper"
import { newTenant } from "@hookwire/core/test/contract/Records"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, expect, it } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import { clientLayer, describeDb, newSchema, pool, schemaLayer, waitFor } from "./utils/db.js"
import { webhooks } from "./utils/engine.js"

describeDb("Sweeper on the Postgres adapter", () => {
  const schema = newSchema("sweeper")
  const checks = pool()
  const runtime = ManagedRuntime.make(
    webhooks(PgAdapter.layer({ schema, migrate: false })).pipe(
      Layer.provide(schemaLayer(schema)),
      Layer.provideMerge(clientLayer("hookwire-test-sweeper")),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
    )
  )
  afterAll(async () => {
    await runtime.dispose()
    await checks.end()
  })

  const statuses = async (ids: ReadonlyArray<string>) =>
    (await checks.query(`select status from "${schema}".hookwire_deliveries where id = any($1) order by id`, [ids]))
      .rows.map((row) => row.status as string)

  it(
    "re-queues a pending delivery without a next attempt time and one whose queue row is gone; both are delivered",
    async () => {
      const tenant = newTenant()
      const ids = await runtime.runPromise(Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/hook" })
        const published = yield* Effect.forEach(
          ["o1", "o2"],
          (orderId) => w.publish({ tenant, type: "order.created", data: { orderId } })
        )
        return yield* Effect.forEach(
          published,
          ({ message }) => Effect.map(w.deliveries.list({ tenant, messageId: message.id }), (page) => page.items[0].id)
        )
      }))
      const [untimed, unqueued] = ids
      // As older versions left them: no next attempt time (and no queue row), or a queue row lost.
      const old = Date.now() - 10 * 60_000
      await checks.query(
        `update "${schema}".hookwire_deliveries set next_attempt_at = null, updated_at = $2 where id = $1`,
        [untimed, old]
      )
      await checks.query(
        `update "${schema}".hookwire_deliveries set next_attempt_at = $2, updated_at = $2 where id = $1`,
        [unqueued, old]
      )
      await checks.query(`delete from "${schema}".hookwire_queue where id = any($1)`, [ids])

      await runtime.runPromise(Effect.scoped(Effect.gen(function*() {
        const queue = yield* DeliveryQueue.DeliveryQueue
        expect(yield* queue.has(ids)).toStrictEqual(new Set())
        yield* Layer.build(Dispatcher.layer({ lease: "5 seconds", pollInterval: "200 millis" }))
        expect(yield* Sweeper.sweep({ grace: "1 minute" })).toBe(2)
        yield* Effect.promise(() =>
          waitFor(
            "both deliveries to be delivered",
            async () => (await statuses(ids)).every((s) => s === "delivered"),
            20_000
          )
        )
        // One attempt each: sent once.
        const attempts = yield* Effect.promise(() =>
          checks.query(`select count(*)::int as n from "${schema}".hookwire_attempts where delivery_id = any($1)`, [
            ids
          ])
        )
        expect(attempts.rows[0].n).toBe(2)
        expect(yield* Sweeper.sweep({ grace: "1 minute" })).toBe(0)
      })))
    },
    60_000
  )
})
