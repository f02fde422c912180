/**
 * `pnpm --filter ./examples/scale-out start [--workers 3] [--messages 2000] [--endpoints 4] [--concurrency 32]`
 *
 * Scaling out with Postgres: one database holds the storage and the queue, several worker processes deliver from
 * it, and this process is the publisher. It migrates a fresh schema, starts a local receiver (receiver.ts) and N
 * worker processes (worker.ts, run with tsx), creates a tenant with a few endpoints on the receiver, publishes M
 * messages, waits until every delivery is delivered, and prints who delivered what. Then it stops the workers
 * (SIGTERM, SIGKILL past a deadline) and drops the schema. Everything stays on loopback; every wait has a deadline.
 *
 * The database is `--database-url`, else HOOKWIRE_DATABASE_URL, else postgres://postgres:postgres@127.0.0.1:5432/postgres.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { createHookwire } from "@hookwire/core"
import { PgAdapter, PgMigrator, postgres } from "@hookwire/postgres"
import { Cause, Effect, Exit, ManagedRuntime } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { catalog, env, type WorkerMessage } from "./protocol.js"
import { type ReceiverStats, startReceiver } from "./receiver.js"

/** The database used when none is given. */
export const defaultDatabaseUrl = "postgres://postgres:postgres@127.0.0.1:5432/postgres"

export interface Options {
  /** Worker processes. Default 3. */
  readonly workers?: number | undefined
  /** Messages published; each goes to every endpoint. Default 2,000. */
  readonly messages?: number | undefined
  /** Endpoints of the tenant, all on the local receiver. Default 4. */
  readonly endpoints?: number | undefined
  /** The dispatcher's `concurrency` in each worker. Default 32. */
  readonly concurrency?: number | undefined
  /** The dispatcher's `lease` in each worker, in milliseconds. Default 30,000. */
  readonly leaseMs?: number | undefined
  /**
   * Each endpoint's request timeout, in milliseconds (at most half the lease). Default: the engine's (15 s). The
   * receiver shares this process with the publisher: on a starved machine its answers can take longer than that.
   */
  readonly timeoutMs?: number | undefined
  /** How long the worker processes may take to start (tsx compiles each on boot). Default 60 s. */
  readonly startDeadlineMs?: number | undefined
  readonly databaseUrl?: string | undefined
  /** How long to wait for every delivery once publishing starts. Default 120 s. */
  readonly deadlineMs?: number | undefined
  /** Receives each line of output. Default `console.log`. */
  readonly print?: ((line: string) => void) | undefined
  /** Aborting stops the run at its next wait; workers are stopped and the schema dropped all the same. */
  readonly signal?: AbortSignal | undefined
}

export interface WorkerSummary {
  readonly name: string
  readonly pid: number
  /** Deliveries this worker reported delivered (its `delivery.succeeded` events). */
  readonly deliveries: number
  /** Its part of all reports, in percent. */
  readonly share: number
}

export interface Summary {
  /** The schema the run used (dropped at the end). */
  readonly schema: string
  readonly workers: ReadonlyArray<WorkerSummary>
  /** Deliveries the publishes created (messages × endpoints here). */
  readonly expected: number
  /** Final states in storage, once none is pending: the source of truth. */
  readonly delivered: number
  readonly failed: number
  readonly cancelled: number
  /** Sum of the workers' reports (`delivery.succeeded` events). */
  readonly reported: number
  /** Delivered deliveries that two workers each report as theirs (a lease expired while one was attempting). */
  readonly reportedTwice: number
  /** Delivered deliveries no worker reported. 0, unless a worker died between writing a result and reporting it. */
  readonly unattributed: number
  /** What the receiver saw; `receiver.duplicates` are requests beyond the first per (endpoint, webhook id). */
  readonly receiver: ReceiverStats
  /** From the first publish until storage had no pending delivery left. */
  readonly wallMs: number
  /** How long publishing took (the workers deliver meanwhile). */
  readonly publishMs: number
  /** `expected / wallMs`, per second. */
  readonly perSecond: number
}

const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url))
const packageDir = fileURLToPath(new URL("..", import.meta.url))

/** The URL with its password hidden, for messages. */
export const safeUrl = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")

/** `undefined` when PostgreSQL answers `select 1` within `timeoutMs`, else why not. */
export const probeDatabase = async (url: string, timeoutMs = 5_000): Promise<string | undefined> => {
  const exit = await Effect.runPromiseExit(
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql`select 1`).pipe(
      Effect.provide(PgAdapter.clientLayer({ url, applicationName: "hookwire-scale-out" })),
      Effect.timeoutFail({ duration: timeoutMs, onTimeout: () => new Error(`no answer within ${timeoutMs} ms`) })
    )
  )
  if (Exit.isSuccess(exit)) return undefined
  const error = Cause.squash(exit.cause)
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ""
  return `${error instanceof Error ? error.message : String(error)}${cause}`
}

const schemaPrefix = "hookwire_scale_out_"

/**
 * Drops this example's schemas older than an hour: a run killed outright (SIGKILL, or tsx force-killing a busy
 * process on Ctrl-C) cannot drop its own. Their names carry their creation time.
 */
const dropStaleSchemas = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ nspname: string }>`
    select nspname from pg_namespace where left(nspname, ${schemaPrefix.length}) = ${schemaPrefix}`
  const stale = rows.map((r) => r.nspname).filter((name) => {
    const created = parseInt(name.slice(schemaPrefix.length).split("_")[0] ?? "", 36)
    return Number.isFinite(created) && created < Date.now() - 3_600_000
  })
  for (const name of stale) yield* sql.unsafe(`drop schema if exists "${name}" cascade`)
  return stale
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const positiveInt = (name: string, value: number): number => {
  if (!(Number.isInteger(value) && value >= 1)) throw new Error(`--${name} must be a whole number ≥ 1, got ${value}`)
  return value
}

const n = (value: number) => value.toLocaleString("en-US")
const padEnd = (s: string, width: number) => s + " ".repeat(Math.max(0, width - s.length))
const padStart = (s: string, width: number) => " ".repeat(Math.max(0, width - s.length)) + s

interface Worker {
  readonly name: string
  readonly child: ChildProcess
  pid: number
  ready: boolean
  stopped: boolean
  exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined
  error: string | undefined
  deliveries: number
}

/** Runs the example and returns its summary (also printed). Rejects if a deadline passes or a worker fails. */
export const runScaleOut = async (options: Options = {}): Promise<Summary> => {
  const workerCount = positiveInt("workers", options.workers ?? 3)
  const messages = positiveInt("messages", options.messages ?? 2_000)
  const endpointCount = positiveInt("endpoints", options.endpoints ?? 4)
  const concurrency = positiveInt("concurrency", options.concurrency ?? 32)
  const leaseMs = options.leaseMs ?? 30_000
  const url = options.databaseUrl ?? defaultDatabaseUrl
  const deadlineMs = options.deadlineMs ?? 120_000
  const startDeadlineMs = options.startDeadlineMs ?? 60_000
  const print = options.print ?? console.log
  const signal = options.signal

  /** Polls `check` until it holds; throws (saying how far it got) past `timeoutMs`, or on abort unless `cleanup`. */
  const waitFor = async (
    what: string,
    timeoutMs: number,
    check: () => boolean | Promise<boolean>,
    { cleanup = false, intervalMs = 25, progress = () => "" }: {
      cleanup?: boolean
      intervalMs?: number
      progress?: () => string
    } = {}
  ) => {
    const deadline = Date.now() + timeoutMs
    while (!(await check())) {
      if (signal?.aborted && !cleanup) throw new Error(`interrupted while waiting for ${what}`)
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${progress()}`)
      await sleep(intervalMs)
    }
  }

  const unreachable = await probeDatabase(url)
  if (unreachable !== undefined) {
    throw new Error(
      `PostgreSQL at ${safeUrl(url)} is unreachable (${unreachable}). Start it, or pass --database-url / set ` +
        `HOOKWIRE_DATABASE_URL.`
    )
  }

  // A schema of our own: nothing else in the database is touched, and dropping it at the end removes everything.
  const schema = `${schemaPrefix}${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = ManagedRuntime.make(PgAdapter.clientLayer({ url, applicationName: "hookwire-scale-out" }))
  const workers: Array<Worker> = []
  const receiver = await startReceiver()
  const publisher = createHookwire({
    // The tables exist before any worker starts (migrated once, below): nobody else migrates.
    adapter: postgres({ url, schema, migrate: false, applicationName: "hookwire-scale-out-publisher" }),
    catalog,
    allowHttp: true,
    logLevel: "error",
    logger: (entry) => print(`[publisher] ${entry.level}: ${entry.message}`)
  })

  // Every delivery id some worker reported; a second report of the same id counts as reported twice.
  const reportedIds = new Set<string>()

  const onMessage = (worker: Worker) => (message: WorkerMessage) => {
    switch (message.type) {
      case "ready":
        worker.ready = true
        worker.pid = message.pid
        break
      case "delivered":
        worker.deliveries += message.deliveryIds.length
        for (const id of message.deliveryIds) reportedIds.add(id)
        break
      case "stopped":
        worker.stopped = true
        break
      case "error":
        worker.error = message.message
        break
    }
  }

  const startWorker = (name: string): Worker => {
    const child = spawn(process.execPath, ["--import", "tsx", workerPath], {
      cwd: packageDir,
      env: {
        ...process.env,
        [env.databaseUrl]: url,
        [env.schema]: schema,
        [env.name]: name,
        [env.concurrency]: String(concurrency),
        [env.leaseMs]: String(leaseMs)
      },
      // Worker logs go to our stdout/stderr; reports come over the IPC channel.
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    const worker: Worker = {
      name,
      child,
      pid: child.pid ?? 0,
      ready: false,
      stopped: false,
      exit: undefined,
      error: undefined,
      deliveries: 0
    }
    child.on("message", onMessage(worker))
    child.on("exit", (code, sig) => {
      worker.exit = { code, signal: sig }
    })
    child.on("error", (error) => {
      worker.error = `could not start: ${error.message}`
      worker.exit ??= { code: null, signal: null }
    })
    return worker
  }

  const alive = () => workers.filter((w) => w.exit === undefined)

  /** SIGTERM, then SIGKILL for whoever is still running at the deadline. */
  const stopWorkers = async (graceMs: number) => {
    for (const w of alive()) w.child.kill("SIGTERM")
    try {
      await waitFor("the workers to stop", graceMs, () => alive().length === 0, { cleanup: true })
    } catch {
      for (const w of alive()) {
        print(`${w.name} did not stop within ${graceMs} ms: killing it`)
        w.child.kill("SIGKILL")
      }
      await waitFor("killed workers to exit", 5_000, () => alive().length === 0, { cleanup: true })
    }
  }

  try {
    const stale = await admin.runPromise(dropStaleSchemas)
    if (stale.length > 0) print(`dropped ${stale.length} schemas left by interrupted runs: ${stale.join(", ")}`)
    const applied = await admin.runPromise(PgMigrator.run({ schema }))
    print(`schema ${schema}: ${applied.length} migrations applied on ${safeUrl(url)}`)

    // The workers start while we set up: a tsx process takes a second or two to boot.
    const booting = Date.now()
    for (let i = 1; i <= workerCount; i++) workers.push(startWorker(`w${i}`))

    const tenant = "acme"
    for (let i = 0; i < endpointCount; i++) {
      const path = `/hooks/${i}`
      const endpoint = await publisher.endpoints.create({
        tenant,
        url: `${receiver.origin}${path}`,
        name: `shop ${i}`,
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
      })
      // The secret is returned once, here: the receiver keeps it to verify what this endpoint receives.
      receiver.register(path, endpoint.secret)
    }
    print(`tenant ${tenant}: ${endpointCount} endpoints on ${receiver.origin}/hooks/0…${endpointCount - 1}`)

    await waitFor(
      "the workers to start",
      startDeadlineMs,
      () => {
        const broken = workers.find((w) => w.error !== undefined || w.exit !== undefined)
        if (broken !== undefined) {
          throw new Error(
            `worker ${broken.name} failed to start: ${broken.error ?? `exited (${JSON.stringify(broken.exit)})`}`
          )
        }
        return workers.every((w) => w.ready)
      },
      { progress: () => `(${workers.filter((w) => w.ready).length} of ${workerCount} ready)` }
    )
    print(
      `${workerCount} workers ready in ${((Date.now() - booting) / 1000).toFixed(2)} s ` +
        `(concurrency ${concurrency}, lease ${leaseMs / 1000} s): ` +
        workers.map((w) => `${w.name} pid ${w.pid}`).join(", ")
    )

    // --- publish, while the workers deliver -----------------------------------------------------------------------
    const started = Date.now()
    let published = 0
    let expected = 0
    let next = 0
    const progress = () =>
      `published ${n(published)} of ${n(messages)} messages; the receiver has ${n(receiver.stats().distinct)} ` +
      `deliveries (reported: ${
        workers.map((w) => `${w.name} ${n(w.deliveries)}${w.exit === undefined ? "" : " exited"}`).join(", ")
      })`
    const ticker = setInterval(
      () => print(`  ${padStart(((Date.now() - started) / 1000).toFixed(1), 5)} s  ${progress()}`),
      1_000
    )
    let publishMs = 0
    let doneAt = 0
    try {
      const publishSome = async () => {
        while (next < messages && !signal?.aborted) {
          const i = next++
          const result = await publisher.publish({
            tenant,
            type: "order.created",
            data: { orderId: `ord_${i}`, amount: 1_000 + (i % 97) * 10, currency: "EUR" }
          })
          expected += result.deliveries
          published++
        }
      }
      await Promise.all(Array.from({ length: 8 }, publishSome))
      publishMs = Date.now() - started
      print(`published ${n(published)} messages → ${n(expected)} deliveries in ${(publishMs / 1000).toFixed(2)} s`)

      // --- wait until storage has no pending delivery left ----------------------------------------------------------
      await waitFor(
        "every delivery to be delivered",
        Math.max(0, started + deadlineMs - Date.now()),
        async () => {
          const pending = await publisher.deliveries.list({ tenant, status: "pending", limit: 1 })
          if (pending.items.length > 0) return false
          doneAt = Date.now()
          return true
        },
        { intervalMs: 100, progress: () => `(${progress()})` }
      )
    } finally {
      clearInterval(ticker)
    }
    const wallMs = doneAt - started

    // --- the final states, from storage ---------------------------------------------------------------------------
    const count = async (status: "failed" | "cancelled") => {
      let total = 0
      let cursor: string | undefined
      do {
        const page = await publisher.deliveries.list({ tenant, status, limit: 1_000, cursor })
        total += page.items.length
        cursor = page.nextCursor ?? undefined
      } while (cursor !== undefined)
      return total
    }
    const failedCount = await count("failed")
    const cancelled = await count("cancelled")
    const delivered = expected - failedCount - cancelled

    // --- attribution: each delivered delivery is reported by the worker that delivered it ----------------------------
    // Reports trail the result by up to the report interval; a short bounded wait, then stop the workers (their last
    // reports are flushed on the way out).
    await waitFor("every delivery to be reported", 5_000, () => reportedIds.size >= delivered).catch((error: unknown) =>
      print(`note: ${String(error)}`)
    )
    const stopping = Date.now()
    await stopWorkers(15_000)
    print(`stopped ${workerCount} workers (SIGTERM, graceful) in ${((Date.now() - stopping) / 1000).toFixed(2)} s`)
    for (const w of workers) {
      if (!w.stopped || w.exit?.code !== 0) {
        print(`note: ${w.name} did not stop cleanly (${w.error ?? JSON.stringify(w.exit)})`)
      }
    }

    const reported = workers.reduce((sum, w) => sum + w.deliveries, 0)
    const summary: Summary = {
      schema,
      workers: workers.map((w) => ({
        name: w.name,
        pid: w.pid,
        deliveries: w.deliveries,
        share: reported === 0 ? 0 : (100 * w.deliveries) / reported
      })),
      expected,
      delivered,
      failed: failedCount,
      cancelled,
      reported,
      reportedTwice: reported - reportedIds.size,
      unattributed: Math.max(0, delivered - reportedIds.size),
      receiver: receiver.stats(),
      wallMs,
      publishMs,
      perSecond: expected / (wallMs / 1000)
    }
    for (const line of formatSummary(summary)) print(line)
    return summary
  } finally {
    await stopWorkers(15_000).catch((error: unknown) => print(`stopping workers: ${String(error)}`))
    await publisher.close()
    await receiver.close()
    await admin.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`drop schema if exists "${schema}" cascade`))
    ).then(
      () => print(`schema ${schema} dropped`),
      (error: unknown) => print(`could not drop schema ${schema}: ${String(error)}; drop it by hand`)
    )
    await admin.dispose()
  }
}

/** The summary as a table and a few lines of totals. */
export const formatSummary = (s: Summary): ReadonlyArray<string> => {
  const row = (name: string, pid: string, deliveries: string, share: string) =>
    `${padEnd(name, 8)}${padStart(pid, 8)}${padStart(deliveries, 13)}${padStart(share, 9)}`
  const rule = "-".repeat(38)
  return [
    "",
    row("worker", "pid", "deliveries", "share"),
    rule,
    ...s.workers.map((w) => row(w.name, String(w.pid), n(w.deliveries), `${w.share.toFixed(1)} %`)),
    rule,
    row("total", "", n(s.reported), s.reported === 0 ? "-" : "100.0 %"),
    "",
    `deliveries   ${n(s.expected)} published, ${n(s.delivered)} delivered, ${n(s.failed)} failed, ` +
    `${n(s.cancelled)} cancelled (storage); ${n(s.unattributed)} delivered but reported by no worker`,
    `duplicates   ${n(s.receiver.duplicates)} extra requests at the receiver (${n(s.receiver.requests)} requests for ` +
    `${n(s.receiver.distinct)} deliveries), ${n(s.reportedTwice)} deliveries reported by two workers`,
    `rejected     ${n(s.receiver.rejected)} requests failed verification at the receiver`,
    `wall time    ${(s.wallMs / 1000).toFixed(2)} s from the first publish to the last delivery ` +
    `(publishing took ${(s.publishMs / 1000).toFixed(2)} s)`,
    `throughput   ${n(Math.round(s.perSecond))} deliveries/s`
  ]
}

const cli = async () => {
  const { values } = parseArgs({
    // `pnpm start -- --workers 5` passes the "--" along.
    args: process.argv.slice(2).filter((arg) => arg !== "--"),
    options: {
      workers: { type: "string", default: "3" },
      messages: { type: "string", default: "2000" },
      endpoints: { type: "string", default: "4" },
      concurrency: { type: "string", default: "32" },
      "database-url": { type: "string" }
    },
    strict: true
  })
  const controller = new AbortController()
  // Ctrl-C: stop waiting, then clean up (stop the workers, drop the schema) before exiting. The workers get the
  // terminal's SIGINT too and stop gracefully on their own. Repeated signals (tsx relays the one it receives) change
  // nothing: cleanup is bounded anyway.
  const interrupt = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) console.error(`${signal}: stopping the workers and dropping the schema…`)
    controller.abort()
  }
  process.on("SIGINT", interrupt)
  process.on("SIGTERM", interrupt)
  const summary = await runScaleOut({
    workers: Number(values.workers),
    messages: Number(values.messages),
    endpoints: Number(values.endpoints),
    concurrency: Number(values.concurrency),
    databaseUrl: values["database-url"] ?? process.env.HOOKWIRE_DATABASE_URL,
    signal: controller.signal
  })
  return summary.delivered === summary.expected ? 0 : 1
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli().then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exitCode = 1
    }
  )
}
