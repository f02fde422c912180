/**
 * `pnpm bench api` — the management API's log pages on a large store (DESIGN.md §8): Postgres holding 1,000,000
 * attempts across 1,000 endpoints of 100 tenants (a week of history: 50,000 messages, each to its tenant's 10
 * endpoints, two attempts per delivery), served by `@hookwire/api` on `node:http` over loopback in this process, and
 * 16 concurrent callers (undici, keep-alive) in another process (lib/api-callers-process.ts: a real client is not in
 * the server's process) asking for a random endpoint's deliveries page (limit 50, newest first), then its stats.
 * Every answer is checked (200, a full page, a week of attempts). Prints `BENCH api route=… p50_ms= p99_ms=` and
 * what a request cost: the server process's CPU, GC pauses and V8 allocation, the callers' CPU and PostgreSQL's CPU
 * (the whole server's, neighbours included), each per request over the timed window.
 *
 * The history is bulk-loaded with `unnest` batches of ids made by core's `Id` (time-ordered, as the engine makes
 * them), then analyzed, by another process (lib/api-load-process.ts: the server's heap holds none of it); endpoints
 * are created through the engine. Bar: p99 < 25 ms for both routes.
 *
 * Flags: --requests=N per route (4000), --concurrency=N (16), --verbose; --routes=a,b… which routes, in order (default
 * `deliveries_page,endpoint_stats`; also `session` — GET /session: the HTTP and HttpApi stack without storage — and
 * `endpoint` — GET /endpoints/{id}: plus one key lookup — to see what each layer of a request costs); --in-process runs the callers in the server's
 * process, as this bench did before (one event loop for both: compare); --keep leaves the loaded schema in place
 * (its name is printed) and --schema=NAME runs on such a schema without loading it again (old and new code measured
 * side by side on the same data: see bench/README.md).
 */
import { AccessToken, managementApi } from "@hookwire/api"
import * as Hookwire from "@hookwire/core/Hookwire"
import * as PgAdapter from "@hookwire/postgres/PgAdapter"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { close as closeCallers, type Drive, drive, type Route } from "./lib/api-callers.js"
import { sibling, withChild } from "./lib/child.js"
import { catalog, numberFlag } from "./lib/payload.js"
import { measureWindow } from "./lib/process-stats.js"
import { report, type Result } from "./lib/report.js"
import { postgresServer } from "./lib/server-cpu.js"
import { databaseUrl, dropPgSchema, pgQuery, runTag } from "./lib/stores.js"
import type { BenchArgs } from "./run.js"

const TENANTS = 100
const ENDPOINTS_PER_TENANT = 10
const BAR_MS = 25

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

interface Loaded {
  readonly endpoints: ReadonlyArray<{ readonly tenant: string; readonly id: string }>
  readonly attempts: number
}

/** 1,000 endpoints through the engine, then their week of history. */
const load = async (hookwire: Hookwire.Hookwire<any>, schema: string): Promise<Loaded> => {
  const endpoints: Array<{ tenant: string; id: string }> = []
  for (let t = 0; t < TENANTS; t++) {
    for (let e = 0; e < ENDPOINTS_PER_TENANT; e++) {
      const tenant = `tenant-${t}`
      const created = await hookwire.endpoints.create({ tenant, url: `https://r${e}.bench.invalid/t${t}` })
      endpoints.push({ tenant, id: created.id })
    }
  }
  // In its own process: the bulk load's million rows of garbage would stay in this (the server's) heap and slow every
  // young-generation collection afterwards (≈ 9 ms scavenges instead of ≈ 2 ms: see bench/README.md).
  const attempts = await withChild(sibling(import.meta.url, "lib/api-load-process"), [], async (child) => {
    const loaded = await child.command(
      { type: "load", schema, tenants: TENANTS, endpoints, now: Date.now() },
      "loaded",
      600_000
    )
    if (typeof loaded.error === "string") throw new Error(loaded.error)
    return loaded.attempts as number
  })
  return { endpoints, attempts }
}

/** What an earlier `--keep` run loaded. */
const loaded = async (schema: string): Promise<Loaded> => {
  const q = (name: string) => `"${schema.replace(/"/g, "\"\"")}".hookwire_${name}`
  const endpoints = await pgQuery<{ tenant: string; id: string }>(`select tenant, id from ${q("endpoints")}`)
  const [{ n }] = await pgQuery<{ n: string }>(`select count(*) as n from ${q("attempts")}`)
  if (endpoints.length !== TENANTS * ENDPOINTS_PER_TENANT) throw new Error(`--schema=${schema}: not a loaded schema`)
  return { endpoints, attempts: Number(n) }
}

/** Runs the callers in their own process (or, with `--in-process`, in this one) and says what each run cost. */
const callersOf = async <A>(inProcess: boolean, f: (run: (drive: Drive) => Promise<Driven>) => Promise<A>) => {
  if (inProcess) {
    try {
      return await f(drive)
    } finally {
      await closeCallers()
    }
  }
  return withChild(
    sibling(import.meta.url, "lib/api-callers-process"),
    [],
    (child) => f(async (command) => (await child.command({ ...command }, "driven", 600_000)) as unknown as Driven)
  )
}

type Driven = Awaited<ReturnType<typeof drive>>

const ROUTES: ReadonlyArray<Route> = ["deliveries_page", "endpoint_stats", "session", "endpoint"]

const routesFlag = (flag: string | boolean | undefined): ReadonlyArray<Route> => {
  if (flag === undefined) return ["deliveries_page", "endpoint_stats"]
  const names = typeof flag === "string" ? flag.split(",").map((name) => name.trim()) : []
  const unknown = names.filter((name) => !ROUTES.includes(name as Route))
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--routes: expected a comma-separated list of ${ROUTES.join(", ")}; got ${String(flag)}`)
  }
  return names as ReadonlyArray<Route>
}

export default async function api(args: BenchArgs): Promise<void> {
  const requests = numberFlag("requests", args.flags.requests, 4000, 100, 1_000_000)
  const concurrency = numberFlag("concurrency", args.flags.concurrency, 16, 1, 1024)
  const verbose = args.flags.verbose === true
  const inProcess = args.flags["in-process"] === true
  const routeNames = routesFlag(args.flags.routes)
  const reuse = typeof args.flags.schema === "string" ? args.flags.schema : undefined
  const keep = args.flags.keep === true || reuse !== undefined
  const schema = reuse ?? `bench_api_${runTag()}`
  const hookwire = Hookwire.createHookwire({
    adapter: PgAdapter.postgres({ url: databaseUrl(), schema, applicationName: "hookwire-bench" }),
    catalog,
    logger: false
  })
  const tokens = AccessToken.make({ keys: "bench-signing-key-of-at-least-32-bytes" })
  const mounted = managementApi(hookwire, { tokens, mountPath: "/webhooks" })
  const server = createServer(mounted.node)
  try {
    const loadStart = performance.now()
    const { attempts, endpoints } = reuse === undefined ? await load(hookwire, schema) : await loaded(schema)
    const loadMs = Math.round(performance.now() - loadStart)
    if (keep) console.log(`schema ${schema} kept (--schema=${schema} runs on it again)`)
    if (verbose) console.log(`loaded ${attempts} attempts for ${endpoints.length} endpoints in ${loadMs} ms`)

    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const tokenOf = new Map(
      Array.from({ length: TENANTS }, (_, t) => [
        `tenant-${t}`,
        tokens.create({ tenant: `tenant-${t}`, scope: "read", ttl: "1 hour" })
      ])
    )
    const targets = (path: (id: string) => string) =>
      endpoints.map((e) => ({ path: path(e.id), token: tokenOf.get(e.tenant)! }))
    const paths: Record<Route, (id: string) => string> = {
      deliveries_page: (id) => `/webhooks/deliveries?endpointId=${id}&limit=50`,
      endpoint_stats: (id) => `/webhooks/endpoints/${id}/stats`,
      session: () => "/webhooks/session",
      endpoint: (id) => `/webhooks/endpoints/${id}`
    }
    const routes = routeNames.map((route) => ({ route, targets: targets(paths[route]) }))
    const postgres = await postgresServer()
    const results: Array<Result> = []
    const details: Record<string, unknown> = { load_ms: loadMs, attempts, endpoints: endpoints.length, inProcess }
    await callersOf(inProcess, async (run) => {
      for (const { route, targets } of routes) {
        const command = { type: "drive", origin, concurrency, route, targets } as const
        const warm = await run({ ...command, requests: Math.min(500, requests) })
        if (warm.error !== undefined) throw new Error(warm.error)
        const pgBefore = postgres?.sampleUs()
        const window = measureWindow()
        const driven = await run({ ...command, requests })
        const server = window()
        if (driven.error !== undefined) throw new Error(driven.error)
        const times = [...driven.times].sort((a, b) => a - b)
        const p99 = percentile(times, 99)
        const perRequest = (us: number) => Math.round(us / requests)
        results.push({
          route,
          requests,
          concurrency,
          p50_ms: percentile(times, 50),
          p99_ms: p99,
          // With --in-process the callers' CPU is inside the server's figure.
          server_cpu_us_per_req: perRequest(server.cpuUs),
          server_gc_us_per_req: perRequest(server.gcUs),
          server_alloc_kib_per_req: Math.round(server.allocatedBytes / 1024 / requests),
          callers_cpu_us_per_req: inProcess ? 0 : perRequest(driven.cpuUs),
          ...(pgBefore === undefined ? {} : { postgres_cpu_us_per_req: perRequest(postgres!.sampleUs() - pgBefore) })
        })
        details[route] = { max_ms: times[times.length - 1], meets: p99 < BAR_MS, gcByType: server.gcByType }
      }
    })
    const file = report("api", results, details)
    console.log(`(bar: p99 < ${BAR_MS} ms; ${attempts} attempts loaded in ${loadMs} ms; ${file})`)
  } finally {
    server.closeAllConnections()
    server.close()
    await mounted.dispose()
    await hookwire.close()
    if (!keep) await dropPgSchema(schema)
  }
}
