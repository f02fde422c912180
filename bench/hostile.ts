/**
 * `pnpm bench hostile` — does one hostile endpoint slow down a tenant's healthy ones? (DESIGN.md §9: a hostile
 * receiver gets a recorded attempt "and the engine keeps going".)
 *
 * One tenant with 9 healthy endpoints (each its own origin, on a receiver process answering 204) is published to,
 * N messages fanned out to every endpoint, with and without a 10th, hostile endpoint among them; the runs alternate
 * (without, with, without, with, …) in one process and the medians are compared. The hostile endpoint is the
 * nastiest realistic one: a server in its own process that accepts and reads every request and never answers
 * (`--mode never`, default) or drips a header byte every 100 ms (`--mode slowloris`), so every attempt to it lasts
 * the whole timeout. The engine runs as a production operator would set it up: `createHookwire` with the memory
 * adapter, the default dispatcher (concurrency 64, 16 in flight per endpoint), the standard retry policy and a
 * short but realistic timeout (`--timeout`, default 2 s).
 *
 * Measured: healthy deliveries per second = 9 × N / (time from the first publish until Storage has recorded the last
 * healthy delivery as delivered). `slowdown = 1 − with / without`; bar ≤ 0.10.
 *
 * A run must span several timeouts to show a hung endpoint's steady state rather than its first seconds (in
 * production it hangs for hours). Unless `--messages` is given, N is sized from a calibration run without the
 * hostile endpoint so that a run lasts about `CALIBRATED_TIMEOUTS` timeouts on this machine and engine; a run with
 * the hostile endpoint shorter than three timeouts is flagged.
 *
 * Flags: --messages=N per run (calibrated), --rounds=N pairs of runs (5), --warmup=N messages for one unmeasured
 * pair, also the calibration (1000; with 0 and no --messages, N is 5000), --timeout=S engine request timeout in seconds (2), --mode=never|slowloris, --publishers=N
 * concurrent publish calls (16), --run-timeout=S longest a run may take (60; a run cut short counts with the
 * rate it reached), --verbose, --strict (exit 1 above the
 * bar).
 */
import { createHookwire } from "@hookwire/core/Hookwire"
import { memory } from "@hookwire/memory"
import { EndpointCounter, instrumented } from "./lib/endpoint-counter.js"
import {
  HOSTILE_MODES,
  type HostileMode,
  type HostileServer,
  type HostileStats,
  withHostileServer
} from "./lib/hostile.js"
import { type MultiReceiver, withMultiReceiver } from "./lib/multi-receiver.js"
import { catalog, dataMaker, numberFlag, publishConcurrently } from "./lib/payload.js"
import { median, report } from "./lib/report.js"
import type { BenchArgs } from "./run.js"

const BAR = 0.1
/** A calibrated run lasts about this many request timeouts. */
const CALIBRATED_TIMEOUTS = 5
const DEFAULT_MESSAGES = 5_000
const MIN_MESSAGES = 2_000
const MAX_MESSAGES = 200_000
const HEALTHY = 9
const TENANT = "bench-hostile"

interface Config {
  readonly messages: number
  readonly timeoutMs: number
  readonly publishers: number
  readonly runTimeoutMs: number
}

interface RunResult {
  readonly hostile: boolean
  readonly perSecond: number
  readonly ms: number
  /** The run hit `--run-timeout` before every healthy delivery was recorded; `perSecond` is over what was. */
  readonly timedOut: boolean
  readonly delivered: number
  readonly publishMs: number
  readonly claimed: number
  readonly rescheduled: number
  readonly failures: Record<string, number>
  readonly hostileStats: HostileStats | undefined
}

const runOnce = async (
  receiver: MultiReceiver,
  hostile: HostileServer | undefined,
  config: Config
): Promise<RunResult> => {
  const { messages, publishers, runTimeoutMs } = config
  const makeData = dataMaker(1024)
  const counter = new EndpointCounter()
  const hookwire = createHookwire({
    adapter: instrumented(memory(), counter),
    catalog,
    allowHttp: true,
    // The SSRF guard stays on; only the loopback receivers are let through.
    http: { allowCidrs: ["127.0.0.1/32"] },
    timeout: config.timeoutMs,
    // `allowHttp` warns once per http endpoint: expected here. Errors still print.
    logLevel: "error"
  })
  try {
    const healthy: Array<string> = []
    for (const url of receiver.urls) healthy.push((await hookwire.endpoints.create({ tenant: TENANT, url })).id)
    if (hostile !== undefined) await hookwire.endpoints.create({ tenant: TENANT, url: hostile.url })
    counter.watch(healthy)
    await hookwire.start()
    await receiver.reset()
    await hostile?.reset()

    const target = HEALTHY * messages
    const start = performance.now()
    const done = counter.until(target, runTimeoutMs)
    // Should publishing fail, `done` may reject before it is awaited: that is reported by the publish error.
    done.catch(() => {})
    await publishConcurrently(hookwire, TENANT, messages, publishers, makeData)
    const publishMs = performance.now() - start
    // A run that does not finish in time is a result too (the engine stalled): its rate is what it managed.
    const end = await done.catch(() => undefined)
    const timedOut = end === undefined
    const ms = (end ?? performance.now()) - start
    const delivered = timedOut ? counter.delivered : target

    const stats = await receiver.stats()
    stats.counts.forEach((count, i) => {
      if (!timedOut && count < messages) {
        throw new Error(`healthy receiver ${i} saw ${count} requests for ${messages} messages`)
      }
    })
    const hostileStats = hostile === undefined ? undefined : await hostile.stats()
    if (hostileStats !== undefined && hostileStats.requests === 0) {
      throw new Error("the hostile endpoint received no request during the run: the run measured nothing")
    }
    return {
      hostile: hostile !== undefined,
      perSecond: delivered / (ms / 1000),
      ms,
      timedOut,
      delivered,
      publishMs,
      claimed: counter.claimed,
      rescheduled: counter.rescheduled,
      failures: Object.fromEntries(counter.failures),
      hostileStats
    }
  } finally {
    // Attempts still hanging on the hostile endpoint end at their timeout, within the shutdown grace.
    await hookwire.close()
  }
}

export default async function hostileBench(args: BenchArgs): Promise<void> {
  const mode = (args.flags.mode ?? "never") as HostileMode
  if (!HOSTILE_MODES.includes(mode)) throw new Error(`--mode must be one of ${HOSTILE_MODES.join(", ")}`)
  let config: Config = {
    messages: numberFlag("messages", args.flags.messages, DEFAULT_MESSAGES, 1, MAX_MESSAGES),
    timeoutMs: numberFlag("timeout", args.flags.timeout, 2, 0.1, 60) * 1000,
    publishers: numberFlag("publishers", args.flags.publishers, 16, 1, 1024),
    runTimeoutMs: numberFlag("run-timeout", args.flags["run-timeout"], 60, 1, 3600) * 1000
  }
  const rounds = numberFlag("rounds", args.flags.rounds, 5, 1, 50)
  const warmup = numberFlag("warmup", args.flags.warmup, 1_000, 0, MAX_MESSAGES)
  const calibrate = args.flags.messages === undefined && warmup > 0
  const verbose = args.flags.verbose === true

  const runs = await withMultiReceiver(HEALTHY, (receiver) =>
    withHostileServer(mode, async (hostile) => {
      if (warmup > 0) {
        const first = await runOnce(receiver, undefined, { ...config, messages: warmup })
        await runOnce(receiver, hostile, { ...config, messages: warmup })
        if (calibrate) {
          // The first run of a process is cold: calibrate on the faster of it and a second one. Messages for a healthy
          // run of CALIBRATED_TIMEOUTS timeouts, in thousands.
          const second = await runOnce(receiver, undefined, { ...config, messages: warmup })
          const perMessage = Math.max(first.perSecond, second.perSecond) / HEALTHY
          const wanted = Math.ceil((perMessage * CALIBRATED_TIMEOUTS * config.timeoutMs) / 1000 / 1000) * 1000
          config = { ...config, messages: Math.min(MAX_MESSAGES, Math.max(MIN_MESSAGES, wanted)) }
          if (verbose) {
            console.log(
              `calibration: ${Math.round(perMessage * HEALTHY)} healthy/s → ${config.messages} messages per run`
            )
          }
        }
      }
      const runs: Array<RunResult> = []
      for (let round = 0; round < rounds; round++) {
        for (const withHostile of [false, true]) {
          const result = await runOnce(receiver, withHostile ? hostile : undefined, config)
          runs.push(result)
          if (verbose) {
            const h = result.hostileStats
            console.log(
              `round ${round + 1} ${withHostile ? "with   " : "without"}: ${Math.round(result.perSecond)} healthy/s ` +
                `(${result.timedOut ? `TIMED OUT with ${result.delivered} delivered, ` : ""}` +
                `${Math.round(result.ms)} ms, published in ${Math.round(result.publishMs)} ms; ` +
                `${result.claimed} claimed, ${result.rescheduled} rescheduled; failures ${
                  JSON.stringify(result.failures)
                }` +
                (h === undefined ? "" : `; hostile: ${h.requests} requests, ${h.accepted} connections`) +
                `)`
            )
          }
        }
      }
      return runs
    }))

  const short = runs.filter((r) => r.hostile && r.ms < 3 * config.timeoutMs).length
  if (short > 0) {
    console.log(
      `warning: ${short} run(s) with the hostile endpoint lasted less than three timeouts (${
        3 * config.timeoutMs
      } ms): ` +
        `they show its first seconds, not its steady state; use more --messages`
    )
  }
  const without = median(runs.filter((r) => !r.hostile).map((r) => r.perSecond))
  const withHostile = median(runs.filter((r) => r.hostile).map((r) => r.perSecond))
  const slowdown = 1 - withHostile / without
  const file = report("hostile", [{
    healthy_per_s_without: Math.round(without),
    healthy_per_s_with: Math.round(withHostile),
    slowdown
  }], {
    bar: BAR,
    meets: slowdown <= BAR,
    mode,
    timeout_ms: config.timeoutMs,
    messages: config.messages,
    healthy_endpoints: HEALTHY,
    rounds,
    runs: runs.map((r) => ({
      hostile: r.hostile,
      healthy_per_s: Math.round(r.perSecond),
      ms: Math.round(r.ms),
      timed_out: r.timedOut,
      delivered: r.delivered,
      publish_ms: Math.round(r.publishMs),
      claimed: r.claimed,
      rescheduled: r.rescheduled,
      failures: r.failures,
      hostile_stats: r.hostileStats
    }))
  })
  console.log(
    `(bar: slowdown ≤ ${BAR}; ${HEALTHY} healthy endpoints + 1 "${mode}" endpoint, ${config.messages} messages, ` +
      `timeout ${config.timeoutMs} ms; medians of ${rounds} alternating pairs; ${file})`
  )
  if (slowdown > BAR && args.flags.strict === true) process.exitCode = 1
}
