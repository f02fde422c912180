/**
 * Publish enqueues while PostgreSQL inserts (`DeliveryQueue.enqueuesWithInsert`, which the Redis queue sets): the two
 * writes run at once and publish returns when both are done. What that must never do: lose a delivery a claim saw
 * before its row was committed, send one twice, or leave ids in Redis that storage does not hold (a failed insert, an
 * idempotency key already used, a publisher that died before its insert committed).
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Dispatcher from "@hookwire/core/Dispatcher"
import { StorageError } from "@hookwire/core/Errors"
import * as Id from "@hookwire/core/Id"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import * as Storage from "@hookwire/core/Storage"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, expect, it } from "vitest"
import * as RedisAdapter from "../src/RedisAdapter.js"
import * as RedisQueue from "../src/RedisQueue.js"
import { countDeliveries, describeDbAndRedis, pool, storageLayer, withSchema } from "./utils/db.js"
import { quiet, webhooks } from "./utils/engine.js"
import { connectionLayer, deleteKeys, newPrefix, plainClient, waitFor } from "./utils/redis.js"

describeDbAndRedis("publish enqueues while PostgreSQL inserts (PostgreSQL storage + Redis queue)", () => {
  const checks = pool()
  const redis = plainClient()
  afterAll(async () => {
    await checks.end()
    redis.disconnect()
  })

  const count = (schema: string, where?: string) => countDeliveries(checks, schema, where)
  const queued = async (prefix: string) => Number(await redis.hlen(RedisQueue.keys(prefix).items))
  const allQueued = async (prefix: string, ids: ReadonlyArray<string>) =>
    ids.length > 0 && (await redis.hmget(RedisQueue.keys(prefix).items, ...ids)).every((v) => v !== null)

  /** Storage whose inserts first run `before` with the ids of the deliveries they are about to insert. */
  const gated = (schema: string, before: (ids: ReadonlyArray<string>) => Effect.Effect<void, StorageError>) =>
    Layer.effect(
      Storage.Storage,
      Effect.map(Storage.Storage, (s) =>
        Storage.Storage.of({
          ...s,
          insertMessage: (message, deliveries) =>
            Effect.zipRight(before(deliveries.map((d) => d.id)), s.insertMessage(message, deliveries)),
          insertMessages: (batch) =>
            Effect.zipRight(
              before(batch.flatMap(({ deliveries }) => deliveries.map((d) => d.id))),
              s.insertMessages!(batch)
            )
        }))
    ).pipe(Layer.provide(storageLayer(schema, "hookwire-redis-test-gated")))

  /** Waits, inside an insert, until Redis holds its ids: only a publish that enqueues alongside the insert gets on. */
  const untilQueued = (prefix: string) => (ids: ReadonlyArray<string>) =>
    Effect.tryPromise({
      try: () => waitFor("the ids in Redis while the insert waits", () => allQueued(prefix, ids), 5_000),
      catch: (e) => new StorageError({ code: "unknown", message: String(e) })
    })

  /** The sending side over `storage` and the Redis queue (no dispatcher). */
  const publisher = (storage: Layer.Layer<Storage.Storage, unknown>, prefix: string) =>
    ManagedRuntime.make(
      webhooks(
        Layer.merge(storage, RedisQueue.layer({ prefix }).pipe(Layer.provide(connectionLayer("hookwire-test-ewi-pub"))))
      ).pipe(Layer.provide(quiet))
    )

  /** A worker without a sweeper: what it delivers, the claims delivered. */
  const worker = (schema: string, prefix: string) =>
    ManagedRuntime.make(
      Dispatcher.layer({ lease: "5 seconds", pollInterval: "200 millis" }).pipe(
        Layer.provide(quiet),
        Layer.provideMerge(
          webhooks(
            RedisAdapter.layer({ prefix, sweeper: false }).pipe(
              Layer.provideMerge(storageLayer(schema, "hookwire-redis-test-ewi-worker")),
              Layer.provide(connectionLayer("hookwire-test-ewi-worker"))
            )
          )
        )
      )
    )

  const newTenant = () => `tenant_${Id.ulid(Date.now())}`

  it(
    "publish and publishMany return once both hold the deliveries, the enqueue running alongside the insert",
    async () => {
      await withSchema("ewi_both", async (schema) => {
        const prefix = newPrefix("ewi_both")
        const runtime = publisher(gated(schema, untilQueued(prefix)), prefix)
        try {
          const tenant = newTenant()
          await runtime.runPromise(Effect.flatMap(Webhooks.Webhooks, (w) =>
            Effect.gen(function*() {
              yield* w.endpoints.create({ tenant, url: "http://127.0.0.1:9/a" })
              yield* w.endpoints.create({ tenant, url: "http://127.0.0.1:9/b" })
              yield* w.publish({ tenant, type: "order.created", data: { orderId: "one" } })
              yield* w.publishMany(
                Array.from({ length: 10 }, (_, i) => ({ tenant, type: "order.created", data: { orderId: `m${i}` } }))
              )
            })))
          expect(await count(schema, "status = 'pending'")).toBe(22)
          expect(await queued(prefix)).toBe(22)
        } finally {
          await runtime.dispose()
          await deleteKeys(redis, prefix)
        }
      })
    },
    30_000
  )

  it("a failed insert fails publish and takes its ids out of Redis again", async () => {
    await withSchema("ewi_fail", async (schema) => {
      const prefix = newPrefix("ewi_fail")
      const runtime = publisher(
        gated(schema, (ids) =>
          Effect.zipRight(
            untilQueued(prefix)(ids),
            Effect.fail(new StorageError({ code: "connection", message: "the insert failed" }))
          )),
        prefix
      )
      try {
        const tenant = newTenant()
        await runtime.runPromise(
          Effect.flatMap(Webhooks.Webhooks, (w) => w.endpoints.create({ tenant, url: "http://127.0.0.1:9/a" }))
        )
        const failed = await runtime.runPromise(Effect.flip(Effect.flatMap(Webhooks.Webhooks, (w) =>
          w.publishMany(
            Array.from({ length: 5 }, (_, i) => ({ tenant, type: "order.created", data: { orderId: `f${i}` } }))
          ))))
        expect(failed).toMatchObject({ _tag: "StorageError", message: "the insert failed" })
        expect(await count(schema)).toBe(0)
        expect(await queued(prefix)).toBe(0)
      } finally {
        await runtime.dispose()
        await deleteKeys(redis, prefix)
      }
    })
  }, 30_000)

  it("an idempotency key already used stores nothing new, and leaves no new ids in Redis", async () => {
    await withSchema("ewi_dup", async (schema) => {
      const prefix = newPrefix("ewi_dup")
      const runtime = publisher(storageLayer(schema, "hookwire-redis-test-dup"), prefix)
      try {
        const tenant = newTenant()
        const [first, again] = await runtime.runPromise(
          Effect.flatMap(Webhooks.Webhooks, (w) =>
            Effect.gen(function*() {
              yield* w.endpoints.create({ tenant, url: "http://127.0.0.1:9/a" })
              const input = { tenant, type: "order.created" as const, data: { orderId: "k" }, idempotencyKey: "k1" }
              const first = yield* w.publish(input)
              const again = yield* w.publishMany([input, { ...input, idempotencyKey: "k2" }])
              return [first, again] as const
            }))
        )
        expect(first.duplicate).toBe(false)
        expect(again.map((r) => r.duplicate)).toEqual([true, false])
        expect(await count(schema)).toBe(2)
        const stored = (await checks.query(`select id from "${schema}".hookwire_deliveries`)).rows.map((r) => r.id)
        expect(await queued(prefix)).toBe(2)
        expect(await allQueued(prefix, stored)).toBe(true)
      } finally {
        await runtime.dispose()
        await deleteKeys(redis, prefix)
      }
    })
  }, 30_000)

  it(
    "a claim that sees an id before its delivery is stored gives it time: delivered once when the row appears",
    async () => {
      await withSchema("ewi_late", async (schema) => {
        const prefix = newPrefix("ewi_late")
        const runtime = worker(schema, prefix)
        try {
          const tenant = newTenant()
          const { endpoint, queue, storage } = await runtime.runPromise(Effect.gen(function*() {
            const w = yield* Webhooks.Webhooks
            const endpoint = yield* w.endpoints.create({ tenant, url: "http://127.0.0.1:9/late" })
            return { endpoint, queue: yield* DeliveryQueue.DeliveryQueue, storage: yield* Storage.Storage }
          }))
          const now = Date.now()
          const message = {
            id: Id.make("msg", now),
            tenant,
            type: "order.created",
            body: JSON.stringify({ orderId: "late" }),
            channels: [],
            idempotencyKey: null,
            createdAt: now
          }
          const delivery = {
            id: Id.make("dlv", now),
            tenant,
            messageId: message.id,
            endpointId: endpoint.id,
            status: "pending" as const,
            attempts: 0,
            nextAttemptAt: now,
            lastAttemptAt: null,
            lastResponseStatus: null,
            lastError: null,
            createdAt: now,
            updatedAt: now
          }
          // The queue first, as a publish's enqueue that finished before its insert committed.
          await runtime.runPromise(queue.enqueue([{ id: delivery.id, runAt: now }]))
          const k = RedisQueue.keys(prefix)
          // The worker claimed it and found no row: it went back to the queue at a later time (or, dropped, it is gone).
          await waitFor(
            "the worker to claim the id and find no delivery",
            async () => {
              const score = await redis.zscore(k.due, delivery.id)
              return score === null ? (await redis.zscore(k.leases, delivery.id)) === null : Number(score) > now
            },
            10_000
          )
          await runtime.runPromise(storage.insertMessage(message, [delivery]))
          await waitFor(
            "the delivery to be delivered",
            async () => (await count(schema, "status = 'delivered'")) === 1,
            10_000
          )
          const sent = await runtime.runPromise(RecordingTransport.requests)
          expect(sent.map((r) => r.headers["webhook-id"])).toEqual([message.id])
          await waitFor("the Redis queue to drain", async () => (await queued(prefix)) === 0, 5_000)
        } finally {
          await runtime.dispose()
          await deleteKeys(redis, prefix)
        }
      })
    },
    30_000
  )

  it(
    "an id whose delivery was never stored is dropped once it is older than the wait (a publisher that died)",
    async () => {
      await withSchema("ewi_orphan", async (schema) => {
        const prefix = newPrefix("ewi_orphan")
        const runtime = worker(schema, prefix)
        try {
          const queue = await runtime.runPromise(DeliveryQueue.DeliveryQueue)
          const now = Date.now()
          await runtime.runPromise(queue.enqueue([
            // A minute old (`Id.make` never goes back in time within a process: the smallest id of that time).
            { id: Id.lowerBound("dlv", now - 60_000), runAt: now },
            { id: "not-a-hookwire-id", runAt: now }
          ]))
          await waitFor("the Redis queue to drain", async () => (await queued(prefix)) === 0, 10_000)
          expect(await runtime.runPromise(RecordingTransport.requests)).toEqual([])
        } finally {
          await runtime.dispose()
          await deleteKeys(redis, prefix)
        }
      })
    },
    30_000
  )
})
