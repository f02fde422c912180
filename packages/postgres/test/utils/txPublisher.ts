/**
 * A host process for the transactional-publish crash test: publishes in a node-postgres transaction, commits, prints
 * the message id, and kills itself with SIGKILL at once — no finalizer, no `close()`, nothing after the commit runs.
 *
 *   HOOKWIRE_TEST_DATABASE_URL, TX_SCHEMA, TX_TENANT, TX_ORDER
 */
import { createHookwire } from "@hookwire/core/Hookwire"
import pg from "pg"
import * as PgAdapter from "../../src/PgAdapter.js"
import { catalog } from "./engine.js"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`txPublisher: ${name} is not set`)
  return value
}

const url = env("HOOKWIRE_TEST_DATABASE_URL")
const schema = env("TX_SCHEMA")
const orderId = env("TX_ORDER")
const pool = new pg.Pool({ connectionString: url, max: 1, application_name: "hookwire-test-tx-publisher" })
const hookwire = createHookwire({ adapter: PgAdapter.postgres({ url, schema }), catalog, logger: false })
const client = await pool.connect()
await client.query("BEGIN")
await client.query(`insert into "${schema}".orders (id) values ($1)`, [orderId])
const published = await hookwire.publish({ tenant: env("TX_TENANT"), type: "order.created", data: { orderId } }, {
  transaction: client
})
await client.query("COMMIT")
process.stdout.write(`${published.message.id}\n`, () => process.kill(process.pid, "SIGKILL"))
