import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { layer } from "@effect/vitest"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import { createHookwire } from "@hookwire/core/Hookwire"
import * as Id from "@hookwire/core/Id"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import * as Storage from "@hookwire/core/Storage"
import { deliveryRecord, endpointRecord, messageRecord, newTenant } from "@hookwire/core/test/contract/Records"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as String from "effect/String"
import { afterAll, expect, it as vitestIt } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import * as PgStorage from "../src/PgStorage.js"
import { clientLayer, databaseUrl, describeDb, newSchema, pool, schemaLayer, waitFor } from "./utils/db.js"
import { catalog, webhooks } from "./utils/engine.js"

describeDb("PgAdapter", () => {
  const schema = newSchema("adapter")
  const checks = pool()
  afterAll(() => checks.end())

  const engine = webhooks(PgAdapter.layer({ schema, migrate: false })).pipe(
    Layer.provide(schemaLayer(schema)),
    Layer.provideMerge(clientLayer("hookwire-test-adapter", 12))
  )

  layer(engine, { timeout: 60_000, excludeTestServices: true })("transactional publish", (it) => {
    const setup = Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const w = yield* Webhooks.Webhooks
      yield* sql.unsafe(`create table if not exists "${schema}".orders (id text primary key)`)
      const tenant = newTenant()
      yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/a" })
      yield* w.endpoints.create({ tenant, url: "https://receiver.example.com/b" })
      return { sql, w, tenant, queue: yield* DeliveryQueue.DeliveryQueue }
    })

    const visibleElsewhere = (messageId: string) =>
      Effect.promise(() =>
        checks.query(`select count(*)::int as n from "${schema}".hookwire_messages where id = $1`, [messageId])
      ).pipe(Effect.map((result) => result.rows[0].n as number))

    it.effect("publish inside the host's sql.withTransaction commits together with the host's write", () =>
      Effect.gen(function*() {
        const { queue, sql, tenant, w } = yield* setup
        const orderId = `o_${Id.ulid(Date.now())}`
        const result = yield* sql.withTransaction(
          Effect.gen(function*() {
            yield* sql.unsafe(`insert into "${schema}".orders (id) values ($1)`, [orderId])
            const published = yield* w.publish({ tenant, type: "order.created", data: { orderId } })
            // Not committed yet: another connection cannot see the message (the adapter joined the transaction).
            expect(yield* visibleElsewhere(published.message.id)).toBe(0)
            return published
          })
        )
        expect(result.deliveries).toBe(2)
        expect(yield* visibleElsewhere(result.message.id)).toBe(1)
        const orders = yield* sql.unsafe(`select id from "${schema}".orders where id = $1`, [orderId])
        expect(orders.length).toBe(1)
        const deliveries = yield* w.deliveries.list({ tenant, messageId: result.message.id })
        expect(deliveries.items.map((d) => d.status)).toStrictEqual(["pending", "pending"])
        const queued = yield* queue.has(deliveries.items.map((d) => d.id))
        expect(queued.size).toBe(2)
      }))

    it.effect("a failure after publish rolls back the host's write, the message, its deliveries and the queue", () =>
      Effect.gen(function*() {
        const { queue, sql, tenant, w } = yield* setup
        const orderId = `o_${Id.ulid(Date.now())}`
        let messageId = ""
        let deliveryIds: ReadonlyArray<string> = []
        const error = yield* Effect.flip(
          sql.withTransaction(
            Effect.gen(function*() {
              yield* sql.unsafe(`insert into "${schema}".orders (id) values ($1)`, [orderId])
              const published = yield* w.publish({ tenant, type: "order.created", data: { orderId } })
              messageId = published.message.id
              deliveryIds = (yield* w.deliveries.list({ tenant, messageId })).items.map((d) => d.id)
              return yield* Effect.fail(new Error("payment declined"))
            })
          )
        )
        expect(error.message).toBe("payment declined")
        expect(deliveryIds.length).toBe(2)
        const orders = yield* sql.unsafe(`select id from "${schema}".orders where id = $1`, [orderId])
        expect(orders.length).toBe(0)
        expect((yield* Effect.flip(w.messages.get({ tenant, id: messageId })))._tag).toBe("NotFound")
        expect((yield* w.deliveries.list({ tenant, messageId })).items).toStrictEqual([])
        expect(yield* queue.has(deliveryIds)).toStrictEqual(new Set())
        expect(yield* visibleElsewhere(messageId)).toBe(0)
      }))
  })

  layer(engine, { timeout: 60_000, excludeTestServices: true })("shared queue", (it) => {
    it.effect("insertMessage queues the pending deliveries in the same statement; enqueue at the same time is a no-op", () =>
      Effect.gen(function*() {
        const storage = yield* Storage.Storage
        const queue = yield* DeliveryQueue.DeliveryQueue
        const tenant = newTenant()
        const [a, b, c] = [endpointRecord(tenant), endpointRecord(tenant), endpointRecord(tenant)]
        for (const e of [a, b, c]) yield* storage.insertEndpoint(e)
        const message = messageRecord(tenant)
        const due = deliveryRecord(message, a.id)
        const later = deliveryRecord(message, b.id, { nextAttemptAt: message.createdAt + 60_000 })
        const done = deliveryRecord(message, c.id, { status: "delivered", nextAttemptAt: null })
        yield* storage.insertMessage(message, [due, later, done])
        expect(yield* queue.has([due.id, later.id, done.id])).toStrictEqual(new Set([due.id, later.id]))

        // A worker claims before publish's enqueue arrives: the enqueue (same run time) leaves the claim alone.
        const claimed = (yield* queue.claim({ max: 1_000, leaseMs: 60_000, now: message.createdAt }))
          .filter((item) => item.id === due.id)
        expect(claimed.length).toBe(1)
        yield* queue.enqueue([{ id: due.id, runAt: message.createdAt }])
        yield* queue.complete(claimed)
        expect(yield* queue.has([due.id])).toStrictEqual(new Set())
        // A new run time does replace it.
        yield* queue.enqueue([{ id: later.id, runAt: message.createdAt }])
        const now = yield* queue.claim({ max: 1_000, leaseMs: 60_000, now: message.createdAt })
        expect(now.filter((item) => item.id === later.id).map((item) => item.runAt)).toStrictEqual([message.createdAt])
        yield* queue.remove([later.id])
      }))

    it.effect("recover and retry queue their deliveries atomically; deleting an endpoint drops its queued work", () =>
      Effect.gen(function*() {
        const storage = yield* Storage.Storage
        const queue = yield* DeliveryQueue.DeliveryQueue
        const tenant = newTenant()
        const endpoint = endpointRecord(tenant)
        yield* storage.insertEndpoint(endpoint)
        const message = messageRecord(tenant)
        const failed = deliveryRecord(message, endpoint.id, { status: "failed", nextAttemptAt: null })
        const pending = deliveryRecord(message, endpoint.id)
        yield* storage.insertMessage(message, [failed, pending])
        expect(yield* queue.has([failed.id])).toStrictEqual(new Set())

        const now = Date.now()
        const moved = yield* storage.transitionEndpointDeliveries(tenant, endpoint.id, {
          from: ["failed"],
          to: "pending",
          since: 0,
          nextAttemptAt: now,
          now
        })
        expect(moved).toStrictEqual([failed.id])
        expect(yield* queue.has([failed.id])).toStrictEqual(new Set([failed.id]))

        const cancelled = yield* storage.transitionDelivery(tenant, failed.id, ["pending"], {
          status: "cancelled",
          nextAttemptAt: null,
          now
        })
        expect(cancelled?.status).toBe("cancelled")
        expect(yield* queue.has([failed.id])).toStrictEqual(new Set())

        expect(yield* storage.deleteEndpoint(tenant, endpoint.id, now)).toBe(true)
        expect((yield* storage.getDelivery(tenant, pending.id))?.status).toBe("cancelled")
        expect(yield* queue.has([pending.id])).toStrictEqual(new Set())
      }))
  })

  layer(engine, { timeout: 120_000, excludeTestServices: true })("fan-out", (it) => {
    it.effect("publish to 10,000 endpoints: one message, 10,000 deliveries, all queued; claims of 1,000", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const w = yield* Webhooks.Webhooks
        const storage = yield* Storage.Storage
        const queue = yield* DeliveryQueue.DeliveryQueue
        const tenant = newTenant()
        const created = Date.now()
        // Fixture endpoints in one statement (creating them through the API is not what is measured here).
        yield* sql.unsafe(
          `insert into "${schema}".hookwire_endpoints (id, tenant, url, secrets, created_at, updated_at)
           select 'ep_' || lpad(g::text, 26, '0') || $2, $1, 'https://receiver.example.com/' || g,
             '[{"value":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw","createdAt":0,"expiresAt":null}]', $3, $3
           from generate_series(1, 10000) as g`,
          [tenant, tenant, created]
        )
        // Warm up the connection and plans with a small publish.
        yield* w.publish({ tenant: newTenant(), type: "order.created", data: { orderId: "warm-up" } })

        const started = performance.now()
        const result = yield* w.publish({ tenant, type: "order.created", data: { orderId: "fan-out" } })
        const publishMs = performance.now() - started
        expect(result.deliveries).toBe(10_000)

        // insertMessage alone, 10,000 deliveries.
        const endpoints = yield* storage.enabledEndpoints(tenant)
        const message = messageRecord(tenant)
        const deliveries = endpoints.map((e) => deliveryRecord(message, e.id))
        const insertStarted = performance.now()
        yield* storage.insertMessage(message, deliveries)
        const insertMs = performance.now() - insertStarted

        const counts = yield* sql.unsafe<{ deliveries: number; queued: number }>(
          `select (select count(*)::int from "${schema}".hookwire_deliveries where tenant = $1) as deliveries,
                  (select count(*)::int from "${schema}".hookwire_queue q
                     join "${schema}".hookwire_deliveries d on d.id = q.id where d.tenant = $1) as queued`,
          [tenant]
        )
        expect(counts[0]).toStrictEqual({ deliveries: 20_000, queued: 20_000 })

        const claimStarted = performance.now()
        const claimed = yield* queue.claim({ max: 1_000, leaseMs: 60_000, now: Date.now() })
        const claimMs = performance.now() - claimStarted
        expect(claimed.length).toBe(1_000)
        const loadStarted = performance.now()
        const loaded = yield* storage.loadForDispatch(claimed.map((c) => c.id))
        const loadMs = performance.now() - loadStarted
        expect(loaded.length).toBe(1_000)
        console.log(
          `[postgres] publish to 10,000 endpoints: ${publishMs.toFixed(0)} ms; insertMessage with 10,000 deliveries: ` +
            `${insertMs.toFixed(0)} ms; claim of 1,000: ${claimMs.toFixed(1)} ms; loadForDispatch of 1,000: ` +
            `${loadMs.toFixed(1)} ms`
        )
        yield* queue.complete(claimed)
        yield* sql.unsafe(`delete from "${schema}".hookwire_queue`)
      }))
  })

  layer(engine, { timeout: 60_000, excludeTestServices: true })("options", (it) => {
    it.effect("a table prefix keeps a second installation apart in the same schema", () =>
      Effect.gen(function*() {
        const storage = yield* Storage.Storage
        const tenant = newTenant()
        const mine = endpointRecord(tenant)
        yield* storage.insertEndpoint(mine)
        const other = yield* Effect.gen(function*() {
          const alt = yield* Storage.Storage
          const theirs = endpointRecord(tenant)
          yield* alt.insertEndpoint(theirs)
          return { listed: (yield* alt.listEndpoints(tenant, { limit: 10 })).items, theirs }
        }).pipe(Effect.provide(PgAdapter.layer({ schema, tablePrefix: "alt_" })))
        expect(other.listed).toStrictEqual([other.theirs])
        expect((yield* storage.listEndpoints(tenant, { limit: 10 })).items).toStrictEqual([mine])
        const tables = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe<{ tablename: string }>(
            `select tablename from pg_tables where schemaname = $1 and tablename like 'alt\\_%' order by 1`,
            [schema]
          ))
        expect(tables.map((t) => t.tablename)).toStrictEqual([
          "alt_attempts",
          "alt_deliveries",
          "alt_endpoints",
          "alt_messages",
          "alt_migrations",
          "alt_queue"
        ])
      }))

    it.effect("works through a host client that transforms names (camelCase results, snake_case queries)", () =>
      Effect.gen(function*() {
        const storage = yield* Storage.Storage
        const tenant = newTenant()
        const endpoint = { ...endpointRecord(tenant), metadata: { some_key: "v" }, headers: { "x-team": "a" } }
        yield* storage.insertEndpoint(endpoint)
        expect(yield* storage.getEndpoint(tenant, endpoint.id)).toStrictEqual(endpoint)
        const message = messageRecord(tenant)
        const delivery = deliveryRecord(message, endpoint.id)
        yield* storage.insertMessage(message, [delivery])
        expect(yield* storage.loadForDispatch([delivery.id])).toStrictEqual([{ delivery, message, endpoint }])
      }).pipe(
        Effect.provide(
          PgStorage.layer({ schema }).pipe(
            Layer.provide(
              PgClient.layer({
                url: Redacted.make(databaseUrl),
                transformResultNames: String.snakeToCamel,
                transformQueryNames: String.camelToSnake
              })
            )
          )
        )
      ))

    it.effect("without migrations, operations fail with a StorageError that says to run them", () =>
      Effect.gen(function*() {
        const storage = yield* Storage.Storage
        const error = yield* Effect.flip(storage.getEndpoint("t", "ep_1"))
        expect(error._tag).toBe("StorageError")
        expect(error.code).toBe("unknown")
        expect(error.message).toContain("run the migrations")
      }).pipe(Effect.provide(PgStorage.layer({ schema: "hwt_never_migrated" }))))
  })

  vitestIt("postgres() plugs into createHookwire: migrate, create, publish, deliver, close", async () => {
    const own = newSchema("promise")
    const hookwire = createHookwire({
      adapter: PgAdapter.postgres({ url: databaseUrl, schema: own }),
      catalog,
      allowHttp: true,
      transport: RecordingTransport.layer(),
      dispatcher: { lease: "5 seconds", pollInterval: "1 second" }
    })
    try {
      const tenant = newTenant()
      const endpoint = await hookwire.endpoints.create({ tenant, url: "http://127.0.0.1:9/hook" })
      expect(endpoint.secret).toMatch(/^whsec_/)
      await hookwire.start()
      const { message } = await hookwire.publish({ tenant, type: "order.created", data: { orderId: "p1" } })
      await waitFor(
        "the delivery to be delivered",
        async () =>
          (await hookwire.deliveries.list({ tenant, messageId: message.id })).items[0]?.status === "delivered",
        10_000
      )
      expect(hookwire.eventTypes()).toBeDefined()
    } finally {
      await hookwire.close()
      await checks.query(`drop schema if exists "${own}" cascade`)
    }
  }, 30_000)

  vitestIt("postgres() rejects bad options at once", () => {
    expect(() => PgAdapter.postgres({ url: databaseUrl, tablePrefix: "Bad-Prefix" })).toThrow(/tablePrefix/)
    expect(() => PgAdapter.postgres({})).toThrow(/give a connection/)
  })

  vitestIt("clientLayer given no connection fails with a ValidationError, not a thrown Error", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.flip(Layer.build(PgAdapter.clientLayer({ applicationName: "no-connection" }))).pipe(Effect.scoped)
    )
    expect(exit._tag).toBe("Success")
    if (exit._tag === "Success") {
      expect(exit.value).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: "url" })
      expect(exit.value.message).toMatch(/give a connection/)
    }
  })
})
