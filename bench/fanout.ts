/**
 * `pnpm bench fanout [--adapter memory]` — one publish to every endpoint of a tenant (10,000 by default), timed
 * until the publish call returns. `publish` validates, builds the body once, inserts the message and one delivery
 * per endpoint, and enqueues them all before it returns, so "returned" means "every delivery is enqueued"; no
 * dispatcher runs. Promise API (`createHookwire`), one engine for all runs (creating 10,000 endpoints is setup, not
 * measured); the deliveries of earlier runs stay stored and queued, as they would in a live system. Each run is
 * checked: the publish must report one delivery per endpoint.
 *
 * Bar (DESIGN.md §8): memory < 100 ms, Postgres < 1 s.
 *
 * With `--filters`, every endpoint carries its own payload filter (a path equality, a string comparison, an
 * `$exists` and an `$or` naming the endpoint's index), written to match every message: each is evaluated on every
 * publish and the publish must still create one delivery per endpoint. The bar is the same.
 *
 * Flags: --adapter=memory|postgres|redis (memory), --endpoints=N (10000), --runs=N measured (10), --warmup=N runs
 * before measuring (3), --filters, --verbose, --strict (exit 1 above the bar).
 */
import * as Hookwire from "@hookwire/core/Hookwire"
import { type AdapterName, adapterName, openAdapter } from "./lib/adapters.js"
import { catalog, dataMaker, EVENT_TYPE, numberFlag } from "./lib/payload.js"
import { median, report } from "./lib/report.js"
import type { BenchArgs } from "./run.js"

const BAR_MS: Record<AdapterName, number> = { memory: 100, postgres: 1000, redis: 1000 }
const TENANT = "bench-fanout"
const CREATE_TIMEOUT_MS = 300_000

/** A filter of its own for endpoint `i` that every bench message matches. */
const matchingFilter = (i: number) => ({
  type: EVENT_TYPE,
  "data.seq": { $gte: "0" },
  $or: [{ "data.pad": { $exists: true } }, { "data.endpoint": i }]
})

export default async function fanout(args: BenchArgs): Promise<void> {
  const adapter = adapterName(args.flags.adapter)
  const endpoints = numberFlag("endpoints", args.flags.endpoints, 10_000, 1, 100_000)
  const runs = numberFlag("runs", args.flags.runs, 10, 1, 100)
  const warmup = numberFlag("warmup", args.flags.warmup, 3, 0, 100)
  const verbose = args.flags.verbose === true
  const filters = args.flags.filters === true
  const makeData = dataMaker(1024)

  const opened = await openAdapter(adapter)
  const hookwire = Hookwire.createHookwire({ adapter: opened.adapter, catalog })
  const times: Array<number> = []
  try {
    const setupStart = performance.now()
    for (let i = 0; i < endpoints; i++) {
      if (performance.now() - setupStart > CREATE_TIMEOUT_MS) {
        throw new Error(`creating ${endpoints} endpoints took more than ${CREATE_TIMEOUT_MS} ms`)
      }
      // Never dialled: no dispatcher runs. Distinct hosts, as a real tenant's endpoints would be.
      await hookwire.endpoints.create({
        tenant: TENANT,
        url: `https://receiver-${i}.bench.invalid/webhooks`,
        ...(filters ? { filter: matchingFilter(i) } : {})
      })
    }
    if (verbose) console.log(`created ${endpoints} endpoints in ${Math.round(performance.now() - setupStart)} ms`)

    for (let run = 0; run < warmup + runs; run++) {
      const data = makeData(run)
      const start = performance.now()
      const result = await hookwire.publish({ tenant: TENANT, type: EVENT_TYPE, data })
      const ms = performance.now() - start
      if (result.deliveries !== endpoints) {
        throw new Error(`the publish created ${result.deliveries} deliveries for ${endpoints} endpoints`)
      }
      if (run >= warmup) times.push(ms)
      if (verbose) console.log(`${run < warmup ? "warm-up" : "run"} ${run + 1}: ${ms.toFixed(1)} ms`)
    }
  } finally {
    await hookwire.close()
    await opened.close()
  }

  const ms = median(times)
  const file = report("fanout", [{ adapter, endpoints, filters: filters ? "on" : "off", ms }], {
    bar_ms: BAR_MS[adapter],
    meets: ms < BAR_MS[adapter],
    runs_ms: times.map((t) => Math.round(t * 10) / 10),
    min_ms: Math.min(...times),
    max_ms: Math.max(...times)
  })
  console.log(`(bar: < ${BAR_MS[adapter]} ms; median of ${runs} runs after ${warmup} warm-up runs; ${file})`)
  if (ms >= BAR_MS[adapter] && args.flags.strict === true) process.exitCode = 1
}
