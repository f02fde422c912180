/**
 * A manual "retry now" of a delivery that a worker is sending, on the Redis queue (with PostgreSQL storage): refused
 * with `delivery_in_flight`, and the delivery is sent once. And two manual retries of one finished delivery at once from
 * two engines over one database and queue (two processes): sent once, the second refused with `delivery_in_flight`.
 */
import * as Dispatcher from "@hookwire/core/Dispatcher"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import { newTenant } from "@hookwire/core/test/contract/Records"
import {
  manualReceiver,
  retriesFromTwoEngines,
  retryWhileSending,
  slowReceiver
} from "@hookwire/core/test/contract/RetryInFlight"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { it } from "vitest"
import * as RedisAdapter from "../src/RedisAdapter.js"
import { describeDbAndRedis, storageLayer, withSchema } from "./utils/db.js"
import { quiet, webhooks } from "./utils/engine.js"
import { cleanupLayer, connectionLayer, newPrefix } from "./utils/redis.js"

describeDbAndRedis("deliveries.retry of a delivery being sent, on the Redis queue", () => {
  it("is refused with delivery_in_flight, and the delivery is sent once", async () => {
    await withSchema("retryflight", async (schema) => {
      const prefix = newPrefix("retryflight")
      const receiver = slowReceiver()
      const adapter = RedisAdapter.layer({ prefix, sweeper: false }).pipe(
        Layer.provideMerge(storageLayer(schema, "hookwire-redis-test-retry")),
        Layer.provide(Layer.merge(connectionLayer("hookwire-test-retry-in-flight"), cleanupLayer(prefix)))
      )
      const engine = Dispatcher.layer({ concurrency: 4, lease: "30 seconds", pollInterval: "200 millis" }).pipe(
        Layer.provide(quiet),
        Layer.provideMerge(webhooks(adapter, RecordingTransport.layer(receiver.handler)))
      )
      await Effect.runPromise(
        retryWhileSending(receiver, { tenant: newTenant(), type: "order.created", data: { orderId: "o1" } }).pipe(
          Effect.provide(engine),
          Effect.scoped
        )
      )
    })
  }, 60_000)

  it("twice at once from two engines over one database and queue: sent once, the second refused", async () => {
    await withSchema("retrytwo", async (schema) => {
      const prefix = newPrefix("retrytwo")
      const receiver = manualReceiver()
      const adapter = (app: string) =>
        RedisAdapter.layer({ prefix, sweeper: false }).pipe(
          Layer.provideMerge(storageLayer(schema, `hookwire-redis-test-retry-two-${app}`)),
          Layer.provide(Layer.merge(connectionLayer(`hookwire-test-retry-two-${app}`), cleanupLayer(prefix)))
        )
      const engine = Dispatcher.layer({ concurrency: 4, lease: "30 seconds", pollInterval: "200 millis" }).pipe(
        Layer.provide(quiet),
        Layer.provideMerge(webhooks(adapter("a"), RecordingTransport.layer(receiver.handler)))
      )
      const other = webhooks(adapter("b"), RecordingTransport.layer(receiver.handler)).pipe(Layer.provide(quiet))
      await Effect.runPromise(
        Effect.gen(function*() {
          const b = Context.get(yield* Layer.build(other), Webhooks.Webhooks)
          const input = { tenant: newTenant(), type: "order.created", data: { orderId: "o2" } }
          yield* retriesFromTwoEngines(receiver, input, b)
        }).pipe(Effect.provide(engine), Effect.scoped)
      )
    })
  }, 60_000)
})
