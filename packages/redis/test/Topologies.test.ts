/**
 * The same queue on the other topologies ioredis speaks: the whole Queue contract suite against a private three-master
 * Redis Cluster (the hash tag keeps each queue's multi-key scripts in one slot) and against a master found through a
 * Sentinel; plus, on the cluster, wake-ups across connections, the rate limiter and the dedup store. The servers are
 * started here on loopback ports of their own and stopped afterwards.
 */
import { expect, layer } from "@effect/vitest"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Id from "@hookwire/core/Id"
import * as RateLimiter from "@hookwire/core/RateLimiter"
import { queueSuite } from "@hookwire/core/test/contract/QueueSuite"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestServices from "effect/TestServices"
import { describe, it } from "vitest"
import * as RedisConnection from "../src/RedisConnection.js"
import * as RedisDedupStore from "../src/RedisDedupStore.js"
import * as RedisQueue from "../src/RedisQueue.js"
import * as RedisRateLimiter from "../src/RedisRateLimiter.js"
import { cluster, sentinel, serverBinary } from "./utils/servers.js"

if (serverBinary === undefined) {
  const message = "the Redis Cluster and Sentinel tests start their own redis-server, and there is none on the PATH"
  if (process.env.HOOKWIRE_REQUIRE_SERVICES === "1") throw new Error(`${message} (HOOKWIRE_REQUIRE_SERVICES=1)`)
  console.warn(`\n\n⚠️  SKIPPING the @hookwire/redis topology tests: ${message}. Install redis-server.\n\n`)
}

const clusterConnection = Layer.scoped(
  RedisConnection.RedisConnection,
  Effect.flatMap(cluster, (client) => RedisConnection.make(client))
)

const sentinelConnection = Layer.scoped(
  RedisConnection.RedisConnection,
  Effect.flatMap(sentinel, ({ sentinelPort }) =>
    RedisConnection.make(
      { sentinels: [{ host: "127.0.0.1", port: sentinelPort }], name: "mymaster" },
      { connectionName: "hookwire-test-sentinel" }
    ))
)

if (serverBinary !== undefined) {
  queueSuite("redis (Cluster)", RedisQueue.layer({ prefix: "contract" }).pipe(Layer.provide(clusterConnection)))
  queueSuite("redis (Sentinel)", RedisQueue.layer({ prefix: "contract" }).pipe(Layer.provide(sentinelConnection)))

  layer(clusterConnection, { timeout: 30_000 })("Redis Cluster", (it) => {
    it.scoped("a queue's keys share one slot; another process is woken through the cluster", () =>
      TestServices.provideLive(Effect.gen(function*() {
        const connection = yield* RedisConnection.RedisConnection
        const k = RedisQueue.keys("app")
        const slots = yield* Effect.promise(() =>
          Promise.all([k.due, k.leases, k.items].map((key) => connection.client.call("CLUSTER", "KEYSLOT", key)))
        )
        expect(new Set(slots).size).toBe(1)

        // Two queues, as two processes: each has its own subscriber connection to the cluster.
        const queueOf = () =>
          Layer.build(
            RedisQueue.layer({ prefix: "app" }).pipe(
              Layer.provide(Layer.succeed(RedisConnection.RedisConnection, connection))
            )
          ).pipe(
            Effect.map(Context.get(DeliveryQueue.DeliveryQueue))
          )
        const a = yield* queueOf()
        const b = yield* queueOf()
        const id = Id.make("dlv")
        const waiter = yield* Effect.fork(a.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }))
        yield* Effect.yieldNow()
        yield* b.enqueue([{ id, runAt: Date.now() }])
        yield* Fiber.join(waiter).pipe(Effect.timeoutFail({
          duration: "3 seconds",
          onTimeout: () => new Error("awaitWork was not woken through the cluster within 3 s")
        }))
        const [claimed] = yield* a.claim({ max: 10, leaseMs: 60_000, now: Date.now() })
        expect(claimed).toMatchObject({ id, claims: 1 })
        yield* b.complete([claimed])
        expect(yield* a.has([id])).toStrictEqual(new Set())
      })))

    it.scoped("the rate limiter and the dedup store work across the cluster's nodes", () =>
      Effect.gen(function*() {
        const connection = yield* RedisConnection.RedisConnection
        const provided = Layer.succeed(RedisConnection.RedisConnection, connection)
        const context = yield* Layer.build(
          Layer.merge(RedisRateLimiter.layer({ prefix: "app" }), RedisDedupStore.layer({ prefix: "app" })).pipe(
            Layer.provide(provided)
          )
        )
        const limiter = Context.get(context, RateLimiter.RateLimiter)
        const dedup = Context.get(context, RedisDedupStore.RedisDedupStore)
        const t = 1_700_000_000_000
        // Keys in many slots (no hash tag): each limit holds on its own node.
        for (let i = 0; i < 20; i++) {
          expect(yield* limiter.take(`ep_${i}`, { perSecond: 1, burst: 2 }, t)).toBe(0)
          expect(yield* limiter.take(`ep_${i}`, { perSecond: 1, burst: 2 }, t)).toBe(0)
          expect(yield* limiter.take(`ep_${i}`, { perSecond: 1, burst: 2 }, t)).toBe(1_000)
          expect(yield* dedup.claim(`msg_${i}`, 60)).toBe(true)
          expect(yield* dedup.claim(`msg_${i}`, 60)).toBe(false)
        }
      }))
  })
} else {
  describe.skip("Redis Cluster and Sentinel", () => it("needs redis-server"))
}
