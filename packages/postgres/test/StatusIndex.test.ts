/**
 * Migration 5_status_index_undelivered: the `(tenant, status, id)` index keeps every delivery but the delivered ones
 * (recording a delivered attempt, the dispatcher's most frequent write, no longer adds to it). Checked on a schema
 * that already holds deliveries of every status when it migrates: the index is rebuilt partial over them, a tenant's
 * deliveries of each status still list the same, and the plans read a rare status through that index and the
 * delivered ones in id order (as an unfiltered page), newest first, stopping after the page.
 */
import * as Id from "@hookwire/core/Id"
import type { DeliveryStatus } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as prepared from "../src/internal/prepared.js"
import * as PgMigrator from "../src/PgMigrator.js"
import * as PgStorage from "../src/PgStorage.js"
import { describeDb, migrationFixture, newSchema } from "./utils/db.js"

interface PlanNode {
  readonly "Node Type": string
  readonly "Index Name"?: string
  readonly "Scan Direction"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodes = (plan: PlanNode): Array<PlanNode> => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

describeDb("PgStorage: the status index holds the deliveries not delivered", () => {
  const schema = newSchema("status_index")
  const fixture = migrationFixture(schema, "hookwire-test-status-index")
  const { checks, client, t } = fixture
  const runtime = ManagedRuntime.make(Layer.provideMerge(PgStorage.layer({ schema }), client))
  const statuses: ReadonlyArray<DeliveryStatus> = ["pending", "delivered", "failed", "cancelled"]
  const now = Date.now()
  let applied: PgMigrator.Applied = []

  beforeAll(async () => {
    // The schema as the previous release left it (migrations 1–4), with deliveries of every status in it.
    await fixture.upTo(4)
    const rows: Array<Array<unknown>> = [[], [], [], []]
    for (let i = 0; i < 7000; i++) {
      const at = now - (7000 - i) * 1000
      // 1 in 40 failed, 1 in 100 pending or cancelled, the rest delivered; seven tenants.
      const status = i % 40 === 0 ? "failed" : i % 100 === 1 ? "pending" : i % 100 === 2 ? "cancelled" : "delivered"
      for (const [c, value] of [Id.make("dlv", at), `tenant-${i % 7}`, status, at].entries()) rows[c].push(value)
    }
    await checks.query(
      `insert into ${t.deliveries} (id, tenant, message_id, endpoint_id, status, created_at, updated_at) ` +
        `select d.id, d.tenant, 'msg_x', 'ep_x', d.s, d.at, d.at ` +
        `from unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) as d(id, tenant, s, at)`,
      rows
    )
    await checks.query(`vacuum analyze ${t.deliveries}`)
    applied = await fixture.rest()
  }, 60_000)

  afterAll(async () => {
    await runtime.dispose()
    await fixture.close()
  })

  it("migrates a schema holding deliveries: the index is rebuilt without the delivered ones", async () => {
    expect(applied[0]).toEqual([5, "status_index_undelivered"])
    const { rows } = await checks.query(
      `select indexdef from pg_indexes where schemaname = $1 and indexname = 'hookwire_deliveries_tenant_status'`,
      [schema]
    )
    expect(rows.map((row) => row.indexdef)).toEqual([
      expect.stringContaining(
        `(tenant, status, id) WHERE (status = ANY (ARRAY['pending'::text, 'failed'::text, 'cancelled'::text]))`
      )
    ])
  })

  it("a tenant's deliveries of each status list as before, newest first", async () => {
    const { rows } = await checks.query(
      `select status, id from ${t.deliveries} where tenant = 'tenant-0' order by id desc`
    )
    for (const status of statuses) {
      const expected = rows.filter((row) => row.status === status).map((row) => row.id).slice(0, 30)
      const page = await runtime.runPromise(
        Effect.flatMap(
          Storage.Storage,
          (storage) => storage.listDeliveries("tenant-0", { status, order: "desc", limit: 30 })
        )
      )
      expect(page.items.map((d) => d.id)).toEqual(expected)
      expect(page.items.every((d) => d.status === status && d.tenant === "tenant-0")).toBe(true)
    }
  })

  /** The generic plan of a tenant's newest-first page of one status, as PgStorage.listDeliveries writes it. */
  const planOf = async (status: DeliveryStatus): Promise<Array<PlanNode>> => {
    const connection = await checks.connect()
    try {
      for (const [name, value] of Object.entries(prepared.sessionSettings)) {
        await connection.query(`set ${name} = ${value}`)
      }
      await connection.query(
        `prepare page as select x.id from ${t.deliveries} as x where x.tenant = $1 and x.status = '${status}' ` +
          `order by x.id desc limit $2::bigint`
      )
      const { rows } = await connection.query(`explain (analyze, format json) execute page('tenant-0', 31)`)
      return nodes(rows[0]["QUERY PLAN"][0].Plan as PlanNode)
    } finally {
      await connection.query("deallocate all").catch(() => {})
      connection.release()
    }
  }

  it("a rare status is read through the partial index, the delivered ones in id order", async () => {
    for (const status of ["failed", "pending", "cancelled"] as const) {
      const scans = (await planOf(status)).filter((n) => n["Index Name"] !== undefined)
      expect(scans.map((n) => n["Index Name"])).toEqual(["hookwire_deliveries_tenant_status"])
    }
    const delivered = await planOf("delivered")
    const scans = delivered.filter((n) => n["Index Name"] !== undefined)
    // The way an unfiltered page of the tenant goes: an index in id order, backwards (which one is the planner's
    // choice by the tenants' sizes), the status a filter on the way.
    expect(scans.map((n) => n["Index Name"])).not.toContain("hookwire_deliveries_tenant_status")
    expect(scans.map((n) => n["Scan Direction"])).toEqual(["Backward"])
    expect(delivered.map((n) => n["Node Type"])).not.toContain("Sort")
  })
})
