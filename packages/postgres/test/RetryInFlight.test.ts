/**
 * A manual "retry now" of a delivery that a worker is sending, on the Postgres adapter (where the retry's storage
 * write also queues the delivery): refused with `delivery_in_flight`, and the delivery is sent once. And two manual
 * retries of one finished delivery at once: sent once, both calls get its result — in one engine, and in two engines
 * over one database (two processes). And a manual attempt of a finished delivery leaves no queue row behind.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Dispatcher from "@hookwire/core/Dispatcher"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import { newTenant } from "@hookwire/core/test/contract/Records"
import {
  concurrentRetries,
  manualReceiver,
  retriesFromTwoEngines,
  retryWhileSending,
  slowReceiver
} from "@hookwire/core/test/contract/RetryInFlight"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { expect, it } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import { clientLayer, describeDb, newSchema, schemaLayer } from "./utils/db.js"
import { webhooks } from "./utils/engine.js"

describeDb("deliveries.retry of a delivery being sent, on Postgres", () => {
  const engineFor = (schema: string, handler: RecordingTransport.Handler, app: string) =>
    Dispatcher.layer({ concurrency: 4, lease: "30 seconds", pollInterval: "200 millis" }).pipe(
      Layer.provideMerge(webhooks(PgAdapter.layer({ schema, migrate: false }), RecordingTransport.layer(handler))),
      Layer.provide(schemaLayer(schema)),
      Layer.provideMerge(clientLayer(app)),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
    )

  it("is refused with delivery_in_flight, and the delivery is sent once", async () => {
    const receiver = slowReceiver()
    await Effect.runPromise(
      retryWhileSending(receiver, { tenant: newTenant(), type: "order.created", data: { orderId: "o1" } }).pipe(
        Effect.provide(engineFor(newSchema("retryflight"), receiver.handler, "hookwire-test-retry-in-flight")),
        Effect.scoped
      )
    )
  }, 60_000)

  it("twice at once, of a finished delivery: sent once, and both calls get that attempt's result", async () => {
    const receiver = manualReceiver()
    await Effect.runPromise(
      concurrentRetries(receiver, { tenant: newTenant(), type: "order.created", data: { orderId: "o2" } }).pipe(
        Effect.provide(engineFor(newSchema("retrytwice"), receiver.handler, "hookwire-test-retry-twice")),
        Effect.scoped
      )
    )
  }, 60_000)

  it(
    "twice at once from two engines over one database: sent once, the second refused with delivery_in_flight",
    async () => {
      const schema = newSchema("retrytwo")
      const receiver = manualReceiver()
      // The other engine: its own pool and queue client on the same schema, no dispatcher.
      const other = webhooks(PgAdapter.layer({ schema, migrate: false }), RecordingTransport.layer(receiver.handler))
        .pipe(
          Layer.provide(clientLayer("hookwire-test-retry-two-b")),
          Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
        )
      await Effect.runPromise(
        Effect.gen(function*() {
          const b = Context.get(yield* Layer.build(other), Webhooks.Webhooks)
          yield* retriesFromTwoEngines(receiver, {
            tenant: newTenant(),
            type: "order.created",
            data: { orderId: "o4" }
          }, b)
        }).pipe(
          Effect.provide(engineFor(schema, receiver.handler, "hookwire-test-retry-two-a")),
          Effect.scoped
        )
      )
    },
    60_000
  )

  it("a manual attempt of a finished delivery leaves no queue row behind", async () => {
    const schema = newSchema("retryqueue")
    await Effect.runPromise(
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const sql = yield* SqlClient.SqlClient
        const tenant = newTenant()
        yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/retry" })
        const { message } = yield* w.publish({ tenant, type: "order.created", data: { orderId: "o3" } })
        let delivered: Webhooks.Delivery | undefined
        for (let i = 0; i < 1_500 && delivered === undefined; i++) {
          const [d] = (yield* w.deliveries.list({ tenant, messageId: message.id })).items
          if (d?.status === "delivered") delivered = d
          else yield* Effect.sleep("20 millis")
        }
        if (delivered === undefined) return yield* Effect.dieMessage("timed out after 30 s waiting for the delivery")
        expect(yield* w.deliveries.retry({ tenant, id: delivered.id })).toMatchObject({
          status: "delivered",
          attempts: 2
        })
        // Before the fix, the claim's queue row stayed, due 120 s later, to be claimed and dropped without a send.
        const queued = yield* sql.unsafe(`select id from "${schema}".hookwire_queue where id = $1`, [delivered.id])
        expect(queued).toStrictEqual([])
      }).pipe(
        Effect.provide(engineFor(schema, () => ({ status: 204 }), "hookwire-test-retry-queue")),
        Effect.scoped
      )
    )
  }, 60_000)
})
