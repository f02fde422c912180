/**
 * Migration 6_ids_collate_c: ids, tenants and event types compare byte by byte (`collate "C"`). Checked on a schema
 * that holds records of every table when it migrates (written by the adapter under migrations 1–5, tenants with
 * non-ASCII and mixed-case names among them): every row is the same afterwards, the key columns are `C`, every index
 * is valid and rebuilt over them, and the adapter reads the records back as before, in byte order of their ids.
 */
import * as Storage from "@hookwire/core/Storage"
import { deliveryRecord, endpointRecord, messageRecord } from "@hookwire/core/test/contract/Records"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as PgMigrator from "../src/PgMigrator.js"
import * as PgStorage from "../src/PgStorage.js"
import { describeDb, migrationFixture, newSchema } from "./utils/db.js"

describeDb("PgStorage: ids compare byte by byte (migration 6)", () => {
  const schema = newSchema("ids_collate")
  const fixture = migrationFixture(schema, "hookwire-test-ids-collate")
  const { checks, client, t } = fixture
  const runtime = ManagedRuntime.make(Layer.provideMerge(PgStorage.layer({ schema }), client))
  const tenants = ["tenant-a", "Tenant-B", "tenant-é", "テナント"]
  const tableNames = [t.endpoints, t.messages, t.deliveries, t.attempts, t.queue]
  let applied: PgMigrator.Applied = []
  let before: Array<string> = []

  /** Every table's rows, as one digest each (in byte order of their ids, whatever the columns' collation). */
  const digests = async () => {
    const out: Array<string> = []
    for (const table of tableNames) {
      const { rows } = await checks.query(
        `select count(*)::int as n, md5(coalesce(string_agg(x::text, '|' order by x.id collate "C"), '')) as h ` +
          `from ${table} as x`
      )
      out.push(`${table}: ${rows[0].n} ${rows[0].h}`)
    }
    return out
  }

  beforeAll(async () => {
    // The schema as the previous release left it (migrations 1–5).
    await fixture.upTo(5)
    // Records written through the adapter's Storage on the previous schema.
    const old = ManagedRuntime.make(Layer.provide(PgStorage.layer({ schema }), client))
    await old.runPromise(Effect.gen(function*() {
      const storage = yield* Storage.Storage
      const now = Date.now()
      for (const [i, tenant] of tenants.entries()) {
        const endpoint = endpointRecord(tenant)
        yield* storage.insertEndpoint(endpoint)
        for (let j = 0; j < 30; j++) {
          const at = now - (30 - j) * 1000 - i
          const message = messageRecord(tenant, at)
          const delivery = deliveryRecord(message, endpoint.id, { nextAttemptAt: at })
          yield* storage.insertMessage(message, [delivery])
        }
      }
    }))
    await old.dispose()
    await checks.query(
      `insert into ${t.attempts} (id, tenant, delivery_id, message_id, endpoint_id, attempt, trigger, url, ` +
        `started_at, duration_ms, response_status) select 'atm' || substr(id, 4), tenant, id, message_id, ` +
        `endpoint_id, 1, 'scheduled', 'https://receiver.example.com/', created_at, 5, 204 from ${t.deliveries}`
    )
    await checks.query(`insert into ${t.queue} (id, run_at) select id, created_at from ${t.deliveries}`)
    before = await digests()
    applied = await fixture.rest()
  }, 60_000)

  afterAll(async () => {
    await runtime.dispose()
    await fixture.close()
  })

  it("migrates a schema holding records: every row kept, the key columns in C, every index valid", async () => {
    expect(applied).toEqual([[6, "ids_collate_c"]])
    expect(await digests()).toStrictEqual(before)
    expect(before.every((line) => !line.includes(": 0 "))).toBe(true)
    const { rows: columns } = await checks.query(
      `select table_name || '.' || column_name as c from information_schema.columns ` +
        `where table_schema = $1 and collation_name = 'C' order by 1`,
      [schema]
    )
    expect(columns.map((row) => row.c)).toStrictEqual([
      "hookwire_attempts.delivery_id",
      "hookwire_attempts.endpoint_id",
      "hookwire_attempts.id",
      "hookwire_attempts.message_id",
      "hookwire_attempts.tenant",
      "hookwire_deliveries.endpoint_id",
      "hookwire_deliveries.id",
      "hookwire_deliveries.message_id",
      "hookwire_deliveries.tenant",
      "hookwire_endpoints.id",
      "hookwire_endpoints.tenant",
      "hookwire_messages.id",
      "hookwire_messages.idempotency_key",
      "hookwire_messages.tenant",
      "hookwire_messages.type",
      "hookwire_queue.id"
    ])
    const { rows: indexes } = await checks.query(
      `select count(*)::int as n, bool_and(i.indisvalid and i.indisready) as valid from pg_index as i ` +
        `join pg_class as c on c.oid = i.indexrelid join pg_namespace as s on s.oid = c.relnamespace ` +
        `where s.nspname = $1`,
      [schema]
    )
    // 2 endpoints, 4 messages, 7 deliveries, 5 attempts, 2 queue indexes, and the migrations table's key.
    expect(indexes[0]).toStrictEqual({ n: 21, valid: true })
    const { rows: statistics } = await checks.query(
      `select stxname from pg_statistic_ext as x join pg_namespace as s on s.oid = x.stxnamespace ` +
        `where s.nspname = $1 order by 1`,
      [schema]
    )
    expect(statistics.map((row) => row.stxname)).toStrictEqual([
      "hookwire_attempts_endpoint_tenant",
      "hookwire_deliveries_endpoint_tenant"
    ])
  })

  it("the adapter reads every tenant's records as before, newest first", async () => {
    for (const tenant of tenants) {
      const { rows } = await checks.query(
        `select id from ${t.deliveries} where tenant = $1 order by id collate "C" desc`,
        [tenant]
      )
      const page = await runtime.runPromise(
        Effect.flatMap(Storage.Storage, (storage) => storage.listDeliveries(tenant, { order: "desc", limit: 20 }))
      )
      expect(rows).toHaveLength(30)
      expect(page.items.map((d) => d.id)).toStrictEqual(rows.slice(0, 20).map((row) => row.id))
      const [first] = page.items
      expect(await runtime.runPromise(Effect.flatMap(Storage.Storage, (s) => s.getDelivery(tenant, first!.id))))
        .toMatchObject({ id: first!.id, tenant, status: "pending" })
    }
  })
})
