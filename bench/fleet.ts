/**
 * `pnpm bench fleet` — a latency-bound shape, closer to real traffic than loopback 204s: 1,000 endpoints (distinct
 * URLs spread over 40 origins, i.e. 40 loopback ports) whose receivers — in another process — answer each request
 * after a uniform random 0.5–2.5 s, 60,000 messages, dispatcher concurrency 2,000. Hookwire (Effect API, one tenant
 * per endpoint, `publishMany` in batches of 100 with 4 calls at once, message `i` to endpoint `i % 1000`, the
 * engine's default per-endpoint cap and per-origin pool) runs on each adapter in a fresh process, timed from the
 * first publish to the last delivery recorded delivered (lib/contenders/hookwire.ts).
 *
 * The ideal is `concurrency ÷ mean latency` (with the mean delay the receivers actually drew: ≈ 1,333/s), far below
 * what the CPU allows, so the bench measures how well the engine keeps 2,000 slow requests in flight. Each line
 * prints `per_s`, `ideal_per_s`, `ratio`, the sending process's peak RSS, the most sockets it had open at once
 * (sampled) and the most connections the receivers saw open, and the dispatcher's mean in-flight attempts, occupied
 * slots, deliveries waiting for their endpoint and results not yet written (sampled every 0.1 s: where the 2,000
 * slots went). Bar (issue 22): ratio ≥ 0.9 and RSS < 512 MiB.
 *
 * Flags: --adapter=memory,postgres (comma-separated; both by default), --messages=N (60000; smaller for quick runs),
 * --endpoints=N (1000), --origins=N (40; at least 20), --concurrency=N (2000), --min-delay=MS (500),
 * --max-delay=MS (2500), --batch=N (100), --publishers=N concurrent `publishMany` calls (4), --timeout=S per run (600), --profile=DIR (CPU-profile the engine's
 * process into DIR), --node-flags="--flag[=v] …" (Node/V8 flags for the engine's process, e.g. `--max-semi-space-size=32`:
 * to measure what they do to RSS; printed as `node_flags=`), --verbose, --strict (exit 1 below a bar).
 */
import { ADAPTER_NAMES, type AdapterName } from "./lib/adapters.js"
import type { ContenderName, RunConfig } from "./lib/contender.js"
import { withMultiReceiver } from "./lib/multi-receiver.js"
import { newSecret, numberFlag } from "./lib/payload.js"
import { report, type Result } from "./lib/report.js"
import { withSender } from "./lib/sender.js"
import { serversFor } from "./lib/server-cpu.js"
import type { BenchArgs } from "./run.js"

const RATIO_BAR = 0.9
const RSS_BAR_MIB = 512
const MIB = 1024 * 1024

const adaptersFlag = (flag: string | boolean | undefined): ReadonlyArray<AdapterName> => {
  const names = flag === undefined ? ["memory", "postgres"] : String(flag).split(",")
  for (const name of names) {
    if (!(ADAPTER_NAMES as ReadonlyArray<string>).includes(name)) {
      throw new Error(`--adapter takes ${ADAPTER_NAMES.join(", ")} (comma-separated), got ${name}`)
    }
  }
  return names as ReadonlyArray<AdapterName>
}

export default async function fleet(args: BenchArgs): Promise<void> {
  const adapters = adaptersFlag(args.flags.adapter)
  const messages = numberFlag("messages", args.flags.messages, 60_000, 1, 1_000_000)
  const endpoints = numberFlag("endpoints", args.flags.endpoints, 1_000, 1, 10_000)
  const origins = numberFlag("origins", args.flags.origins, 40, 20, 64)
  const concurrency = numberFlag("concurrency", args.flags.concurrency, 2_000, 1, 10_000)
  const minDelay = numberFlag("min-delay", args.flags["min-delay"], 500, 0, 60_000)
  const maxDelay = numberFlag("max-delay", args.flags["max-delay"], 2_500, minDelay, 60_000)
  const batch = numberFlag("batch", args.flags.batch, 100, 1, 1000)
  const publishers = numberFlag("publishers", args.flags.publishers, 4, 1, 256)
  const runTimeoutMs = numberFlag("timeout", args.flags.timeout, 600, 1, 3600) * 1000
  const verbose = args.flags.verbose === true
  const nodeFlags = typeof args.flags["node-flags"] === "string"
    ? args.flags["node-flags"].split(/\s+/).filter(Boolean)
    : []
  const execArgv = [
    ...(typeof args.flags.profile === "string" ? ["--cpu-prof", `--cpu-prof-dir=${args.flags.profile}`] : []),
    ...nodeFlags
  ]

  const results = await withMultiReceiver(origins, async (receiver) => {
    await receiver.configure({ record: [], delayMs: [minDelay, maxDelay] })
    // Distinct URLs, endpoint i on origin i % origins.
    const urls = Array.from({ length: endpoints }, (_, i) => `${receiver.urls[i % origins]}/${i}`)
    const config: RunConfig = {
      urls,
      secret: newSecret(),
      messages,
      concurrency,
      perEndpointConcurrency: undefined,
      bodyBytes: 1024,
      batch,
      publishers,
      api: "effect",
      runTimeoutMs
    }
    const results: Array<Result> = []
    for (const adapter of adapters) {
      const name = `hookwire-${adapter}` as ContenderName
      const servers = await serversFor(adapter)
      await receiver.reset()
      const stats = await withSender(name, (sender) => sender.round(config, servers), execArgv)
      const seen = await receiver.stats()
      const requests = seen.counts.reduce((a, b) => a + b, 0)
      if (requests < messages) throw new Error(`${name}: the receivers saw ${requests} requests for ${messages}`)
      const perSecond = messages / (stats.ms / 1000)
      const idealPerSecond = concurrency / (seen.meanDelayMs / 1000)
      const result: Result = {
        adapter,
        per_s: Math.round(perSecond),
        ideal_per_s: Math.round(idealPerSecond),
        ratio: perSecond / idealPerSecond,
        rss_mib: Math.round(stats.maxRssBytes / MIB),
        peak_sockets: stats.peakSockets,
        receiver_peak_connections: seen.peakConnections,
        mean_latency_ms: Math.round(seen.meanDelayMs),
        cpu_us_per_msg: Math.round(stats.cpuUs / messages),
        gc_us_per_msg: Math.round(stats.gcUs / messages),
        alloc_kib_per_msg: Math.round(stats.allocatedBytes / messages / 1024 * 10) / 10
      }
      Object.assign(result, stats.engine ?? {})
      for (const [server, us] of Object.entries(stats.serverCpuUs)) {
        result[`${server}_cpu_us_per_msg`] = Math.round(us / messages)
      }
      Object.assign(result, { messages, endpoints, origins, concurrency, publishers })
      if (nodeFlags.length > 0) result.node_flags = nodeFlags.join(" ")
      if (verbose) console.log(`${name}: ${Math.round(stats.ms)} ms, ${stats.collections} collections`)
      results.push(result)
    }
    return results
  })

  const meets = results.every((r) => (r.ratio as number) >= RATIO_BAR && (r.rss_mib as number) < RSS_BAR_MIB)
  const file = report("fleet", results, {
    bar: { ratio: RATIO_BAR, rss_mib_below: RSS_BAR_MIB },
    meets,
    delay_ms: [minDelay, maxDelay]
  })
  console.log(`(bars: ratio >= ${RATIO_BAR}, RSS < ${RSS_BAR_MIB} MiB; ${file})`)
  if (!meets && args.flags.strict === true) process.exitCode = 1
}
