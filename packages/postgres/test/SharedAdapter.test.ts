/**
 * What sharing one database saves: with `PgAdapter.layer`, a publish queues its deliveries and notifies the workers
 * in its own statement (`queued: true`), a batch of messages is one statement (`insertMessages`), a claim loads its
 * dispatch contexts (`claimForDispatch`) and attempts are recorded with their queue rows settled (`recordAndSettle`)
 * in one statement each — with the outcome of the separate calls they replace. Storage and Queue used apart have
 * none of this but `insertMessages`. The contract suites cover the rest of both ports.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Id from "@hookwire/core/Id"
import type { AttemptRecord, DeliveryRecord } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import { deliveryRecord, endpointRecord, messageRecord, newTenant } from "@hookwire/core/test/contract/Records"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgStorage from "../src/PgStorage.js"
import { clientLayer, describeDb, newSchema, pool, schemaLayer, waitFor } from "./utils/db.js"
import { countStatements } from "./utils/statements.js"

const required = <A>(value: A | undefined, what: string): A => {
  if (value === undefined) throw new Error(`${what} is missing`)
  return value
}

/** Lets a fiber forked just before run its first step (an `awaitWork` subscribes to wake-ups there). */
const nextTick = () => new Promise((resolve) => setImmediate(resolve))

describeDb("PgAdapter: one round trip", () => {
  const schema = newSchema("trips")
  const checks = pool()
  const sharedApp = `hwt-trips-shared-${schema}`.slice(0, 63)
  const otherApp = `hwt-trips-other-${schema}`.slice(0, 63)
  const setup = ManagedRuntime.make(Layer.provide(schemaLayer(schema), clientLayer("hookwire-test-trips")))
  const shared = ManagedRuntime.make(
    Layer.provideMerge(PgAdapter.layer({ schema, migrate: false }), clientLayer(sharedApp, 6))
  )
  // Another process's queue, with its own pool and LISTEN connection: only a NOTIFY can wake its waiters.
  const other = ManagedRuntime.make(Layer.provide(PgQueue.layer({ schema }), clientLayer(otherApp, 2)))
  // Storage and Queue used apart, as with a queue elsewhere.
  const apart = ManagedRuntime.make(
    Layer.provideMerge(
      Layer.merge(PgStorage.layer({ schema }), PgQueue.layer({ schema })),
      clientLayer("hookwire-test-trips-apart", 2)
    )
  )

  beforeAll(async () => {
    await setup.runPromise(Effect.void)
    await Promise.all([shared.runPromise(Effect.void), other.runPromise(Effect.void), apart.runPromise(Effect.void)])
  })
  afterAll(async () => {
    await shared.dispose()
    await other.dispose()
    await apart.dispose()
    await setup.dispose()
    await checks.end()
  })
  // Each test starts from an empty queue: a waiter then wakes early only for what the test queues.
  beforeEach(async () => {
    await checks.query(`delete from "${schema}".hookwire_queue`)
  })

  const services = Effect.all({
    storage: Storage.Storage,
    queue: DeliveryQueue.DeliveryQueue,
    sql: SqlClient.SqlClient
  })

  const insertEndpoints = (storage: Context.Tag.Service<typeof Storage.Storage>, tenant: string, n: number) =>
    Effect.gen(function*() {
      const endpoints = Array.from({ length: n }, () => endpointRecord(tenant))
      for (const endpoint of endpoints) yield* storage.insertEndpoint(endpoint)
      return endpoints
    })

  const queueRows = async (ids: ReadonlyArray<string>) =>
    (await checks.query(
      `select id, run_at, lease_token from "${schema}".hookwire_queue where id = any($1) order by id`,
      [ids]
    )).rows.map((row) => ({ id: row.id as string, runAt: Number(row.run_at), leased: row.lease_token !== null }))

  const count = async (table: string, column: string, ids: ReadonlyArray<string>) =>
    (await checks.query(`select count(*)::int as n from "${schema}".hookwire_${table} where ${column} = any($1)`, [
      ids
    ])).rows[0].n as number

  const listening = (app: string) => async () =>
    (await checks.query(
      `select count(*)::int as n from pg_stat_activity where application_name = $1 and query like 'LISTEN %'`,
      [app]
    )).rows[0].n === 1

  /**
   * Starts an idle wait (up to 60 s) in the other process once its LISTEN connection is up, runs `write` here, and
   * returns what it returned and how long the waiter took to wake. Whatever `write` queues must be due within the
   * minute, later than the 5 s the tests allow: whether the waiter looked at the table before or after the write,
   * only the notification can then wake it that early.
   */
  const wakeOther = async <A, E>(
    write: Effect.Effect<A, E, Storage.Storage | DeliveryQueue.DeliveryQueue | SqlClient.SqlClient>
  ): Promise<readonly [A, number]> => {
    await waitFor("the other process's LISTEN connection", listening(otherApp), 10_000)
    const waiter = other.runFork(
      Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }))
    )
    await nextTick()
    const started = Date.now()
    const result = await shared.runPromise(write)
    await other.runPromise(Fiber.join(waiter).pipe(Effect.timeout("10 seconds")))
    return [result, Date.now() - started]
  }

  it("insertMessages: each message with its deliveries and queue rows, results in order, in one statement", async () => {
    const now = Date.now()
    const [results, statements, batch] = await shared.runPromise(Effect.gen(function*() {
      const { storage } = yield* services
      const tenant = newTenant()
      const [a, b, c] = yield* insertEndpoints(storage, tenant, 3)
      // Bodies of 1- to 4-byte UTF-8 characters, escapes and none: the batch sends them as one text, cut by bytes.
      const messages = [
        messageRecord(tenant, now, { body: "{\"note\":\"ü — ✓ \\\"q\\\" \\\\ , {} 😀\"}" }),
        messageRecord(tenant, now, {
          body: "😀😀",
          channels: ["eu", "a \"quoted\", {braced} one", "ü"],
          idempotencyKey: "k1"
        }),
        messageRecord(tenant, now, { body: "" }),
        messageRecord(newTenant(), now, { body: "x".repeat(3000), idempotencyKey: "k1" })
      ]
      const batch: ReadonlyArray<Storage.NewMessage> = [
        { message: messages[0], deliveries: [a, b, c].map((e) => deliveryRecord(messages[0], e.id)) },
        { message: messages[1], deliveries: [deliveryRecord(messages[1], a.id)] },
        { message: messages[2], deliveries: [] },
        { message: messages[3], deliveries: [deliveryRecord(messages[3], a.id)] }
      ]
      const [results, statements] = yield* countStatements(
        required(storage.insertMessages, "insertMessages")(batch)
      )
      for (const { message } of batch) {
        expect(yield* storage.getMessage(message.tenant, message.id)).toStrictEqual(message)
      }
      for (const { deliveries, message } of batch) {
        expect((yield* storage.listDeliveries(message.tenant, { messageId: message.id, limit: 10 })).items)
          .toStrictEqual(deliveries)
      }
      return [results, statements, batch] as const
    }))
    expect(statements).toBe(1)
    expect(results).toStrictEqual(batch.map((entry) => ({ ...entry, created: true, queued: true })))
    const ids = batch.flatMap((entry) => entry.deliveries.map((d) => d.id))
    expect(await queueRows(ids)).toStrictEqual([...ids].sort().map((id) => ({ id, runAt: now, leased: false })))
  })

  it("insertMessages with deliveries of different states and times queues only the pending ones, at their times", async () => {
    const now = Date.now()
    const [due, later, done, other] = await shared.runPromise(Effect.gen(function*() {
      const { storage } = yield* services
      const tenant = newTenant()
      const [a, b] = yield* insertEndpoints(storage, tenant, 2)
      const first = messageRecord(tenant, now)
      const second = messageRecord(tenant, now + 1)
      const due = deliveryRecord(first, a.id)
      const later = deliveryRecord(first, b.id, { nextAttemptAt: now + 60_000 })
      const done = deliveryRecord(second, a.id, { status: "delivered", nextAttemptAt: null, attempts: 1 })
      const other = deliveryRecord(second, b.id)
      const [results, statements] = yield* countStatements(
        required(storage.insertMessages, "insertMessages")([
          { message: first, deliveries: [due, later] },
          { message: second, deliveries: [done, other] }
        ])
      )
      expect(statements).toBe(1)
      expect(results.map((r) => r.created)).toStrictEqual([true, true])
      expect(yield* storage.getDelivery(tenant, done.id)).toStrictEqual(done)
      expect(yield* storage.getDelivery(tenant, later.id)).toStrictEqual(later)
      return [due, later, done, other] as const
    }))
    expect(await queueRows([due.id, later.id, done.id, other.id])).toStrictEqual([
      { id: due.id, runAt: now, leased: false },
      { id: later.id, runAt: now + 60_000, leased: false },
      { id: other.id, runAt: now + 1, leased: false }
    ])
  })

  it("insertMessages: a taken idempotency key mid-batch gives the first message, created: false, and inserts nothing for it", async () => {
    await shared.runPromise(Effect.gen(function*() {
      const { storage } = yield* services
      const insertMessages = required(storage.insertMessages, "insertMessages")
      const tenant = newTenant()
      const [a, b] = yield* insertEndpoints(storage, tenant, 2)
      const original = messageRecord(tenant, Date.now(), { idempotencyKey: "order-1" })
      yield* storage.insertMessage(original, [deliveryRecord(original, a.id)])

      const now = Date.now()
      const before = messageRecord(tenant, now, { idempotencyKey: "order-0" })
      const duplicate = messageRecord(tenant, now, { idempotencyKey: "order-1", body: "{\"other\":true}" })
      const after = messageRecord(tenant, now)
      const batch = [before, duplicate, after].map((message) => ({
        message,
        deliveries: [a, b].map((e) => deliveryRecord(message, e.id))
      }))
      const [results, statements] = yield* countStatements(insertMessages(batch))
      // The insert, then one read of the messages that hold the taken keys.
      expect(statements).toBe(2)
      expect(results).toStrictEqual([
        { ...batch[0], created: true, queued: true },
        { message: original, created: false, deliveries: [] },
        { ...batch[2], created: true, queued: true }
      ])
      expect(yield* storage.getMessage(tenant, duplicate.id)).toBeUndefined()
      const dropped = batch[1].deliveries.map((d) => d.id)
      expect(yield* Effect.promise(() => count("deliveries", "id", dropped))).toBe(0)
      expect(yield* Effect.promise(() => queueRows(dropped))).toStrictEqual([])
      const kept = [...batch[0].deliveries, ...batch[2].deliveries].map((d) => d.id)
      expect(yield* Effect.promise(() => count("deliveries", "id", kept))).toBe(4)
      expect((yield* Effect.promise(() => queueRows(kept))).length).toBe(4)

      // Publishing the same batch again: every key is taken now; the message without a key is new each time.
      const again = yield* insertMessages(batch.slice(0, 2))
      expect(again.map((r) => [r.message.id, r.created])).toStrictEqual([[before.id, false], [original.id, false]])
    }))
  })

  it("insertMessages of an empty batch sends nothing", async () => {
    const [results, statements] = await shared.runPromise(
      Effect.flatMap(Storage.Storage, (storage) => countStatements(required(storage.insertMessages, "")([])))
    )
    expect(results).toStrictEqual([])
    expect(statements).toBe(0)
  })

  it("insertMessages inside the host's transaction commits or rolls back with it, queue rows included", async () => {
    const batchOf = (tenant: string, endpointId: string) =>
      [messageRecord(tenant), messageRecord(tenant)].map((message) => ({
        message,
        deliveries: [deliveryRecord(message, endpointId)]
      }))
    const visible = async (batch: ReadonlyArray<Storage.NewMessage>) => {
      const deliveries = batch.flatMap((entry) => entry.deliveries.map((d) => d.id))
      return [
        await count("messages", "id", batch.map((entry) => entry.message.id)),
        await count("deliveries", "id", deliveries),
        (await queueRows(deliveries)).length
      ]
    }
    await shared.runPromise(Effect.gen(function*() {
      const { sql, storage } = yield* services
      const insertMessages = required(storage.insertMessages, "insertMessages")
      const tenant = newTenant()
      const [endpoint] = yield* insertEndpoints(storage, tenant, 1)

      const rolledBack = batchOf(tenant, endpoint.id)
      const failure = yield* Effect.flip(sql.withTransaction(Effect.gen(function*() {
        yield* insertMessages(rolledBack)
        expect(yield* Effect.promise(() => visible(rolledBack))).toStrictEqual([0, 0, 0])
        return yield* Effect.fail("rollback" as const)
      })))
      expect(failure).toBe("rollback")
      expect(yield* Effect.promise(() => visible(rolledBack))).toStrictEqual([0, 0, 0])

      const committed = batchOf(tenant, endpoint.id)
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* insertMessages(committed)
        // Joined the transaction: another connection sees nothing before the commit.
        expect(yield* Effect.promise(() => visible(committed))).toStrictEqual([0, 0, 0])
      }))
      expect(yield* Effect.promise(() => visible(committed))).toStrictEqual([2, 2, 2])
    }))
  })

  /** A message with one delivery due in `inMs`: queued work that only a notification makes anyone look at early. */
  const dueSoon = (storage: Context.Tag.Service<typeof Storage.Storage>, inMs = 30_000) =>
    Effect.gen(function*() {
      const tenant = newTenant()
      const [endpoint] = yield* insertEndpoints(storage, tenant, 1)
      const message = messageRecord(tenant)
      return { message, deliveries: [deliveryRecord(message, endpoint.id, { nextAttemptAt: Date.now() + inMs })] }
    })

  it("a shared insertMessage wakes an idle worker of another process with no enqueue call", async () => {
    const [result, took] = await wakeOther(Effect.gen(function*() {
      const { storage } = yield* services
      const { deliveries, message } = yield* dueSoon(storage)
      const [result, statements] = yield* countStatements(storage.insertMessage(message, deliveries))
      expect(statements).toBe(1)
      return result
    }))
    expect(result.queued).toBe(true)
    expect(took).toBeLessThan(5_000)
  })

  it("a shared insertMessages wakes an idle worker of another process with no enqueue call", async () => {
    const [results, took] = await wakeOther(Effect.gen(function*() {
      const { storage } = yield* services
      return yield* required(storage.insertMessages, "insertMessages")([
        yield* dueSoon(storage),
        yield* dueSoon(storage)
      ])
    }))
    expect(results.map((r) => r.queued)).toStrictEqual([true, true])
    expect(took).toBeLessThan(5_000)
  })

  it("a shared insertMessage wakes this process's idle workers; inside a transaction, not before the commit", async () => {
    await waitFor("this process's LISTEN connection", listening(sharedApp), 10_000)
    const idle = (maxWaitMs: number) =>
      shared.runFork(Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.awaitWork({ now: Date.now(), maxWaitMs })))

    const outside = idle(60_000)
    await nextTick()
    const started = Date.now()
    await shared.runPromise(Effect.gen(function*() {
      const { storage } = yield* services
      const { deliveries, message } = yield* dueSoon(storage)
      yield* storage.insertMessage(message, deliveries)
    }))
    await shared.runPromise(Fiber.join(outside).pipe(Effect.timeout("5 seconds")))
    expect(Date.now() - started).toBeLessThan(5_000)

    // Waits 20 s at most, so that the notification of the insert above (about work due in 30 s), which may arrive
    // after the local wake-up, does not concern it; the one below, about work due in 1 s, does.
    const inside = idle(20_000)
    await nextTick()
    await shared.runPromise(Effect.gen(function*() {
      const { sql, storage } = yield* services
      const { deliveries, message } = yield* dueSoon(storage, 1_000)
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* storage.insertMessage(message, deliveries)
        // Nothing is visible to the worker yet: waking it now would only make it find nothing. (A fixed wait, for
        // an event that must not happen.)
        yield* Effect.sleep("200 millis")
        expect(Option.isNone(yield* Fiber.poll(inside))).toBe(true)
      }))
    }))
    await shared.runPromise(Fiber.join(inside).pipe(Effect.timeout("5 seconds")))
  })

  it("claimForDispatch: the claim's items in its order, each with what loadForDispatch loads, in one statement", async () => {
    await shared.runPromise(Effect.gen(function*() {
      const { queue, storage } = yield* services
      const claimForDispatch = required(queue.claimForDispatch, "claimForDispatch")
      const tenant = newTenant()
      const [a, b] = yield* insertEndpoints(storage, tenant, 2)
      const now = Date.now()
      const first = messageRecord(tenant, now - 3_000)
      const second = messageRecord(tenant, now - 2_000, { channels: ["eu"] })
      const d1 = deliveryRecord(first, a.id)
      const d2 = deliveryRecord(first, b.id, { nextAttemptAt: now - 1_000 })
      const d3 = deliveryRecord(second, a.id)
      const gone = deliveryRecord(second, b.id, { nextAttemptAt: now - 500 })
      const notDue = deliveryRecord(second, a.id, { nextAttemptAt: now + 60_000 })
      yield* required(storage.insertMessages, "insertMessages")([
        { message: first, deliveries: [d1, d2] },
        { message: second, deliveries: [d3, gone, notDue] }
      ])
      // Deleted behind the queue's back (e.g. by retention): still claimed, but there is nothing to send.
      yield* Effect.promise(() => checks.query(`delete from "${schema}".hookwire_deliveries where id = $1`, [gone.id]))

      const [claimed, statements] = yield* countStatements(claimForDispatch({ max: 10, leaseMs: 30_000, now }))
      expect(statements).toBe(1)
      expect(claimed.map(({ item }) => [item.id, item.runAt, item.claims])).toStrictEqual([
        [d1.id, now - 3_000, 1],
        [d3.id, now - 2_000, 1],
        [d2.id, now - 1_000, 1],
        [gone.id, now - 500, 1]
      ])
      expect(claimed[0].context).toStrictEqual({ delivery: d1, message: first, endpoint: a })
      expect(claimed[3].context).toBeUndefined()
      const loaded = yield* storage.loadForDispatch(claimed.map(({ item }) => item.id))
      expect(claimed.flatMap(({ context }) => (context === undefined ? [] : [context]))).toStrictEqual(loaded)
      expect(loaded.length).toBe(3)

      // Leased: neither kind of claim hands them out again until the lease ends, and then with new tokens.
      expect(yield* queue.claim({ max: 10, leaseMs: 30_000, now })).toStrictEqual([])
      expect(yield* claimForDispatch({ max: 10, leaseMs: 30_000, now: now + 29_999 })).toStrictEqual([])
      const again = yield* claimForDispatch({ max: 2, leaseMs: 30_000, now: now + 30_000 })
      // All due at the same lease expiry: by id.
      expect(again.map(({ item }) => [item.id, item.claims])).toStrictEqual([[d1.id, 2], [d2.id, 2]])
      expect(again[0].item.token).not.toBe(claimed[0].item.token)
      expect(again[1].context).toStrictEqual({ delivery: d2, message: first, endpoint: b })
      // The first claim's tokens of those two are stale: completing with them changes nothing.
      yield* queue.complete(
        claimed.filter(({ item }) => item.id === d1.id || item.id === d2.id).map(({ item }) => item)
      )
      expect(yield* queue.has([d1.id, d2.id])).toStrictEqual(new Set([d1.id, d2.id]))
      yield* queue.complete(again.map(({ item }) => item))
      expect(yield* queue.has([d1.id, d2.id])).toStrictEqual(new Set())
      expect(yield* claimForDispatch({ max: 0, leaseMs: 30_000, now })).toStrictEqual([])
    }))
  })

  it("after a claim that drained the queue, the idle wait needs no statement, and new work still wakes it", async () => {
    await waitFor("this process's LISTEN connection", listening(sharedApp), 10_000)
    // Queued behind the adapter's back, without a notification (one would make the wait look, see the end).
    const [dueNow, dueLater] = [Id.make("dlv"), Id.make("dlv")]
    await checks.query(`insert into "${schema}".hookwire_queue (id, run_at) values ($1, $2), ($3, $4)`, [
      dueNow,
      Date.now() - 1,
      dueLater,
      Date.now() + 1_500
    ])
    await shared.runPromise(Effect.gen(function*() {
      const { queue } = yield* services
      const claimForDispatch = required(queue.claimForDispatch, "claimForDispatch")
      const claimed = yield* claimForDispatch({ max: 10, leaseMs: 30_000, now: Date.now() })
      expect(claimed.map(({ context, item }) => [item.id, context])).toStrictEqual([[dueNow, undefined]])
      // The claim said the rest is due in 1.5 s: the wait sleeps until then without looking at the table.
      const started = Date.now()
      const [, statements] = yield* countStatements(queue.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }))
      expect(statements).toBe(0)
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000)
      expect(Date.now() - started).toBeLessThan(5_000)
      expect((yield* claimForDispatch({ max: 10, leaseMs: 30_000, now: Date.now() })).length).toBe(1)
      // Nothing left: the next wait would sleep its whole minute, but work queued by another process wakes it.
      expect(yield* claimForDispatch({ max: 10, leaseMs: 30_000, now: Date.now() })).toStrictEqual([])
    }))
    const waiter = shared.runFork(
      countStatements(
        Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }))
      )
    )
    await nextTick()
    const started = Date.now()
    const id = Id.make("dlv")
    await other.runPromise(Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.enqueue([{ id, runAt: Date.now() }])))
    const [, statements] = await shared.runPromise(Fiber.join(waiter).pipe(Effect.timeout("10 seconds")))
    expect(statements).toBe(0)
    expect(Date.now() - started).toBeLessThan(5_000)
    // With a notification since the claim, the wait looks at the table again (and finds the work due at once).
    const [, looked] = await shared.runPromise(
      countStatements(
        Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }))
      )
    )
    expect(looked).toBe(1)
  })

  it("prepares the hot statements and list reads once per connection of the adapter's pool, and nothing else", async () => {
    // One connection: every statement below runs on it, and pg_prepared_statements is per connection.
    const single = ManagedRuntime.make(
      Layer.provideMerge(PgAdapter.layer({ schema, migrate: false }), clientLayer("hookwire-test-prepared", 1))
    )
    try {
      const prepared = await single.runPromise(Effect.gen(function*() {
        const { queue, sql, storage } = yield* services
        const entry = yield* dueSoon(storage, -1)
        yield* required(storage.insertMessages, "insertMessages")([entry])
        yield* required(queue.claimForDispatch, "claimForDispatch")({ max: 10, leaseMs: 30_000, now: Date.now() })
        yield* required(queue.claimForDispatch, "claimForDispatch")({ max: 10, leaseMs: 30_000, now: Date.now() })
        // A list read is prepared once per combination of filters (shared.ts listPage): asked twice, prepared once.
        yield* storage.listMessages(entry.message.tenant, { limit: 10 })
        yield* storage.listMessages(entry.message.tenant, { limit: 5 })
        // Prepared statements keep their generic plan, and plans use an index wherever one serves (Plans.test.ts).
        const [mode] = yield* sql.unsafe<{ plan_cache_mode: string }>(`show plan_cache_mode`)
        expect(mode.plan_cache_mode).toBe("force_generic_plan")
        const [seqscan] = yield* sql.unsafe<{ enable_seqscan: string }>(`show enable_seqscan`)
        expect(seqscan.enable_seqscan).toBe("off")
        return yield* sql.unsafe<{ name: string; statement: string }>(
          `select name, statement from pg_prepared_statements order by prepare_time`
        )
      }))
      expect(prepared.map((p) => p.name.slice(0, 9))).toStrictEqual(["hookwire_", "hookwire_", "hookwire_"])
      expect(prepared[0].statement).toContain("insert into")
      expect(prepared[1].statement).toContain("for update skip locked")
      expect(prepared[2].statement).toMatch(/^select .* order by x\.id/s)
    } finally {
      await single.dispose()
    }
  })

  it("recordAndSettle: attempts, pending deliveries only, complete and reschedule by token, and a notification", async () => {
    const now = Date.now()
    const attempt = (delivery: DeliveryRecord, status: number): AttemptRecord => ({
      id: Id.make("atm", now),
      tenant: delivery.tenant,
      deliveryId: delivery.id,
      messageId: delivery.messageId,
      endpointId: delivery.endpointId,
      attempt: 1,
      trigger: "scheduled",
      url: "https://receiver.example.com/hooks",
      startedAt: now,
      durationMs: 12,
      responseStatus: status,
      responseBody: "ok",
      errorKind: null,
      errorMessage: null,
      requestHeaders: null,
      responseHeaders: null
    })
    const fixture = await shared.runPromise(Effect.gen(function*() {
      const { queue, storage } = yield* services
      const tenant = newTenant()
      const endpoints = yield* insertEndpoints(storage, tenant, 5)
      const message = messageRecord(tenant, now - 1_000)
      const [ok, retry, stale, cancelled, twice] = endpoints.map((e) => deliveryRecord(message, e.id))
      yield* storage.insertMessage(message, [ok, retry, stale, cancelled, twice])
      const claimed = yield* queue.claim({ max: 10, leaseMs: 50_000, now })
      expect(claimed.length).toBe(5)
      // Cancelled while its attempt was in flight: the attempt's outcome must not overwrite that.
      yield* storage.transitionDelivery(tenant, cancelled.id, ["pending"], {
        status: "cancelled",
        nextAttemptAt: null,
        now
      })
      return { tenant, ok, retry, stale, cancelled, twice, claimed }
    }))
    const { cancelled, claimed, ok, retry, stale, tenant, twice } = fixture
    const item = (d: DeliveryRecord) => required(claimed.find((c) => c.id === d.id), d.id)
    const settled = (d: DeliveryRecord, status: number, patch: Partial<DeliveryRecord>) => ({
      attempt: attempt(d, status),
      delivery: { ...d, attempts: 1, lastAttemptAt: now, lastResponseStatus: status, updatedAt: now, ...patch }
    })
    const results = [
      settled(ok, 200, { status: "delivered", nextAttemptAt: null }),
      settled(retry, 500, { nextAttemptAt: now + 20_000 }),
      settled(cancelled, 200, { status: "delivered", nextAttemptAt: null }),
      settled(twice, 200, { status: "delivered", nextAttemptAt: null })
    ]
    const staleItem = { ...item(stale), token: `stale/${stale.id}` }
    const [statements, took] = await wakeOther(Effect.gen(function*() {
      const { storage } = yield* services
      const [, statements] = yield* countStatements(
        required(storage.recordAndSettle, "recordAndSettle")(results, {
          complete: [item(ok), staleItem, item(twice)],
          reschedule: [
            { item: item(retry), runAt: now + 20_000 },
            { item: staleItem, runAt: now + 25_000 },
            // Completed with the same claim as well: completing wins, as it would in separate calls.
            { item: item(twice), runAt: now + 25_000 }
          ]
        })
      )
      return statements
    }))
    expect(statements).toBe(1)
    // The reschedule to now + 20 s notified the idle worker.
    expect(took).toBeLessThan(5_000)

    await shared.runPromise(Effect.gen(function*() {
      const { storage } = yield* services
      expect((yield* storage.listAttempts(tenant, { limit: 10 })).items).toStrictEqual(
        results.map((r) => r.attempt).sort((x, y) => (x.id < y.id ? -1 : 1))
      )
      expect(yield* storage.getDelivery(tenant, ok.id)).toStrictEqual(results[0].delivery)
      expect(yield* storage.getDelivery(tenant, retry.id)).toStrictEqual(results[1].delivery)
      expect((yield* storage.getDelivery(tenant, cancelled.id))?.status).toBe("cancelled")
      expect(yield* storage.getDelivery(tenant, stale.id)).toStrictEqual(stale)
    }))
    expect(await queueRows([ok.id, retry.id, stale.id, cancelled.id, twice.id])).toStrictEqual(
      [
        { id: retry.id, runAt: now + 20_000, leased: false },
        // The stale token moved nothing: still leased, at its old time.
        { id: stale.id, runAt: now - 1_000, leased: true }
      ].sort((x, y) => (x.id < y.id ? -1 : 1))
    )

    const [, none] = await shared.runPromise(
      Effect.flatMap(
        Storage.Storage,
        (storage) => countStatements(required(storage.recordAndSettle, "")([], { complete: [], reschedule: [] }))
      )
    )
    expect(none).toBe(0)
  })

  it("apart, Storage has insertMessages (no queue rows, no queued flag) and no recordAndSettle; Queue no claimForDispatch", async () => {
    const now = Date.now()
    const [single, batch] = await apart.runPromise(Effect.gen(function*() {
      const { queue, storage } = yield* services
      expect(storage.recordAndSettle).toBeUndefined()
      expect(queue.claimForDispatch).toBeUndefined()
      const tenant = newTenant()
      const [endpoint] = yield* insertEndpoints(storage, tenant, 1)
      const message = messageRecord(tenant, now)
      const deliveries = [deliveryRecord(message, endpoint.id)]
      const single = yield* storage.insertMessage(message, deliveries)
      expect(single).toStrictEqual({ message, created: true, deliveries })
      const next = messageRecord(tenant, now)
      const entry = { message: next, deliveries: [deliveryRecord(next, endpoint.id)] }
      const [results, statements] = yield* countStatements(required(storage.insertMessages, "insertMessages")([entry]))
      expect(statements).toBe(1)
      expect(results).toStrictEqual([{ ...entry, created: true }])
      expect(yield* storage.getDelivery(tenant, entry.deliveries[0].id)).toStrictEqual(entry.deliveries[0])
      return [deliveries[0].id, entry.deliveries[0].id]
    }))
    // The queue is someone else's here: core enqueues.
    expect(await queueRows([single, batch])).toStrictEqual([])
  })
})

describeDb("PgAdapter: the queue's due-time index", () => {
  const schema = newSchema("due_index")
  const setup = ManagedRuntime.make(Layer.provideMerge(schemaLayer(schema), clientLayer("hookwire-test-due-index")))
  afterAll(() => setup.dispose())

  it("serves the claim's order and limit, and the idle wait's earliest due time, with 50,000 rows queued", async () => {
    const plans = await setup.runPromise(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const Q = `"${schema}".hookwire_queue`
      // One row in seven is leased, so that `coalesce(lease_until, run_at)` differs from `run_at`.
      yield* sql.unsafe(
        `insert into ${Q} (id, run_at, lease_until, lease_token)
         select 'dlv_' || lpad(g::text, 26, '0'), 1700000000000 + g * 10,
           case when g % 7 = 0 then 1700000000000 + g * 10 + 30000 end, case when g % 7 = 0 then 't' end
         from generate_series(1, 50000) as g`
      )
      yield* sql.unsafe(`analyze ${Q}`)
      const explain = (text: string, params: ReadonlyArray<unknown> = []) =>
        Effect.map(
          sql.unsafe<{ plan: string }>(`explain (format json) ${text}`, params),
          ([row]) => JSON.stringify(row)
        )
      // The claim's `due` part, and `awaitWork`'s look at the earliest due time, as PgQueue sends them.
      return yield* Effect.all([
        explain(
          `select id, coalesce(lease_until, run_at) as due_at from ${Q} where coalesce(lease_until, run_at) <= $1::bigint
           order by coalesce(lease_until, run_at), id limit $2::bigint for update skip locked`,
          [1700000200000, 100]
        ),
        explain(`select coalesce(lease_until, run_at) as at from ${Q} order by coalesce(lease_until, run_at) limit 1`)
      ])
    }))
    for (const plan of plans) {
      expect(plan).toContain("\"Index Name\":\"hookwire_queue_due\"")
      expect(plan).not.toContain("\"Node Type\":\"Sort\"")
    }
  })
})
