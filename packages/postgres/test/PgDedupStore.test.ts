import * as SqlClient from "@effect/sql/SqlClient"
import { type DedupStore, receive, standard } from "@hookwire/verify"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { randomUUID } from "node:crypto"
import { afterAll, expect, it } from "vitest"
import * as PgDedupStore from "../src/PgDedupStore.js"
import { clientLayer, databaseUrl, describeDb, newSchema, pool } from "./utils/db.js"

describeDb("PgDedupStore", () => {
  const schema = newSchema("dedup")
  const checks = pool()
  const store = PgDedupStore.pgDedupStore({ url: databaseUrl, schema })
  afterAll(async () => {
    await store.close()
    await checks.query(`drop schema if exists "${schema}" cascade`)
    await checks.end()
  })

  it("claims an id once within its time to live; an expired id can be claimed again", async () => {
    const id = `msg_${randomUUID()}`
    expect(await store.claim(id, 60)).toBe(true)
    expect(await store.claim(id, 60)).toBe(false)
    // A time to live of 0 expires at once: the next claim takes it over.
    const shortLived = `msg_${randomUUID()}`
    expect(await store.claim(shortLived, 0)).toBe(true)
    expect(await store.claim(shortLived, 60)).toBe(true)
    expect(await store.claim(shortLived, 60)).toBe(false)
    // Released (its handling failed): claimable again; releasing an unknown id does nothing.
    await store.release(id)
    expect(await store.claim(id, 60)).toBe(true)
    await store.release(`msg_${randomUUID()}`)
    expect(await store.claim(id, 60)).toBe(false)
  })

  it("concurrent claims of one id, from two stores on separate connections, give exactly one true", async () => {
    const other = PgDedupStore.pgDedupStore({ pool: checks, schema })
    try {
      const id = `msg_${randomUUID()}`
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).claim(id, 60))
      )
      expect(results.filter((claimed) => claimed).length).toBe(1)
    } finally {
      await other.close()
    }
    // Closing a store built on a pool leaves the pool alone.
    expect((await checks.query("select 1 as one")).rows[0].one).toBe(1)
  })

  it("expired ids are cleaned up: by later claims, and by purgeExpired", async () => {
    const table = `"${schema}".hookwire_dedup`
    await store.claim(`msg_${randomUUID()}`, 60) // the table exists
    await checks.query(
      `insert into ${table} (id, expires_at) select 'old_' || g || '_' || $1, 0 from generate_series(1, 10) as g`,
      [randomUUID()]
    )
    const live = `live_${randomUUID()}`
    await store.claim(live, 600)
    const countExpired = async () =>
      Number((await checks.query(`select count(*) as n from ${table} where id like 'old\\_%'`)).rows[0].n)
    expect(await countExpired()).toBe(8) // the claim of `live` took two with it
    await store.claim(`msg_${randomUUID()}`, 60)
    expect(await countExpired()).toBe(6)
    expect(await store.purgeExpired()).toBeGreaterThan(0)
    expect(await countExpired()).toBe(0)
    expect(await store.claim(live, 600)).toBe(false)
  })

  it("works as the dedup store of @hookwire/verify's receive (what the Express and Fastify middleware use)", async () => {
    const dedup: DedupStore = store
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    const body = JSON.stringify({ type: "order.created", data: { orderId: "o1" } })
    const headers = standard.sign({
      id: `msg_${randomUUID()}`,
      timestamp: Math.floor(Date.now() / 1000),
      body,
      secrets: [secret]
    })
    const raw = new TextEncoder().encode(body)
    const first = await receive(raw, headers, { secret, dedup })
    const again = await receive(raw, headers, { secret, dedup })
    expect(first.duplicate).toBe(false)
    expect(again.duplicate).toBe(true)
    expect(again.event.type).toBe("order.created")
    // The handler failed: giving the claim back makes the sender's retry count again.
    await first.release()
    const retry = await receive(raw, headers, { secret, dedup })
    expect(retry.duplicate).toBe(false)
  })

  it("no connection given throws a ValidationError at once", () => {
    expect(() => PgDedupStore.pgDedupStore({ schema })).toThrow(
      expect.objectContaining({ _tag: "ValidationError", code: "invalid_option", field: "url" })
    )
  })

  it("an unreachable database rejects the claim with a StorageError (code connection)", async () => {
    const down = PgDedupStore.pgDedupStore({ url: "postgres://postgres@127.0.0.1:1/postgres", schema })
    try {
      const error = await down.claim("x", 60).then(() => undefined, (e: unknown) => e)
      expect(error).toMatchObject({ _tag: "StorageError", code: "connection" })
    } finally {
      await down.close()
    }
  })

  it("the Effect variant: a layer on the host's SqlClient, and a DedupStore for the middleware", async () => {
    const runtime = ManagedRuntime.make(
      Layer.provideMerge(PgDedupStore.layer({ schema, tablePrefix: "effect_" }), clientLayer("hookwire-test-dedup", 2))
    )
    try {
      const id = `msg_${randomUUID()}`
      const [first, second] = await runtime.runPromise(
        Effect.flatMap(PgDedupStore.PgDedupStore, (s) => Effect.all([s.claim(id, 60), s.claim(id, 60)]))
      )
      expect([first, second]).toStrictEqual([true, false])
      const plain = await runtime.runPromise(PgDedupStore.dedupStore)
      const fresh = `msg_${randomUUID()}`
      expect(await plain.claim(fresh, 60)).toBe(true)
      expect(await plain.claim(fresh, 60)).toBe(false)
      await plain.release?.(fresh)
      expect(await plain.claim(fresh, 60)).toBe(true)
      const tables = await runtime.runPromise(
        Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql<{ tablename: string }>`select tablename from pg_tables where schemaname = ${schema} order by 1`
        )
      )
      expect(tables.map((t) => t.tablename)).toContain("effect_dedup")
    } finally {
      await runtime.dispose()
    }
  })
})
