/**
 * Crash safety with real processes: worker processes (test/utils/worker.ts, run with tsx) deliver over HTTP to a
 * receiver in this process that counts what it gets. Killing a worker with SIGKILL mid-run, or terminating every
 * connection of a worker from the server side, loses nothing: another worker (or the same one, reconnected)
 * finishes, and duplicates stay within what was claimed and unfinished at the time.
 */
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import { clientLayer, databaseUrl, describeDb, newSchema, pool as makePool, schemaLayer, waitFor } from "./utils/db.js"
import { webhooks } from "./utils/engine.js"

/** The stalled worker's `concurrency`, and how long its storage stall lasts before it is killed. */
const STALL_CONCURRENCY = 32
const STALL_MS = 2_000

const workerPath = fileURLToPath(new URL("./utils/worker.ts", import.meta.url))
const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeDb("crash safety (real worker processes)", () => {
  const received = new Map<string, number>()
  let server: Server
  let port: number
  const children = new Set<ChildProcess>()
  const pg = makePool()

  beforeAll(async () => {
    server = createServer((req, res) => {
      const key = `${req.url}|${req.headers["webhook-id"]}`
      received.set(key, (received.get(key) ?? 0) + 1)
      req.resume()
      req.on("end", () => {
        res.statusCode = 204
        res.end()
      })
    })
    server.listen(0, "127.0.0.1")
    await once(server, "listening")
    port = (server.address() as AddressInfo).port
  })

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL")
    server.closeAllConnections()
    server.close()
    await pg.end()
  })

  const total = () => [...received.values()].reduce((a, b) => a + b, 0)

  /** A migrated schema with `endpoints` endpoints (on the receiver) and `messages` messages to all of them. */
  const seed = (schema: string, endpoints: number, messages: number) =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const tenant = `tenant_${schema}`
      yield* Effect.forEach(
        Array.from({ length: endpoints }, (_, i) => i),
        (i) => w.endpoints.create({ tenant, url: `http://127.0.0.1:${port}/e${i}` }),
        { concurrency: 8, discard: true }
      )
      yield* Effect.forEach(
        Array.from({ length: messages }, (_, i) => i),
        (i) => w.publish({ tenant, type: "order.created", data: { orderId: `o${i}` } }),
        { concurrency: 8, discard: true }
      )
    }).pipe(
      Effect.provide(webhooks(PgAdapter.layer({ schema, migrate: false }))),
      Effect.provide(clientLayer("hookwire-test-seed"))
    )

  /** Runs `f` with a migrated schema that is dropped afterwards. */
  const withSchema = async (label: string, f: (schema: string) => Promise<void>) => {
    const schema = newSchema(label)
    const runtime = ManagedRuntime.make(Layer.provide(schemaLayer(schema), clientLayer("hookwire-test-schema")))
    await runtime.runPromise(Effect.void)
    try {
      await f(schema)
    } finally {
      await runtime.dispose()
    }
  }

  const startWorker = (
    schema: string,
    appName: string,
    leaseMs: number,
    extra: Readonly<Record<string, string>> = {}
  ) => {
    const child = spawn(process.execPath, ["--import", "tsx", workerPath], {
      cwd: packageDir,
      env: {
        ...process.env,
        HOOKWIRE_TEST_DATABASE_URL: databaseUrl,
        WORKER_SCHEMA: schema,
        WORKER_APP_NAME: appName,
        WORKER_LEASE_MS: String(leaseMs),
        ...extra
      },
      stdio: ["ignore", "inherit", "inherit"]
    })
    children.add(child)
    child.on("exit", () => children.delete(child))
    return child
  }

  const stop = async (child: ChildProcess, signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, "exit")
    child.kill(signal)
    await exited
  }

  const count = async (text: string, params: ReadonlyArray<unknown> = []) =>
    Number((await pg.query(text, params as Array<unknown>)).rows[0].n)

  it(
    "kill -9 of a worker in the middle of 5,000 deliveries: another worker finishes; duplicates ≤ in flight",
    async () => {
      received.clear()
      await withSchema("crash", async (schema) => {
        await Effect.runPromise(seed(schema, 50, 100))
        const deliveries = `"${schema}".hookwire_deliveries`
        const queue = `"${schema}".hookwire_queue`
        expect(await count(`select count(*) as n from ${deliveries}`)).toBe(5_000)

        const first = startWorker(schema, `hwt-crash-a-${schema}`, 3_000)
        await waitFor("the first worker to deliver 1,500", () => total() >= 1_500, 30_000)
        await stop(first, "SIGKILL")
        // What the dead worker held: claimed and not completed. Only these can be delivered twice.
        const inFlight = await count(`select count(*) as n from ${queue} where lease_token is not null`)

        const second = startWorker(schema, `hwt-crash-b-${schema}`, 3_000)
        await waitFor(
          "every delivery to be delivered",
          async () => (await count(`select count(*) as n from ${deliveries} where status = 'delivered'`)) === 5_000,
          60_000,
          100
        )
        await waitFor(
          "the queue to drain",
          async () => (await count(`select count(*) as n from ${queue}`)) === 0,
          10_000
        )
        await stop(second, "SIGTERM")

        expect(received.size).toBe(5_000)
        const duplicates = total() - 5_000
        console.log(`[crash] in flight at kill: ${inFlight}, duplicates: ${duplicates}`)
        expect(duplicates).toBeLessThanOrEqual(inFlight)
        expect(await count(`select count(*) as n from ${deliveries} where status <> 'delivered'`)).toBe(0)
      })
    },
    120_000
  )

  it(
    "a storage stall, then kill -9: at most 2 × `concurrency` deliveries were sent without a durable result, and only " +
      "those are sent twice",
    async () => {
      received.clear()
      await withSchema("stall", async (schema) => {
        await Effect.runPromise(seed(schema, 20, 50))
        const deliveries = `"${schema}".hookwire_deliveries`
        const queue = `"${schema}".hookwire_queue`
        const stalled = startWorker(schema, `hwt-stall-a-${schema}`, 3_000, {
          WORKER_CONCURRENCY: String(STALL_CONCURRENCY),
          WORKER_STALL_WRITES: "1"
        })
        await waitFor("the stalled worker to send", () => total() >= STALL_CONCURRENCY, 30_000)
        // The fault under test lasts STALL_MS: a worker that freed slots before its results were durable kept sending
        // (hundreds, issue 16.3) all this time, every one of them lost to the kill below.
        await new Promise((resolve) => setTimeout(resolve, STALL_MS))
        const sentBeforeKill = total()
        await stop(stalled, "SIGKILL")

        const second = startWorker(schema, `hwt-stall-b-${schema}`, 3_000)
        await waitFor(
          "every delivery to be delivered",
          async () => (await count(`select count(*) as n from ${deliveries} where status = 'delivered'`)) === 1_000,
          60_000,
          100
        )
        await waitFor(
          "the queue to drain",
          async () => (await count(`select count(*) as n from ${queue}`)) === 0,
          10_000
        )
        await stop(second, "SIGTERM")

        expect(received.size).toBe(1_000)
        const duplicates = total() - 1_000
        console.log(`[crash] write stall: sent before the kill ${sentBeforeKill}, duplicates ${duplicates}`)
        expect(sentBeforeKill).toBeLessThanOrEqual(2 * STALL_CONCURRENCY)
        expect(duplicates).toBeLessThanOrEqual(2 * STALL_CONCURRENCY)
      })
    },
    120_000
  )

  it("terminating every connection of a worker mid-run: it reconnects and finishes", async () => {
    received.clear()
    await withSchema("terminate", async (schema) => {
      await Effect.runPromise(seed(schema, 20, 100))
      const deliveries = `"${schema}".hookwire_deliveries`
      const appName = `hwt-term-${schema}`.slice(0, 63)
      const worker = startWorker(schema, appName, 3_000)
      await waitFor("the worker to deliver 400", () => total() >= 400, 30_000)
      const terminated = await count(
        `select count(*) as n from (select pg_terminate_backend(pid) from pg_stat_activity ` +
          `where application_name = $1) as t`,
        [appName]
      )
      expect(terminated).toBeGreaterThan(0)
      const atTermination = total()
      await waitFor(
        "every delivery to be delivered after the reconnect",
        async () => (await count(`select count(*) as n from ${deliveries} where status = 'delivered'`)) === 2_000,
        60_000,
        100
      )
      expect(received.size).toBe(2_000)
      expect(total()).toBeGreaterThan(atTermination)
      // The worker is connected again (the pool and the LISTEN connection).
      await waitFor(
        "the worker's connections to be back",
        async () =>
          (await count(`select count(*) as n from pg_stat_activity where application_name = $1`, [appName])) > 0,
        10_000
      )
      await stop(worker, "SIGTERM")
    })
  }, 120_000)
})
