/**
 * `pnpm bench ratelimit` — does a per-endpoint rate limit hold, and what does it cost the other endpoints?
 * (DESIGN.md §4.3: "an optional per-endpoint rate limit".)
 *
 * One tenant with 10 endpoints, each its own origin on a receiver process answering 204: one limited to
 * `rateLimit: { perSecond: 100, burst: 1 }`, nine unlimited. N messages are published, fanned out to all ten
 * (`createHookwire`, memory adapter, default dispatcher and in-process rate limiter). Measured:
 *
 * - `limited_per_s`: the limited endpoint's delivery rate *at the receiver* — arrivals per second over the steady
 *   part, i.e. from one second after its first arrival (the first burst and ramp-up excluded) to its last arrival.
 * - `others_per_s`: the nine others' deliveries per second, from the first publish until Storage has recorded the
 *   last of them delivered.
 *
 * Bar: `limited_per_s` within 5 % of 100. Each round also runs a reference first — the same endpoints, none limited
 * — so the JSON shows what the nine others reach when nothing holds the dispatcher back
 * (`others_per_s_reference`).
 *
 * Flags: --messages=N per endpoint (1500), --rounds=N (1; medians when more), --per-second=R limit (100),
 * --burst=B (1), --publishers=N concurrent publish calls (16), --run-timeout=S (120; a run cut short is measured
 * over what arrived), --verbose, --strict (exit 1 off the bar).
 */
import { createHookwire } from "@hookwire/core/Hookwire"
import { memory } from "@hookwire/memory"
import { EndpointCounter, instrumented } from "./lib/endpoint-counter.js"
import { type MultiReceiver, withMultiReceiver } from "./lib/multi-receiver.js"
import { catalog, dataMaker, numberFlag, publishConcurrently } from "./lib/payload.js"
import { median, report } from "./lib/report.js"
import type { BenchArgs } from "./run.js"

const ENDPOINTS = 10
const LIMITED = 0
const TENANT = "bench-ratelimit"
const TOLERANCE = 0.05
/** The steady part starts this long after the limited endpoint's first arrival. */
const RAMP_MS = 1_000
const POLL_MS = 250

interface Config {
  readonly messages: number
  readonly perSecond: number
  readonly burst: number
  readonly publishers: number
  readonly runTimeoutMs: number
}

interface RunResult {
  readonly limitedPerSecond: number
  readonly othersPerSecond: number
  readonly othersMs: number
  readonly limitedArrivals: number
  readonly steadyArrivals: number
  readonly steadyMs: number
  /** Arrivals in each whole second of the steady part (the slowest and fastest second). */
  readonly minSecond: number
  readonly maxSecond: number
  readonly timedOut: boolean
  readonly claimed: number
  readonly rescheduled: number
}

/** Arrivals per second from `RAMP_MS` after the first arrival to the last one. */
const steadyRate = (arrivals: ReadonlyArray<number>) => {
  const sorted = [...arrivals].sort((a, b) => a - b)
  if (sorted.length < 2) return { rate: 0, count: sorted.length, ms: 0, minSecond: 0, maxSecond: 0 }
  const from = sorted[0] + RAMP_MS
  const steady = sorted.filter((t) => t >= from)
  if (steady.length < 2) return { rate: 0, count: steady.length, ms: 0, minSecond: 0, maxSecond: 0 }
  const ms = steady[steady.length - 1] - steady[0]
  const seconds = new Map<number, number>()
  for (const t of steady) {
    const s = Math.floor((t - steady[0]) / 1000)
    seconds.set(s, (seconds.get(s) ?? 0) + 1)
  }
  // Whole seconds only: the last, partial second would read as a slow one.
  const whole = [...seconds].filter(([s]) => (s + 1) * 1000 <= ms).map(([, n]) => n)
  return {
    rate: (steady.length - 1) / (ms / 1000),
    count: steady.length,
    ms,
    minSecond: whole.length > 0 ? Math.min(...whole) : 0,
    maxSecond: whole.length > 0 ? Math.max(...whole) : 0
  }
}

/**
 * One run. `limited: false` is the reference: the same ten endpoints with no limit, for what the nine others reach
 * when nothing is rate limited (the limited endpoint's numbers are then meaningless and not waited for).
 */
const runOnce = async (receiver: MultiReceiver, config: Config, limited: boolean): Promise<RunResult> => {
  const { messages, publishers, runTimeoutMs } = config
  const makeData = dataMaker(1024)
  const counter = new EndpointCounter()
  const hookwire = createHookwire({
    adapter: instrumented(memory(), counter),
    catalog,
    allowHttp: true,
    // The SSRF guard stays on; only the loopback receivers are let through.
    http: { allowCidrs: ["127.0.0.1/32"] },
    // `allowHttp` warns once per http endpoint: expected here. Errors still print.
    logLevel: "error"
  })
  try {
    const others: Array<string> = []
    for (let i = 0; i < ENDPOINTS; i++) {
      const endpoint = await hookwire.endpoints.create({
        tenant: TENANT,
        url: receiver.urls[i],
        ...(i === LIMITED && limited ? { rateLimit: { perSecond: config.perSecond, burst: config.burst } } : {})
      })
      if (i !== LIMITED) others.push(endpoint.id)
    }
    counter.watch(others)
    await receiver.configure({ record: [LIMITED] })
    await receiver.reset()
    await hookwire.start()

    const start = performance.now()
    const deadline = start + runTimeoutMs
    const othersTarget = others.length * messages
    const othersDone = counter.until(othersTarget, runTimeoutMs)
    // Should publishing fail, this may reject before it is awaited: that is reported by the publish error.
    othersDone.catch(() => {})
    await publishConcurrently(hookwire, TENANT, messages, publishers, makeData)
    const othersEnd = await othersDone.catch(() => undefined)
    const othersMs = (othersEnd ?? performance.now()) - start
    const othersDelivered = othersEnd === undefined ? counter.delivered : othersTarget

    // The limited endpoint takes messages / perSecond seconds: wait for its last arrival, under the run's deadline.
    let stats = await receiver.stats()
    while (limited && stats.counts[LIMITED] < messages && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      stats = await receiver.stats()
    }
    const timedOut = othersEnd === undefined || (limited && stats.counts[LIMITED] < messages)
    const arrivals = stats.arrivals.get(LIMITED) ?? []
    if (limited && !timedOut && arrivals.length < messages) {
      throw new Error(`the limited receiver recorded ${arrivals.length} arrivals for ${messages} messages`)
    }
    const steady = steadyRate(arrivals)
    return {
      limitedPerSecond: steady.rate,
      othersPerSecond: othersDelivered / (othersMs / 1000),
      othersMs,
      limitedArrivals: arrivals.length,
      steadyArrivals: steady.count,
      steadyMs: steady.ms,
      minSecond: steady.minSecond,
      maxSecond: steady.maxSecond,
      timedOut,
      claimed: counter.claimed,
      rescheduled: counter.rescheduled
    }
  } finally {
    await hookwire.close()
  }
}

export default async function ratelimit(args: BenchArgs): Promise<void> {
  const config: Config = {
    messages: numberFlag("messages", args.flags.messages, 1_500, 10, 100_000),
    perSecond: numberFlag("per-second", args.flags["per-second"], 100, 1, 10_000),
    burst: numberFlag("burst", args.flags.burst, 1, 1, 10_000),
    publishers: numberFlag("publishers", args.flags.publishers, 16, 1, 1024),
    runTimeoutMs: numberFlag("run-timeout", args.flags["run-timeout"], 120, 1, 3600) * 1000
  }
  if (!Number.isInteger(config.burst)) throw new Error(`--burst must be a whole number, got ${config.burst}`)
  const rounds = numberFlag("rounds", args.flags.rounds, 1, 1, 20)
  const verbose = args.flags.verbose === true

  const { references, runs } = await withMultiReceiver(ENDPOINTS, async (receiver) => {
    const runs: Array<RunResult> = []
    const references: Array<RunResult> = []
    for (let round = 0; round < rounds; round++) {
      const reference = await runOnce(receiver, config, false)
      references.push(reference)
      if (verbose) {
        console.log(
          `round ${round + 1} reference (no limit): others ${Math.round(reference.othersPerSecond)}/s in ` +
            `${Math.round(reference.othersMs)} ms`
        )
      }
      const result = await runOnce(receiver, config, true)
      runs.push(result)
      if (verbose) {
        console.log(
          `round ${round + 1}: limited ${result.limitedPerSecond.toFixed(1)}/s over ${result.steadyArrivals} ` +
            `arrivals in ${Math.round(result.steadyMs)} ms (whole seconds ${result.minSecond}–${result.maxSecond}); ` +
            `others ${Math.round(result.othersPerSecond)}/s in ${Math.round(result.othersMs)} ms; ` +
            `${result.claimed} claimed, ${result.rescheduled} rescheduled` +
            (result.timedOut ? "; TIMED OUT" : "")
        )
      }
    }
    return { runs, references }
  })

  const limited = median(runs.map((r) => r.limitedPerSecond))
  const others = median(runs.map((r) => r.othersPerSecond))
  const othersReference = median(references.map((r) => r.othersPerSecond))
  const within = Math.abs(limited - config.perSecond) <= TOLERANCE * config.perSecond
  const file = report("ratelimit", [{
    limited_per_s: limited,
    others_per_s: Math.round(others),
    target: config.perSecond,
    within_5pct: within ? "yes" : "no"
  }], {
    bar: `within ${TOLERANCE * 100} % of ${config.perSecond}/s`,
    meets: within,
    messages_per_endpoint: config.messages,
    burst: config.burst,
    endpoints: ENDPOINTS,
    steady_from_ms_after_first_arrival: RAMP_MS,
    others_per_s_reference: Math.round(othersReference),
    reference_runs: references.map((r) => ({
      others_per_s: Math.round(r.othersPerSecond),
      others_ms: Math.round(r.othersMs)
    })),
    runs: runs.map((r) => ({
      limited_per_s: Math.round(r.limitedPerSecond * 100) / 100,
      limited_arrivals: r.limitedArrivals,
      steady_arrivals: r.steadyArrivals,
      steady_ms: Math.round(r.steadyMs),
      slowest_second: r.minSecond,
      fastest_second: r.maxSecond,
      others_per_s: Math.round(r.othersPerSecond),
      others_ms: Math.round(r.othersMs),
      claimed: r.claimed,
      rescheduled: r.rescheduled,
      timed_out: r.timedOut
    }))
  })
  console.log(
    `(bar: within ${TOLERANCE * 100} % of ${config.perSecond}/s; 1 limited endpoint (burst ${config.burst}) + ` +
      `${ENDPOINTS - 1} unlimited, ${config.messages} messages each; the others reach ${
        Math.round(othersReference)
      }/s ` +
      `when no endpoint is limited; ${file})`
  )
  if (!within && args.flags.strict === true) process.exitCode = 1
}
