/**
 * The API bench's history loader, run as a separate process by `bench/api.ts` (never imported): a week of messages,
 * deliveries and attempts for the endpoints it is given, bulk-loaded with `unnest` batches, then `vacuum analyze`.
 * In its own process so that the server's heap never holds the million rows (their garbage made every later
 * young-generation collection of the server about four times longer). Started with `withChild` (lib/child.ts), it
 * answers `{ type: "load", schema, tenants, endpoints, now }` with `{ type: "loaded", attempts }` (or `error`), and
 * exits when its parent goes away.
 */
import * as Id from "@hookwire/core/Id"
import pg from "pg"
import { databaseUrl } from "./stores.js"

const MESSAGES_PER_TENANT = 500
const ATTEMPTS_PER_DELIVERY = 2
const WEEK = 7 * 24 * 3_600_000
const BATCH = 50_000

/** Inserts rows column by column (`unnest` of one array per column), in batches. */
const insertColumns = async (
  client: pg.Client,
  table: string,
  columns: ReadonlyArray<readonly [name: string, type: string]>,
  rows: ReadonlyArray<ReadonlyArray<unknown>>
) => {
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH)
    const arrays = columns.map((_, c) => batch.map((row) => row[c]))
    await client.query(
      `insert into ${table} (${columns.map(([name]) => name).join(", ")}) ` +
        `select * from unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")})`,
      arrays
    )
  }
}

/** A week of history for every endpoint: messages, deliveries (delivered after a retry, 1 in 10 failed), attempts. */
const loadHistory = async (
  schema: string,
  tenants: number,
  endpoints: ReadonlyArray<{ readonly tenant: string; readonly id: string }>,
  now: number
): Promise<number> => {
  const client = new pg.Client({ connectionString: databaseUrl(), application_name: "hookwire-bench" })
  await client.connect()
  try {
    const messages: Array<Array<unknown>> = []
    const deliveries: Array<Array<unknown>> = []
    const attempts: Array<Array<unknown>> = []
    for (let t = 0; t < tenants; t++) {
      const tenant = `tenant-${t}`
      const own = endpoints.filter((e) => e.tenant === tenant)
      for (let m = 0; m < MESSAGES_PER_TENANT; m++) {
        const at = now - WEEK + Math.floor(((m + t / tenants) * WEEK) / MESSAGES_PER_TENANT)
        const messageId = Id.make("msg", at)
        messages.push([messageId, tenant, "bench.event", `{"id":"${messageId}","data":{}}`, at])
        for (const endpoint of own) {
          const deliveryId = Id.make("dlv", at)
          const failed = (m + endpoint.id.charCodeAt(20)) % 10 === 0
          const last = at + 60_000
          deliveries.push([
            deliveryId,
            tenant,
            messageId,
            endpoint.id,
            failed ? "failed" : "delivered",
            ATTEMPTS_PER_DELIVERY,
            last,
            failed ? 500 : 200,
            at,
            last
          ])
          for (let n = 1; n <= ATTEMPTS_PER_DELIVERY; n++) {
            const started = at + (n - 1) * 60_000
            const ok = !failed && n === ATTEMPTS_PER_DELIVERY
            attempts.push([
              Id.make("atm", started),
              tenant,
              deliveryId,
              messageId,
              endpoint.id,
              n,
              "scheduled",
              "https://receiver.bench.invalid/webhooks",
              started,
              40 + (n * 7) % 50,
              ok ? 200 : 500,
              ok ? "ok" : "{\"error\":\"try later\"}"
            ])
          }
        }
      }
    }
    const q = (name: string) => `"${schema}".hookwire_${name}`
    await insertColumns(client, q("messages"), [
      ["id", "text"],
      ["tenant", "text"],
      ["type", "text"],
      ["body", "text"],
      ["created_at", "bigint"]
    ], messages)
    await insertColumns(client, q("deliveries"), [
      ["id", "text"],
      ["tenant", "text"],
      ["message_id", "text"],
      ["endpoint_id", "text"],
      ["status", "text"],
      ["attempts", "integer"],
      ["last_attempt_at", "bigint"],
      ["last_response_status", "integer"],
      ["created_at", "bigint"],
      ["updated_at", "bigint"]
    ], deliveries)
    await insertColumns(client, q("attempts"), [
      ["id", "text"],
      ["tenant", "text"],
      ["delivery_id", "text"],
      ["message_id", "text"],
      ["endpoint_id", "text"],
      ["attempt", "integer"],
      ["trigger", "text"],
      ["url", "text"],
      ["started_at", "bigint"],
      ["duration_ms", "integer"],
      ["response_status", "integer"],
      ["response_body", "text"]
    ], attempts)
    // A week-old table has been through autovacuum: statistics, and a visibility map that lets index-only scans
    // skip the table. Right after a bulk load neither exists yet.
    for (const name of ["messages", "deliveries", "attempts"]) await client.query(`vacuum analyze ${q(name)}`)
    return attempts.length
  } finally {
    await client.end()
  }
}

interface Load {
  readonly type: "load"
  readonly schema: string
  readonly tenants: number
  readonly endpoints: ReadonlyArray<{ readonly tenant: string; readonly id: string }>
  readonly now: number
}

process.on("message", (command: Load) => {
  if (command.type !== "load") return
  loadHistory(command.schema, command.tenants, command.endpoints, command.now).then(
    (attempts) => process.send?.({ type: "loaded", attempts }),
    (error) => process.send?.({ type: "loaded", error: String(error) })
  )
})

// The parent went away (finished, crashed or killed): never outlive it.
process.on("disconnect", () => process.exit(0))

process.send?.({ type: "ready" })
