/**
 * `pnpm bench slow-endpoint [--adapter memory|postgres|redis]` — does one slow endpoint hold up a healthy one
 * (issue 16.1: on Postgres it did, for tens of seconds)?
 *
 * One tenant with two endpoints, each its own origin in a receiver process: a slow one answering every request with
 * 204 after `--delay` ms (150) and a healthy one answering at once. `--messages` messages (400) are published as fast
 * as 16 concurrent callers can, each fanned out to both endpoints, so far more deliveries are due to the slow endpoint
 * than its in-flight cap and waiting line hold: the dispatcher sends that overflow back to the queue. The engine runs
 * as a host would set it up: `createHookwire` with the adapter and default dispatcher options (concurrency 64, 16 in
 * flight per endpoint), the SSRF guard on (only the loopback receivers allowed).
 *
 * Measured per run: `healthy_p95_ms` — the 95th percentile over messages of (arrival of its request at the healthy
 * receiver − the start of its `publish` call), both read as `performance.timeOrigin + performance.now()` in their
 * processes; `total_s` — from the first publish until Storage has recorded every delivery (both endpoints) delivered;
 * `slow_floor_s` — the least time the slow endpoint's cap allows (messages × delay ÷ 16), for scale; `duplicates` —
 * requests beyond one per delivery; `warnings` — engine log lines at warn or error (storage or queue failures). The
 * line reports the median run (by total_s).
 *
 * Bar (issue 16): Postgres and Redis `total_s` within 2 × memory's, measured in separate runs of this bench (the
 * numbers of each are in bench/README.md).
 *
 * Flags: --adapter=memory|postgres|redis (memory), --messages=N (400), --delay=MS (150), --runs=N (1),
 * --run-timeout=S longest a run may take (120).
 */
import { createHookwire } from "@hookwire/core/Hookwire"
import { type AdapterName, adapterName, counted, DeliveryCounter, openAdapter } from "./lib/adapters.js"
import { catalog, dataMaker, EVENT_TYPE, numberFlag } from "./lib/payload.js"
import { median, report } from "./lib/report.js"
import { type SlowReceiver, withSlowReceiver } from "./lib/slow-receiver.js"
import type { BenchArgs } from "./run.js"

const TENANT = "bench-slow-endpoint"
const PUBLISHERS = 16
const PER_ENDPOINT = 16

interface Config {
  readonly adapter: AdapterName
  readonly messages: number
  readonly delayMs: number
  readonly runTimeoutMs: number
}

interface RunResult {
  readonly healthyP95Ms: number
  readonly healthyP50Ms: number
  readonly totalS: number
  readonly timedOut: boolean
  readonly duplicates: number
  readonly warnings: number
  readonly firstWarning: string | undefined
}

const now = (): number => performance.timeOrigin + performance.now()

/** The value at quantile q (nearest rank) of an ascending list. */
const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]

const runOnce = async (receiver: SlowReceiver, config: Config): Promise<RunResult> => {
  const opened = await openAdapter(config.adapter)
  const counter = new DeliveryCounter()
  let warnings = 0
  let firstWarning: string | undefined
  const hookwire = createHookwire({
    adapter: counted(opened.adapter, counter),
    catalog,
    allowHttp: true,
    http: { allowCidrs: ["127.0.0.1/32"] },
    logger: (entry) => {
      if (entry.level !== "warn" && entry.level !== "error") return
      // Expected here: `allowHttp` warns once per http endpoint, and secrets are unsealed (no master key).
      if (entry.message.includes("http:") || entry.message.startsWith("No master key")) return
      warnings++
      firstWarning ??= entry.message
    }
  })
  try {
    await hookwire.endpoints.create({ tenant: TENANT, url: receiver.slowUrl })
    await hookwire.endpoints.create({ tenant: TENANT, url: receiver.healthyUrl })
    await hookwire.start()
    await receiver.reset()
    const makeData = dataMaker(1024)
    const started = new Map<string, number>()
    const target = 2 * config.messages
    const t0 = performance.now()
    const done = counter.until(target, config.runTimeoutMs)
    done.catch(() => {})
    let next = 0
    const publisher = async () => {
      for (let i = next++; i < config.messages; i = next++) {
        const at = now()
        const { message } = await hookwire.publish({ tenant: TENANT, type: EVENT_TYPE, data: makeData(i) })
        started.set(message.id, at)
      }
    }
    await Promise.all(Array.from({ length: PUBLISHERS }, publisher))
    const end = await done.catch(() => undefined)
    const timedOut = end === undefined
    const totalS = ((end ?? performance.now()) - t0) / 1000
    const stats = await receiver.stats()
    const latencies: Array<number> = []
    for (const [id, arrived] of stats.arrivals) {
      const at = started.get(id)
      if (at !== undefined) latencies.push(arrived - at)
    }
    if (!timedOut && latencies.length < config.messages) {
      throw new Error(`the healthy receiver saw ${latencies.length} of ${config.messages} messages`)
    }
    latencies.sort((a, b) => a - b)
    return {
      healthyP95Ms: latencies.length === 0 ? Infinity : quantile(latencies, 0.95),
      healthyP50Ms: latencies.length === 0 ? Infinity : quantile(latencies, 0.5),
      totalS,
      timedOut,
      duplicates: Math.max(0, stats.counts[0] + stats.counts[1] - target),
      warnings,
      firstWarning
    }
  } finally {
    await hookwire.close()
    await opened.close()
  }
}

export default async function slowEndpointBench(args: BenchArgs): Promise<void> {
  const config: Config = {
    adapter: adapterName(args.flags.adapter),
    messages: numberFlag("messages", args.flags.messages, 400, 1, 100_000),
    delayMs: numberFlag("delay", args.flags.delay, 150, 0, 10_000),
    runTimeoutMs: numberFlag("run-timeout", args.flags["run-timeout"], 120, 1, 3600) * 1000
  }
  const runCount = numberFlag("runs", args.flags.runs, 1, 1, 20)
  const runs = await withSlowReceiver(config.delayMs, async (receiver) => {
    const out: Array<RunResult> = []
    for (let i = 0; i < runCount; i++) out.push(await runOnce(receiver, config))
    return out
  })
  const mid = median(runs.map((r) => r.totalS))
  const chosen = runs.find((r) => r.totalS === mid) ?? runs.reduce((a, b) => (a.totalS <= b.totalS ? a : b))
  const file = report(`slow-endpoint-${config.adapter}`, [{
    adapter: config.adapter,
    healthy_p95_ms: chosen.healthyP95Ms,
    healthy_p50_ms: chosen.healthyP50Ms,
    total_s: chosen.totalS,
    slow_floor_s: (config.messages * config.delayMs) / PER_ENDPOINT / 1000,
    duplicates: chosen.duplicates,
    warnings: chosen.warnings,
    timed_out: chosen.timedOut ? 1 : 0
  }], {
    messages: config.messages,
    delay_ms: config.delayMs,
    runs: runs.map((r) => ({
      healthy_p95_ms: r.healthyP95Ms,
      healthy_p50_ms: r.healthyP50Ms,
      total_s: r.totalS,
      timed_out: r.timedOut,
      duplicates: r.duplicates,
      warnings: r.warnings,
      first_warning: r.firstWarning
    }))
  })
  console.log(
    `(${config.messages} messages × 2 endpoints, slow one answering after ${config.delayMs} ms; ` +
      `bar: postgres and redis total_s ≤ 2 × memory's; ${file})`
  )
}
