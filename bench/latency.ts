/**
 * `pnpm bench latency [--adapter memory]` — publish → receiver latency at a steady rate (500 msg/s for 20 s by
 * default). Promise API (`createHookwire`, dispatcher started, one endpoint), as a host that does not use Effect
 * would publish; the receiver runs in its own process and records when each message's whole body arrived, by
 * `webhook-id` (the message id). Latency = arrival − the time just before the `publish` call, both read as
 * `performance.timeOrigin + performance.now()`; the offset between the two processes' clocks is measured over IPC
 * and subtracted (it is reported, and is normally a few microseconds). Messages are published on a fixed schedule
 * (message i at start + i / rate), never waiting for deliveries, so a slow engine cannot slow the load down. A
 * warm-up second at the same rate (connections, JIT) comes first and is not counted. Every published message must
 * arrive, or the bench fails.
 *
 * Bar (DESIGN.md §8): memory p99 < 10 ms; Postgres p99 < 50 ms.
 *
 * Flags: --adapter=memory|postgres|redis (memory), --rate=N msg/s (500), --duration=S (20), --warmup=S (1),
 * --runs=N (1; with more, each run uses a fresh engine and the line reports the median run's p50 and p99, with
 * `runs=N`: on a shared machine one neighbour's burst can own a whole run's tail), --strict (exit 1 above the bar).
 */
import * as Hookwire from "@hookwire/core/Hookwire"
import { type AdapterName, adapterName, counted, DeliveryCounter, openAdapter } from "./lib/adapters.js"
import { catalog, dataMaker, EVENT_TYPE, type Events, newSecret, numberFlag } from "./lib/payload.js"
import { type Receiver, withReceiver } from "./lib/receiver.js"
import { median, report, type Result } from "./lib/report.js"
import type { BenchArgs } from "./run.js"

const BAR_P99_MS: Record<AdapterName, number> = { memory: 10, postgres: 50, redis: 50 }
const TENANT = "bench-latency"
/** How long after the last publish every message must have arrived. */
const DRAIN_TIMEOUT_MS = 30_000

const now = (): number => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The value at quantile q (nearest rank) of an ascending list. */
const quantile = (sorted: ReadonlyArray<number>, q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]

interface Phase {
  /** message id → publish start (this process's clock). */
  readonly started: Map<string, number>
  /** The publish calls' own durations, ms. */
  readonly publishMs: Array<number>
}

/** Publishes `count` messages at `rate` per second on a fixed schedule; resolves when every publish has returned. */
const publishAtRate = async (
  hookwire: Hookwire.Hookwire<Events>,
  count: number,
  rate: number,
  offset: number
): Promise<Phase> => {
  const makeData = dataMaker(1024)
  const started = new Map<string, number>()
  const publishMs: Array<number> = []
  const pending: Array<Promise<void>> = []
  const interval = 1000 / rate
  const t0 = performance.now()
  for (let i = 0; i < count; i++) {
    const due = t0 + i * interval
    const wait = due - performance.now()
    if (wait >= 1) await sleep(wait)
    const start = now()
    pending.push(
      hookwire.publish({ tenant: TENANT, type: EVENT_TYPE, data: makeData(offset + i) }).then((result) => {
        started.set(result.message.id, start)
        publishMs.push(now() - start)
      })
    )
  }
  await Promise.all(pending)
  return { started, publishMs }
}

/** Waits until the receiver has seen every message of `phase`; returns the arrivals. */
const collect = async (receiver: Receiver, phase: Phase): Promise<ReadonlyMap<string, number>> => {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS
  while (true) {
    const stats = await receiver.stats()
    let missing = 0
    for (const id of phase.started.keys()) if (!stats.arrivals.has(id)) missing++
    if (missing === 0) {
      if (stats.badSignatures > 0) throw new Error(`${stats.badSignatures} signatures did not verify`)
      return stats.arrivals
    }
    if (performance.now() > deadline) {
      throw new Error(`${missing} of ${phase.started.size} messages never reached the receiver`)
    }
    await sleep(100)
  }
}

interface Run {
  /** Ascending, ms. */
  readonly latencies: ReadonlyArray<number>
  readonly p50: number
  readonly p99: number
  /** The publish calls' own durations, ascending, ms. */
  readonly publishMs: ReadonlyArray<number>
  readonly clock: { readonly offsetMs: number; readonly roundTripMs: number }
  readonly count: number
  readonly notDelivered: number
}

/** One measured run on a fresh engine: a warm-up at the rate, then `duration` seconds at the rate. */
const measure = async (
  receiver: Receiver,
  options: {
    readonly adapter: AdapterName
    readonly rate: number
    readonly duration: number
    readonly warmup: number
    readonly secret: string
  }
): Promise<Run> => {
  const { duration, rate, secret, warmup } = options
  const opened = await openAdapter(options.adapter)
  const counter = new DeliveryCounter()
  const hookwire = Hookwire.createHookwire({
    adapter: counted(opened.adapter, counter),
    catalog,
    allowHttp: true,
    // The SSRF guard stays on; only the receiver's loopback address is let through.
    http: { allowCidrs: ["127.0.0.1/32"] },
    dispatcher: { concurrency: 64, perEndpointConcurrency: 64 },
    // Warnings such as "http endpoint" and "no master key" are expected here; failures fail the bench anyway.
    logLevel: "error"
  })
  try {
    await hookwire.endpoints.create({ tenant: TENANT, url: receiver.url, secret })
    await hookwire.start()
    const warmupCount = Math.round(warmup * rate)
    if (warmupCount > 0) await collect(receiver, await publishAtRate(hookwire, warmupCount, rate, 0))
    await receiver.reset()
    const clock = await receiver.clockOffset()
    const count = Math.max(1, Math.round(duration * rate))
    const phase = await publishAtRate(hookwire, count, rate, warmupCount)
    const arrivals = await collect(receiver, phase)
    const latencies: Array<number> = []
    for (const [id, start] of phase.started) latencies.push(arrivals.get(id)! - clock.offsetMs - start)
    latencies.sort((a, b) => a - b)
    return {
      latencies,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      publishMs: [...phase.publishMs].sort((a, b) => a - b),
      clock,
      count,
      notDelivered: counter.notDelivered
    }
  } finally {
    await hookwire.close()
    await opened.close()
  }
}

export default async function latency(args: BenchArgs): Promise<void> {
  const adapter = adapterName(args.flags.adapter)
  const rate = numberFlag("rate", args.flags.rate, 500, 1, 20_000)
  const duration = numberFlag("duration", args.flags.duration, 20, 0.1, 600)
  const warmup = numberFlag("warmup", args.flags.warmup, 1, 0, 60)
  const runs = numberFlag("runs", args.flags.runs, 1, 1, 20)
  const secret = newSecret()

  const results = await withReceiver(async (receiver) => {
    await receiver.configure({ secret, record: true })
    const out: Array<Run> = []
    for (let run = 0; run < runs; run++) {
      out.push(await measure(receiver, { adapter, rate, duration, warmup, secret }))
      if (runs > 1) console.log(`run ${run + 1}: p50 ${out[run].p50.toFixed(3)} ms, p99 ${out[run].p99.toFixed(3)} ms`)
    }
    return out
  })

  // One run: its own p50 and p99. Several (a noisy machine): the median run's, each a true quantile of its messages.
  const p50 = median(results.map((r) => r.p50))
  const p99 = median(results.map((r) => r.p99))
  const last = results[results.length - 1]
  const line: Result = { adapter, rate, duration_s: duration, p50_ms: p50, p99_ms: p99, messages: last.count }
  if (runs > 1) line.runs = runs
  const file = report("latency", [line], {
    bar_p99_ms: BAR_P99_MS[adapter],
    meets: p99 < BAR_P99_MS[adapter],
    per_run: results.map((r) => ({
      p50_ms: r.p50,
      p90_ms: quantile(r.latencies, 0.9),
      p99_ms: r.p99,
      p999_ms: quantile(r.latencies, 0.999),
      max_ms: r.latencies[r.latencies.length - 1],
      min_ms: r.latencies[0],
      publish_call_p50_ms: quantile(r.publishMs, 0.5),
      publish_call_p99_ms: quantile(r.publishMs, 0.99),
      clock_offset_ms: r.clock.offsetMs,
      ipc_round_trip_ms: r.clock.roundTripMs,
      attempts_not_delivered: r.notDelivered
    }))
  })
  console.log(
    `(bar: p99 < ${BAR_P99_MS[adapter]} ms; last run: p90 ${quantile(last.latencies, 0.9).toFixed(2)} ms, max ${
      last.latencies[last.latencies.length - 1].toFixed(2)
    } ms, clock offset ${last.clock.offsetMs.toFixed(3)} ms; ${file})`
  )
  if (p99 >= BAR_P99_MS[adapter] && args.flags.strict === true) process.exitCode = 1
}
