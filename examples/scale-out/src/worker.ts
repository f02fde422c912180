/**
 * One worker process: Hookwire's dispatcher on the shared Postgres storage and queue, and nothing else. Start as
 * many as you like against one database; each claims due deliveries with a lease (`FOR UPDATE SKIP LOCKED`, so two
 * workers never hold the same delivery), is woken by `LISTEN/NOTIFY` when work arrives, and on SIGTERM or SIGINT
 * stops claiming, lets in-flight attempts finish (or hands them back to the queue) and exits.
 *
 * Who delivered what: neither the request nor the attempt log carries a worker id (every worker sends the same
 * request; custom headers belong to the endpoint, not the process). What a process does know is its own operational
 * events: `delivery.succeeded` is published by the dispatcher that made the successful attempt, after the result is
 * written. So the worker reports those delivery ids to its parent over the IPC channel, in small batches. Run
 * without a parent (`tsx src/worker.ts`), it prints its totals instead.
 *
 * Environment: HOOKWIRE_DATABASE_URL (required), HOOKWIRE_DATABASE_SCHEMA, WORKER_NAME, WORKER_CONCURRENCY
 * (default 32), WORKER_LEASE_MS (default 30000). It never migrates: the tables must exist (main.ts or
 * `pnpm --filter @hookwire/postgres migrate` creates them).
 */
import { createHookwire } from "@hookwire/core"
import { postgres } from "@hookwire/postgres"
import { catalog, env, type WorkerMessage } from "./protocol.js"

const url = process.env[env.databaseUrl]
if (url === undefined || url === "") {
  console.error(`worker: set ${env.databaseUrl} (e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres)`)
  process.exit(1)
}
const name = process.env[env.name] ?? `worker-${process.pid}`
const concurrency = Number(process.env[env.concurrency] ?? 32)
const leaseMs = Number(process.env[env.leaseMs] ?? 30_000)

/** Sends to the parent; resolves once the message is handed to the channel (or at once without a parent). */
const send = (message: WorkerMessage): Promise<void> =>
  new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve()
    process.send(message, undefined, {}, () => resolve())
  })

let delivered: Array<string> = []
let deliveredTotal = 0
let failedTotal = 0

const flush = async () => {
  if (delivered.length === 0) return
  const deliveryIds = delivered
  delivered = []
  await send({ type: "delivered", name, deliveryIds })
}

const hookwire = createHookwire({
  adapter: postgres({ url, applicationName: `hookwire-${name}`, schema: process.env[env.schema], migrate: false }),
  catalog,
  // The receivers of this example are plain http on loopback: both must be allowed explicitly. Only 127.0.0.1 is
  // let through the SSRF guard; every other private address stays refused.
  allowHttp: true,
  http: { allowCidrs: ["127.0.0.1/32"] },
  dispatcher: { concurrency, lease: leaseMs },
  onEvent: (event) => {
    if (event.type === "delivery.succeeded") {
      delivered.push(event.deliveryId)
      deliveredTotal++
    } else if (event.type === "delivery.failed") {
      failedTotal++
    }
  },
  logLevel: "warn",
  logger: (entry) => console.error(`[${name}] ${entry.level}: ${entry.message}`)
})

// Report every 50 ms: a few IPC messages per second, each with up to a few hundred ids.
const reporter = setInterval(() => void flush(), process.send === undefined ? 5_000 : 50)
if (process.send === undefined) {
  reporter.unref()
  setInterval(() => console.log(`[${name}] delivered ${deliveredTotal}, failed ${failedTotal}`), 5_000).unref()
}

let stopping: Promise<void> | undefined
const stop = (signal: NodeJS.Signals | "disconnect") => {
  stopping ??= (async () => {
    // Stop claiming; in-flight attempts finish within the dispatcher's shutdown grace (default 10 s) or go back to
    // the queue; every result is written; then the connections close.
    await hookwire.close()
    clearInterval(reporter)
    await flush()
    await send({ type: "stopped", name })
    if (process.send === undefined) {
      console.log(`[${name}] stopped on ${signal}: delivered ${deliveredTotal}, failed ${failedTotal}`)
    }
    if (process.connected) process.disconnect()
  })().catch(async (error: unknown) => {
    await send({ type: "error", name, message: `close failed: ${String(error)}` })
    console.error(`[${name}] close failed`, error)
    process.exit(1)
  })
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
// Started by a parent that has gone away (killed, crashed): stop too, rather than deliver on as an orphan.
if (process.send !== undefined) process.on("disconnect", () => stop("disconnect"))

try {
  await hookwire.start()
  await send({ type: "ready", name, pid: process.pid })
} catch (error) {
  await send({ type: "error", name, message: `start failed: ${String(error)}` })
  console.error(`[${name}] start failed`, error)
  process.exit(1)
}
