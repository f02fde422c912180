/**
 * The management API's endpoint log reads (migration 3_endpoint_log_indexes), explained on analyzed tables of many
 * tenants and endpoints: one endpoint's newest-first deliveries page walks the `(endpoint_id, id)` index backwards
 * and stops after one page (without the statistics saying an endpoint has one tenant, the planner expected 1 % of
 * its rows, read all of them and sorted), and `endpointStats` counts from the covering indexes without reading the
 * tables. The statements are explained as the adapter's connections plan them (generic plans).
 */
import * as Id from "@hookwire/core/Id"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as endpoints from "../src/internal/endpoints.js"
import * as prepared from "../src/internal/prepared.js"
import * as stats from "../src/internal/stats.js"
import * as Tables from "../src/internal/tables.js"
import { clientLayer, describeDb, newSchema, pool, schemaLayer } from "./utils/db.js"

interface PlanNode {
  readonly "Node Type": string
  readonly "Index Name"?: string
  readonly "Scan Direction"?: string
  readonly "Heap Fetches"?: number
  readonly "Actual Rows"?: number
  readonly "Index Cond"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

const nodes = (plan: PlanNode): Array<PlanNode> => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

describeDb("PgStorage: the endpoint log's plans", () => {
  const schema = newSchema("endpoint_log")
  const checks = pool(1)
  const setup = ManagedRuntime.make(Layer.provide(schemaLayer(schema), clientLayer("hookwire-test-log")))
  const t = Tables.make({ schema })
  const tenants = 100
  const endpointsPerTenant = 10
  const perEndpoint = 100
  const now = Date.now()

  beforeAll(async () => {
    await setup.runPromise(Effect.void)
    const deliveries: Array<Array<unknown>> = [[], [], [], [], [], []]
    const attempts: Array<Array<unknown>> = [[], [], [], [], [], [], []]
    for (let i = 0; i < perEndpoint; i++) {
      const at = now - (perEndpoint - i) * 60_000
      for (let tn = 0; tn < tenants; tn++) {
        for (let e = 0; e < endpointsPerTenant; e++) {
          const id = Id.make("dlv", at)
          const row = [
            id,
            `tenant-${tn}`,
            Id.make("msg", at),
            `ep_${tn}_${e}`,
            i % 10 === 0 ? "failed" : "delivered",
            at
          ]
          row.forEach((v, c) => deliveries[c].push(v))
          const attempt = [Id.make("atm", at), `tenant-${tn}`, id, row[2], row[3], at, 200]
          attempt.forEach((v, c) => attempts[c].push(v))
        }
      }
    }
    await checks.query(
      `insert into ${t.deliveries} (id, tenant, message_id, endpoint_id, status, attempts, created_at, updated_at) ` +
        `select d.id, d.tenant, d.m, d.e, d.s, 1, d.at, d.at ` +
        `from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) as d(id, tenant, m, e, s, at)`,
      deliveries
    )
    await checks.query(
      `insert into ${t.attempts} (id, tenant, delivery_id, message_id, endpoint_id, attempt, trigger, url, ` +
        `started_at, duration_ms, response_status) ` +
        `select a.id, a.tenant, a.d, a.m, a.e, 1, 'scheduled', 'https://example.com', a.at, 10, a.st ` +
        `from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[]) ` +
        `as a(id, tenant, d, m, e, at, st)`,
      attempts
    )
    // A table that has been in use: analyzed, and vacuumed by autovacuum (the visibility map index-only scans use).
    await checks.query(`vacuum analyze ${t.deliveries}`)
    await checks.query(`vacuum analyze ${t.attempts}`)
  }, 120_000)

  afterAll(async () => {
    await setup.dispose()
    await checks.end()
  })

  /** The plan of `text` with `params`, generic as on the adapter's connections, and run. */
  const explain = async (text: string, params: ReadonlyArray<unknown>): Promise<PlanNode> => {
    const client = await checks.connect()
    try {
      for (const [name, value] of Object.entries(prepared.sessionSettings)) await client.query(`set ${name} = ${value}`)
      await client.query(`prepare log_read as ${text}`)
      const args = params.map((p) => (typeof p === "number" ? String(p) : `'${String(p).replace(/'/g, "''")}'`))
      const { rows } = await client.query(`explain (analyze, format json) execute log_read(${args.join(", ")})`)
      return rows[0]["QUERY PLAN"][0].Plan as PlanNode
    } finally {
      await client.query("deallocate all").catch(() => {})
      client.release()
    }
  }

  it("a newest-first page of one endpoint's deliveries walks its index backwards and stops after the page", async () => {
    // The shape of PgStorage.listDeliveries for `{ endpointId, order: "desc", limit: 50 }`: the page as one JSON value.
    const plan = await explain(
      `select coalesce(json_agg(json_build_array(x.id) order by x.id desc), '[]')::text as page from ` +
        `(select x.id from ${t.deliveries} as x where x.tenant = $1 and x.endpoint_id = $2 order by x.id desc ` +
        `limit $3::bigint) as x`,
      ["tenant-7", "ep_7_3", 21]
    )
    const scan = nodes(plan).find((n) => n["Index Name"] !== undefined)
    expect(scan?.["Index Name"]).toBe("hookwire_deliveries_endpoint")
    expect(scan?.["Scan Direction"]).toBe("Backward")
    expect(scan?.["Actual Rows"]).toBe(21)
    expect(nodes(plan).map((n) => n["Node Type"])).not.toContain("Sort")
  })

  it("endpointStats counts a week from the covering indexes, reading no table page", async () => {
    const since = [now - 3_600_000, now - 86_400_000, now - 7 * 86_400_000]
    const plan = await explain(stats.text(t, since.length), stats.params("tenant-7", "ep_7_3", since))
    const scans = nodes(plan).filter((n) => n["Index Name"] !== undefined)
    expect(scans.map((n) => [n["Node Type"], n["Index Name"]])).toEqual([
      ["Index Only Scan", "hookwire_attempts_endpoint"],
      ["Index Only Scan", "hookwire_deliveries_endpoint"],
      ["Index Only Scan", "hookwire_attempts_endpoint"]
    ])
    expect(scans.map((n) => n["Heap Fetches"])).toEqual([0, 0, 0])
  })

  it("endpointWithStats reads the endpoint by its key and counts the same way beside it", async () => {
    await checks.query(
      `insert into ${t.endpoints} (id, tenant, url, created_at, updated_at) values ($1, $2, 'https://example.com', 0, 0)`,
      ["ep_7_3", "tenant-7"]
    )
    const since = [now - 3_600_000, now - 86_400_000, now - 7 * 86_400_000]
    const text = stats.withEndpointText(t, since.length, endpoints.columns)
    const plan = await explain(text, stats.params("tenant-7", "ep_7_3", since))
    const scans = nodes(plan).filter((n) => n["Index Name"] !== undefined)
    const [endpoint, ...counts] = scans
    // The endpoint by key (its tenant index holds (tenant, id) too), then the three counting scans, all run.
    expect(endpoint["Node Type"]).toBe("Index Scan")
    expect(endpoint["Index Name"]).toMatch(/^hookwire_endpoints_/)
    expect(endpoint["Index Cond"]).toMatch(/\bid = \$2/)
    expect(counts.map((n) => [n["Node Type"], n["Index Name"], n["Heap Fetches"], n["Actual Rows"]! > 0])).toEqual([
      ["Index Only Scan", "hookwire_attempts_endpoint", 0, true],
      ["Index Only Scan", "hookwire_deliveries_endpoint", 0, true],
      ["Index Only Scan", "hookwire_attempts_endpoint", 0, true]
    ])
  })
})
