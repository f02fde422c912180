/**
 * Two systems, nothing lost: PostgreSQL storage with the Redis queue. Faults are injected where the two writes of a
 * publish meet — the enqueue never happens (a crash between the writes), or Redis loses the queue afterwards (a
 * restart without persistence) — and the sweeper must put the deliveries back so that the dispatcher delivers them.
 * Also: `redisQueue()` with the Promise API, and the storage it refuses.
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Dispatcher from "@hookwire/core/Dispatcher"
import { createHookwire } from "@hookwire/core/Hookwire"
import * as Id from "@hookwire/core/Id"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import type * as Storage from "@hookwire/core/Storage"
import * as Webhooks from "@hookwire/core/Webhooks"
import { memory } from "@hookwire/memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, expect, it } from "vitest"
import * as RedisAdapter from "../src/RedisAdapter.js"
import * as RedisQueue from "../src/RedisQueue.js"
import { countDeliveries, describeDbAndRedis, pool, storageLayer, withSchema } from "./utils/db.js"
import { catalog, quiet, webhooks } from "./utils/engine.js"
import { cleanupLayer, connectionLayer, deleteKeys, newPrefix, plainClient, redisUrl, waitFor } from "./utils/redis.js"

/** A Queue that accepts enqueues and drops them: what the queue sees of a publisher that crashed after storage. */
const lostEnqueues = (queue: Layer.Layer<DeliveryQueue.DeliveryQueue, unknown>) =>
  Layer.effect(
    DeliveryQueue.DeliveryQueue,
    Effect.map(DeliveryQueue.DeliveryQueue, (q) => DeliveryQueue.DeliveryQueue.of({ ...q, enqueue: () => Effect.void }))
  ).pipe(Layer.provide(queue))

describeDbAndRedis("RedisAdapter: PostgreSQL storage + Redis queue + sweeper", () => {
  const checks = pool()
  const redis = plainClient()
  afterAll(async () => {
    await checks.end()
    redis.disconnect()
  })

  const count = (schema: string, where?: string) => countDeliveries(checks, schema, where)

  /** Creates an endpoint and publishes `n` messages through `adapter`; returns the tenant. */
  const publish = (adapter: Layer.Layer<DeliveryQueue.DeliveryQueue | Storage.Storage, unknown>, n: number) =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const tenant = `tenant_${Id.ulid(Date.now())}`
      yield* w.endpoints.create({ tenant, url: "http://127.0.0.1:9/hook" })
      yield* Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) => w.publish({ tenant, type: "order.created", data: { orderId: `o${i}` } }),
        { concurrency: 4, discard: true }
      )
      return tenant
    }).pipe(Effect.provide(webhooks(adapter)), Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Error))

  /** A worker: the dispatcher over Postgres storage, the Redis queue and a fast sweeper; records what it sends. */
  const worker = (schema: string, prefix: string) =>
    ManagedRuntime.make(
      Dispatcher.layer({ lease: "5 seconds", pollInterval: "200 millis" }).pipe(
        Layer.provide(quiet),
        Layer.provideMerge(
          webhooks(
            RedisAdapter.layer({ prefix, sweeper: { interval: "100 millis", grace: "0 millis" } }).pipe(
              Layer.provideMerge(storageLayer(schema, "hookwire-redis-test-worker")),
              Layer.provide(connectionLayer("hookwire-test-adapter"))
            )
          )
        )
      )
    )

  const queueHas = async (prefix: string) => Number(await redis.hlen(RedisQueue.keys(prefix).items))

  /**
   * The publisher stores `n` deliveries and "crashes" before the enqueue reaches Redis; `strand` then changes the
   * stored rows. A worker with a fast sweeper must deliver each of them once and drain the queue.
   */
  const lostThenSwept = (label: string, n: number, strand: (schema: string) => Promise<void>) =>
    withSchema(label, async (schema) => {
      const prefix = newPrefix(label)
      try {
        const crashed = lostEnqueues(
          RedisQueue.layer({ prefix }).pipe(Layer.provide(connectionLayer("hookwire-test-adapter-pub")))
        )
        await Effect.runPromise(publish(Layer.merge(storageLayer(schema), crashed), n))
        await strand(schema)
        expect(await count(schema, "status = 'pending'")).toBe(n)
        expect(await queueHas(prefix)).toBe(0)

        const runtime = worker(schema, prefix)
        try {
          await runtime.runPromise(Effect.void)
          await waitFor(
            `${n} deliveries to be delivered`,
            async () => (await count(schema, "status = 'delivered'")) === n,
            20_000
          )
          const sent = await runtime.runPromise(RecordingTransport.requests)
          expect(new Set(sent.map((r) => r.headers["webhook-id"])).size).toBe(n)
          await waitFor("the Redis queue to drain", async () => (await queueHas(prefix)) === 0, 5_000)
        } finally {
          await runtime.dispose()
        }
      } finally {
        await deleteKeys(redis, prefix)
      }
    })

  it("a crash between the two writes: deliveries stored but never enqueued are swept back and delivered", async () => {
    await lostThenSwept("lost", 40, async () => {})
  }, 60_000)

  it(
    "pending deliveries without a next attempt time (as older versions wrote them) are swept back and delivered",
    async () => {
      await lostThenSwept("untimed", 5, async (schema) => {
        await checks.query(
          `update "${schema}".hookwire_deliveries set next_attempt_at = null, updated_at = $1`,
          [Date.now() - 60_000]
        )
        expect(await count(schema, "status = 'pending' and next_attempt_at is null")).toBe(5)
      })
    },
    60_000
  )

  it("Redis loses the queue after the enqueue (restart without persistence): swept back and delivered", async () => {
    await withSchema("wiped", async (schema) => {
      const prefix = newPrefix("wiped")
      try {
        const queue = RedisQueue.layer({ prefix }).pipe(Layer.provide(connectionLayer("hookwire-test-adapter-pub")))
        await Effect.runPromise(publish(Layer.merge(storageLayer(schema), queue), 40))
        expect(await queueHas(prefix)).toBe(40)
        // The fault: every key of the queue is gone.
        const k = RedisQueue.keys(prefix)
        expect(await redis.del(k.due, k.leases, k.items)).toBeGreaterThan(0)

        const runtime = worker(schema, prefix)
        try {
          await runtime.runPromise(Effect.void)
          await waitFor(
            "40 deliveries to be delivered",
            async () => (await count(schema, "status = 'delivered'")) === 40,
            20_000
          )
          await waitFor("the Redis queue to drain", async () => (await queueHas(prefix)) === 0, 5_000)
        } finally {
          await runtime.dispose()
        }
      } finally {
        await deleteKeys(redis, prefix)
      }
    })
  }, 60_000)

  it("redisQueue() plugs into createHookwire: create, publish, deliver, close", async () => {
    await withSchema("promise", async (schema) => {
      const prefix = newPrefix("promise")
      const hookwire = createHookwire({
        adapter: RedisAdapter.redisQueue({
          storage: storageLayer(schema, "hookwire-redis-test-promise"),
          redis: redisUrl,
          prefix,
          connectionName: "hookwire-test-promise"
        }),
        catalog,
        allowHttp: true,
        transport: RecordingTransport.layer(),
        dispatcher: { lease: "5 seconds", pollInterval: "1 second" },
        logger: false
      })
      try {
        const tenant = `tenant_${Id.ulid(Date.now())}`
        await hookwire.endpoints.create({ tenant, url: "http://127.0.0.1:9/hook" })
        await hookwire.start()
        const { message } = await hookwire.publish({ tenant, type: "order.created", data: { orderId: "p1" } })
        await waitFor(
          "the delivery to be delivered",
          async () =>
            (await hookwire.deliveries.list({ tenant, messageId: message.id })).items[0]?.status === "delivered",
          10_000
        )
        await waitFor("the Redis queue to drain", async () => (await queueHas(prefix)) === 0, 5_000)
      } finally {
        await hookwire.close()
        await deleteKeys(redis, prefix)
      }
    })
  }, 30_000)

  it("redisQueue() refuses a storage that brings its own queue, and a bad prefix at once", async () => {
    const prefix = newPrefix("refuse")
    const hookwire = createHookwire({
      adapter: RedisAdapter.redisQueue({ storage: memory(), redis: redisUrl, prefix }),
      catalog,
      logger: false
    })
    try {
      await expect(hookwire.endpoints.create({ tenant: "t", url: "https://example.com/hook" })).rejects.toThrow(
        /also provides a DeliveryQueue.*PgStorage\.layer/
      )
    } finally {
      await hookwire.close().catch(() => {})
    }
    expect(() => RedisAdapter.redisQueue({ storage: memory().layer, redis: redisUrl, prefix: "{x}" })).toThrow(
      /Invalid Redis key prefix/
    )
  })

  it("the Effect layer without a sweeper provides the queue alone", async () => {
    const prefix = newPrefix("nosweep")
    const layer = RedisAdapter.layer({ prefix, sweeper: false }).pipe(
      Layer.provide(Layer.mergeAll(connectionLayer("hookwire-test-nosweep"), memory().layer, cleanupLayer(prefix)))
    )
    const has = await Effect.runPromise(
      Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.has(["dlv_none"])).pipe(Effect.provide(layer), Effect.scoped)
    )
    expect(has.size).toBe(0)
  })
})
