/**
 * The hot statements' plans must not depend on statistics. The adapter's connections keep every hot statement on
 * its generic plan, made when the statement is first run on the connection — for a new installation, or with
 * autovacuum off, that is while the tables are empty and were never analyzed, and the plan then stays for the life
 * of the connection. A plan that scans a whole table (or a whole partial index) because it looked tiny then gets
 * slower with every row written: measured here, a claim went from under 1 ms to 11 ms over a 20,000-message run.
 *
 * So every hot statement is explained here, as the adapter runs it, on empty, never-analyzed tables: each table it
 * reads must be reached through an index condition on the index's leading column (or by an ordered index scan that a
 * `LIMIT` stops), never by a sequential scan.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as prepared from "../src/internal/prepared.js"
import * as PgAdapter from "../src/PgAdapter.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgStorage from "../src/PgStorage.js"
import { clientLayer, describeDb, newSchema, pool, schemaLayer } from "./utils/db.js"

interface PlanNode {
  readonly "Node Type": string
  readonly "Relation Name"?: string
  readonly "Index Name"?: string
  readonly "Index Cond"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

describeDb("PgAdapter: plans that do not depend on statistics", () => {
  const schema = newSchema("plans")
  const checks = pool(1)
  const setup = ManagedRuntime.make(Layer.provide(schemaLayer(schema), clientLayer("hookwire-test-plans")))
  // The shared adapter and Storage and Queue used apart: between them, every hot statement of the package.
  const adapters = ManagedRuntime.make(
    Layer.mergeAll(
      PgAdapter.layer({ schema, migrate: false }),
      PgStorage.layer({ schema }),
      PgQueue.layer({ schema })
    ).pipe(Layer.provide(clientLayer("hookwire-test-plans-adapters", 2)))
  )

  /** The first column (or expression) of each of the schema's indexes. */
  const leading = new Map<string, string>()

  beforeAll(async () => {
    await setup.runPromise(Effect.void)
    await adapters.runPromise(Effect.void)
    const { rows } = await checks.query<{ name: string; first: string }>(
      `select c.relname as name, pg_get_indexdef(i.indexrelid, 1, true) as first from pg_index as i ` +
        `join pg_class as c on c.oid = i.indexrelid join pg_namespace as n on n.oid = c.relnamespace ` +
        `where n.nspname = $1`,
      [schema]
    )
    for (const row of rows) leading.set(row.name, row.first)
  })
  afterAll(async () => {
    await adapters.dispose()
    await setup.dispose()
    await checks.end()
  })

  /** The generic plan of `text`, as a connection of the adapter makes it. */
  const explain = async (text: string): Promise<PlanNode> => {
    const client = await checks.connect()
    try {
      for (const [name, value] of Object.entries(prepared.sessionSettings)) await client.query(`set ${name} = ${value}`)
      await client.query(`prepare hot as ${text}`)
      const params = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))
      const args = params === 0 ? "" : `(${Array.from({ length: params }, () => "null").join(", ")})`
      const { rows } = await client.query(`explain (format json) execute hot${args}`)
      return rows[0]["QUERY PLAN"][0].Plan as PlanNode
    } finally {
      await client.query("deallocate all").catch(() => {})
      client.release()
    }
  }

  /** What in `plan` reads a table without an index condition on the index's leading column. */
  const unboundedScans = (plan: PlanNode): Array<string> => {
    const found: Array<string> = []
    const visit = (node: PlanNode, parent: PlanNode | undefined) => {
      const type = node["Node Type"]
      if (type === "Seq Scan") found.push(`Seq Scan on ${node["Relation Name"]}`)
      const index = node["Index Name"]
      if (index !== undefined) {
        const first = leading.get(index)
        const cond = node["Index Cond"]
        const ordered = parent?.["Node Type"] === "Limit" && type !== "Bitmap Index Scan"
        if (cond === undefined ? !ordered : first === undefined || !cond.includes(first)) {
          found.push(`${type} on ${index} (${cond ?? "no index condition"}; leading column ${first})`)
        }
      }
      for (const child of node.Plans ?? []) visit(child, node)
    }
    visit(plan, undefined)
    return found
  }

  /** Every hot statement of the schema, explained; what reads a table unboundedly, with the statement. */
  const problems = async (): Promise<Array<string>> => {
    const texts = prepared.hotTexts().filter((text) => text.includes(`"${schema}"`))
    // Publish (two shapes, with and without the queue), load, claim (two), enabled endpoints, record (two), settle
    // (complete, reschedule, release), transitions, enqueue, the idle look.
    expect(texts.length).toBeGreaterThanOrEqual(15)
    const found: Array<string> = []
    for (const text of texts) {
      const scans = unboundedScans(await explain(text))
      if (scans.length > 0) found.push(`${scans.join("; ")}\n  in: ${text.replace(/\s+/g, " ").slice(0, 160)}…`)
    }
    return found
  }

  const table = (name: string) => `"${schema}"."hookwire_${name}"`

  it("on empty tables never analyzed", async () => {
    expect(await problems()).toEqual([])
  })

  it("on small tables never analyzed, and once analyzed", async () => {
    // A few hundred rows of each: a table of a few pages is where a whole-table scan looks cheapest.
    const n = 300
    await checks.query(
      `insert into ${table("endpoints")} (id, tenant, url, created_at, updated_at) ` +
        `select 'ep_' || i, 't' || (i % 7), 'https://example.com/' || i, i, i from generate_series(1, ${n}) as i`
    )
    await checks.query(
      `insert into ${table("messages")} (id, tenant, type, body, created_at) ` +
        `select 'msg_' || i, 't' || (i % 7), 'a.b', repeat('x', 1024), i from generate_series(1, ${n}) as i`
    )
    await checks.query(
      `insert into ${table("deliveries")} (id, tenant, message_id, endpoint_id, status, next_attempt_at, created_at, ` +
        `updated_at) select 'dlv_' || i, 't' || (i % 7), 'msg_' || i, 'ep_' || i, ` +
        `case when i % 3 = 0 then 'pending' else 'delivered' end, case when i % 3 = 0 then i end, i, i ` +
        `from generate_series(1, ${n}) as i`
    )
    await checks.query(
      `insert into ${table("attempts")} (id, tenant, delivery_id, message_id, endpoint_id, attempt, trigger, url, ` +
        `started_at, duration_ms) select 'att_' || i, 't' || (i % 7), 'dlv_' || i, 'msg_' || i, 'ep_' || i, 1, ` +
        `'scheduled', 'https://example.com/', i, 1 from generate_series(1, ${n}) as i`
    )
    await checks.query(
      `insert into ${table("queue")} (id, run_at) select 'dlv_' || i, i from generate_series(3, ${n}, 3) as i`
    )
    expect(await problems()).toEqual([])
    for (const name of ["endpoints", "messages", "deliveries", "attempts", "queue"]) {
      await checks.query(`analyze ${table(name)}`)
    }
    expect(await problems()).toEqual([])
  })
})
