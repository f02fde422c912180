/**
 * `publish(input, { transaction })` from the libraries hosts use (node-postgres, postgres.js, Kysely, Drizzle on
 * both drivers, Knex, Prisma with its node-postgres driver adapter), against the real server: commit delivers, rollback leaves nothing (no message, delivery or
 * queue row), and an engine that stops right after the commit loses nothing — a new engine delivers. Wrong input
 * (a pool, a database handle, a client outside `BEGIN`, another database, another adapter) is a ValidationError that
 * says what to pass.
 */
import { createHookwire } from "@hookwire/core/Hookwire"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import { newTenant } from "@hookwire/core/test/contract/Records"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import { databaseUrl, describeDb, newSchema, pool, waitFor } from "./utils/db.js"
import { catalog } from "./utils/engine.js"
import { libraries } from "./utils/libraries.js"

const publisherPath = fileURLToPath(new URL("./utils/txPublisher.ts", import.meta.url))
const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeDb("transactional publish from the host's database library", () => {
  const schema = newSchema("tx")
  const admin = pool(2)
  const hosts = libraries(databaseUrl, schema)
  const open: Array<{ readonly close: () => Promise<void> }> = []
  const tenant = newTenant()

  /** An engine on the test schema; `started` delivers (to a recording transport that answers 204). */
  const engine = async (started: boolean) => {
    const hookwire = createHookwire({
      adapter: PgAdapter.postgres({ url: databaseUrl, schema, applicationName: "hookwire-test-tx" }),
      catalog,
      transport: RecordingTransport.layer(),
      logger: false
    })
    open.push(hookwire)
    if (started) await hookwire.start()
    return hookwire
  }

  const count = async (table: string, where = "true", values: Array<unknown> = []) =>
    Number(
      (await admin.query(`select count(*)::int as n from "${schema}".hookwire_${table} where ${where}`, values))
        .rows[0].n
    )
  const orderExists = async (id: string) =>
    (await admin.query(`select 1 from "${schema}".orders where id = $1`, [id])).rowCount === 1

  beforeAll(async () => {
    const first = await engine(false)
    // Builds the adapter (and migrates the schema) before the first host transaction.
    await first.endpoints.create({ tenant, url: "https://receiver.example/hooks" })
    await admin.query(`create table "${schema}".orders (id text primary key)`)
  })

  afterAll(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()))
    await Promise.all(hosts.map((h) => h.close()))
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  for (const host of hosts) {
    it(`${host.name}: rollback leaves nothing — no message, delivery or queue row`, async () => {
      const hookwire = await engine(false)
      const queued = await count("queue")
      const orderId = `order_${host.name}_rolled_back`
      let messageId = ""
      const failure = new Error("card declined")
      const error = await host.transaction(async (tx) => {
        await host.insertOrder(tx, schema, orderId)
        const result = await hookwire.publish({ tenant, type: "order.created", data: { orderId } }, {
          transaction: tx
        })
        messageId = result.message.id
        expect(result.deliveries).toBe(1)
        // Not visible outside the transaction before it ends…
        expect(await count("messages", "id = $1", [messageId])).toBe(0)
        throw failure
      }).catch((e) => e)
      expect(error).toBe(failure)
      // …nor after the rollback: it never was.
      expect(messageId).not.toBe("")
      expect(await orderExists(orderId)).toBe(false)
      expect(await count("messages", "id = $1", [messageId])).toBe(0)
      expect(await count("deliveries", "message_id = $1", [messageId])).toBe(0)
      expect(await count("queue")).toBe(queued)
      await expect(hookwire.messages.get({ tenant, id: messageId })).rejects.toMatchObject({ _tag: "NotFound" })
    })

    it(`${host.name}: commit, then the engine stops before delivering — a new engine delivers`, async () => {
      const publisher = await engine(false)
      const orderId = `order_${host.name}_committed`
      const ids = await host.transaction(async (tx) => {
        await host.insertOrder(tx, schema, orderId)
        const one = await publisher.publish({ tenant, type: "order.created", data: { orderId } }, { transaction: tx })
        const many = await publisher.publishMany([
          { tenant, type: "order.created", data: { orderId: `${orderId}_a` } },
          { tenant, type: "order.created", data: { orderId: `${orderId}_b` } }
        ], { transaction: tx })
        const published = [one, ...many].map((r) => r.message.id)
        // Part of the host's transaction: not visible to anyone else before its commit.
        expect(await count("messages", "id = any($1)", [published])).toBe(0)
        return published
      })
      expect(await orderExists(orderId)).toBe(true)
      expect(await count("messages", "id = any($1)", [ids])).toBe(3)
      // Each delivery is queued by the committed transaction itself: nothing is left for the publisher to do.
      expect(
        await count("queue", `id in (select id from "${schema}".hookwire_deliveries where message_id = any($1))`, [
          ids
        ])
      ).toBe(3)
      await publisher.close()
      const worker = await engine(true)
      await waitFor(
        "the new engine to deliver the committed messages",
        async () => await count("deliveries", "message_id = any($1) and status = 'delivered'", [ids]) === 3,
        20_000
      )
      const delivered = await worker.deliveries.list({ tenant, messageId: ids[0] })
      expect(delivered.items.map((d) => d.status)).toStrictEqual(["delivered"])
      await worker.close()
    })
  }

  it("node-postgres: the host process is killed (SIGKILL) right after COMMIT — another process delivers", async () => {
    const orderId = "order_killed_after_commit"
    const child = spawn(process.execPath, ["--import", "tsx", publisherPath], {
      cwd: packageDir,
      env: {
        ...process.env,
        HOOKWIRE_TEST_DATABASE_URL: databaseUrl,
        TX_SCHEMA: schema,
        TX_TENANT: tenant,
        TX_ORDER: orderId
      },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += String(chunk)))
    const [code, signal] = await Promise.race([
      once(child, "exit"),
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          child.kill("SIGKILL")
          reject(new Error("the publishing process did not finish within 60 s"))
        }, 60_000)
      )
    ])
    expect([code, signal]).toStrictEqual([null, "SIGKILL"])
    const messageId = output.trim()
    expect(messageId).toMatch(/^msg_/)
    expect(await orderExists(orderId)).toBe(true)
    const worker = await engine(true)
    await waitFor(
      "another engine to deliver the message of the killed process",
      async () => await count("deliveries", "message_id = $1 and status = 'delivered'", [messageId]) === 1,
      30_000
    )
    await worker.close()
  })

  it("refuses what is no transaction, saying what to pass", async () => {
    const hookwire = await engine(false)
    const input = { tenant, type: "order.created", data: { orderId: "o_wrong" } } as const
    for (const host of hosts) {
      const error = await hookwire.publish(input, { transaction: await host.notATransaction() }).catch((e) => e)
      expect(error, host.name).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: "transaction" })
      expect(error.message, host.name).toMatch(/transaction/)
    }
    const fromPool = await hookwire.publish(input, { transaction: await hosts[0].notATransaction() }).catch((e) => e)
    expect(fromPool.message).toMatch(/node-postgres Pool.*pool\.connect\(\).*BEGIN/)
    const unknown = await hookwire.publish(input, { transaction: {} }).catch((e) => e)
    expect(unknown).toMatchObject({ _tag: "ValidationError", field: "transaction" })
    expect(unknown.message).toMatch(/node-postgres client after `BEGIN`/)
    const notAnObject = await hookwire.publish(input, null as never).catch((e) => e)
    expect(notAnObject).toMatchObject({ _tag: "ValidationError", field: "options" })
    const typo = await hookwire.publish(input, { transacton: {} } as never).catch((e) => e)
    expect(typo).toMatchObject({ _tag: "ValidationError", field: "transacton" })
    expect(typo.message).toMatch(/did you mean "transaction"/)
    expect(await count("messages", "body like '%o_wrong%'")).toBe(0)
  })

  it("refuses a node-postgres client outside BEGIN, and a transaction on another database", async () => {
    const hookwire = await engine(false)
    const input = { tenant, type: "order.created", data: { orderId: "o_elsewhere" } } as const
    const client = await admin.connect()
    try {
      const error = await hookwire.publish(input, { transaction: client }).catch((e) => e)
      expect(error).toMatchObject({ _tag: "ValidationError", field: "transaction" })
      expect(error.message).toMatch(/not inside a transaction.*BEGIN/)
    } finally {
      client.release()
    }
    const url = new URL(databaseUrl)
    url.pathname = "/template1"
    const other = new pg.Client({ connectionString: url.toString() })
    await other.connect()
    try {
      await other.query("BEGIN")
      const error = await hookwire.publish(input, { transaction: other }).catch((e) => e)
      expect(error).toMatchObject({ _tag: "ValidationError", field: "transaction" })
      expect(error.message).toMatch(/database "template1" of the same server.*Hookwire's tables are on database/)
      await other.query("ROLLBACK")
    } finally {
      await other.end()
    }
    expect(await count("messages", "body like '%o_elsewhere%'")).toBe(0)
  })

  it("a publish the server refuses is undone alone: the host's transaction goes on", async () => {
    const hookwire = await engine(false)
    const client = await admin.connect()
    try {
      await client.query("BEGIN")
      // Within this transaction only (rolled back below): the messages table refuses the tenant "refused".
      await client.query(
        `alter table "${schema}".hookwire_messages add constraint refuse_tenant check (tenant <> 'refused')`
      )
      const error = await hookwire.publish({ tenant: "refused", type: "order.created", data: { orderId: "o_r" } }, {
        transaction: client
      }).catch((e) => e)
      expect(error).toMatchObject({ _tag: "StorageError" })
      expect(error.message).toMatch(/refuse_tenant/)
      // Not "current transaction is aborted": the failed publish was rolled back to its savepoint.
      await client.query(`insert into "${schema}".orders (id) values ('o_after_refusal')`)
      const ok = await hookwire.publish({ tenant, type: "order.created", data: { orderId: "o_after_refusal" } }, {
        transaction: client
      })
      expect(ok.deliveries).toBe(1)
      await client.query("ROLLBACK")
    } finally {
      client.release()
    }
    expect(await orderExists("o_after_refusal")).toBe(false)
  })

  it("refuses { transaction } with an adapter that cannot join one", async () => {
    const adapter = PgAdapter.postgres({ url: databaseUrl, schema, applicationName: "hookwire-test-tx" })
    const hookwire = createHookwire({ adapter: { layer: adapter.layer }, catalog, logger: false })
    open.push(hookwire)
    const client = await admin.connect()
    try {
      await client.query("BEGIN")
      const error = await hookwire.publish({ tenant, type: "order.created", data: { orderId: "o_no_join" } }, {
        transaction: client
      }).catch((e) => e)
      expect(error).toMatchObject({ _tag: "ValidationError", field: "transaction" })
      expect(error.message).toMatch(/cannot join your transaction.*postgres\(\)/)
      await client.query("ROLLBACK")
    } finally {
      client.release()
    }
  })
})
