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
 * --strict (exit 1 above the bar).
 */
import * as Hookwire from "@hookwire/core/Hookwire"
import { type AdapterName, adapterName, counted, DeliveryCounter, openAdapter } from "./lib/adapters.js"
import { catalog, dataMaker, EVENT_TYPE, type Events, newSecret, numberFlag } from "./lib/payload.js"
import { type Receiver, withReceiver } from "./lib/receiver.js"
import { report } from "./lib/report.js"
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
      if (stats.badSignatures > 0) throw new Error(`${stats.badSignatures} sampled signatures did not verify`)
      return stats.arrivals
    }
    if (performance.now() > deadline) {
      throw new Error(`${missing} of ${phase.started.size} messages never reached the receiver`)
    }
    await sleep(100)
  }
}

export default async function latency(args: BenchArgs): Promise<void> {
  const adapter = adapterName(args.flags.adapter)
  const rate = numberFlag("rate", args.flags.rate, 500, 1, 20_000)
  const duration = numberFlag("duration", args.flags.duration, 20, 0.1, 600)
  const warmup = numberFlag("warmup", args.flags.warmup, 1, 0, 60)
  const secret = newSecret()

  const result = await withReceiver(async (receiver) => {
    await receiver.configure({ secret, record: true })
    const opened = await openAdapter(adapter)
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
      const publishMs = [...phase.publishMs].sort((a, b) => a - b)
      return { latencies, publishMs, clock, count, notDelivered: counter.notDelivered }
    } finally {
      await hookwire.close()
      await opened.close()
    }
  })

  const { latencies, publishMs } = result
  const p50 = quantile(latencies, 0.5)
  const p99 = quantile(latencies, 0.99)
  const file = report("latency", [{
    adapter,
    rate,
    duration_s: duration,
    p50_ms: p50,
    p99_ms: p99,
    messages: result.count
  }], {
    bar_p99_ms: BAR_P99_MS[adapter],
    meets: p99 < BAR_P99_MS[adapter],
    p90_ms: quantile(latencies, 0.9),
    p999_ms: quantile(latencies, 0.999),
    max_ms: latencies[latencies.length - 1],
    min_ms: latencies[0],
    publish_call_p50_ms: quantile(publishMs, 0.5),
    publish_call_p99_ms: quantile(publishMs, 0.99),
    clock_offset_ms: result.clock.offsetMs,
    ipc_round_trip_ms: result.clock.roundTripMs,
    attempts_not_delivered: result.notDelivered
  })
  console.log(
    `(bar: p99 < ${BAR_P99_MS[adapter]} ms; p90 ${quantile(latencies, 0.9).toFixed(2)} ms, max ${
      latencies[latencies.length - 1].toFixed(2)
    } ms; clock offset ${result.clock.offsetMs.toFixed(3)} ms; ${file})`
  )
  if (p99 >= BAR_P99_MS[adapter] && args.flags.strict === true) process.exitCode = 1
}
