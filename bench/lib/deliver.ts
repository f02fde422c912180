/**
 * The end-to-end delivery bench behind `deliver-memory`, `deliver-postgres` and `deliver-redis`: Hookwire on one
 * adapter against the raw undici loop (the floor) and the queues people use instead on the same kind of store —
 * graphile-worker and pg-boss on PostgreSQL, BullMQ on Redis — side by side in one run, against one receiver
 * process that verifies every signature.
 *
 * Every contender runs in its own process (`sender.ts`), kept for the whole bench, so its peak RSS, CPU and
 * allocations are its own. Each round gives every contender a fresh store and engine (untimed), then its timed run
 * of the same `messages` 1 KiB messages at `concurrency`, one contender at a time, the order rotating by one each
 * round; a warm-up run of each comes first. What each contender does and what its window covers is in its module
 * (`contenders/*.ts`); the servers' CPU is read from `/proc` just before and after each run (`server-cpu.ts`).
 *
 * A run whose receiver saw fewer requests than messages or any bad signature, or whose contender saw a non-2xx,
 * fails the bench. The ratios are of medians over the rounds: `ratio` (Hookwire ÷ raw), `vs_best_peer` (Hookwire ÷
 * the fastest peer), `rss_ratio` (Hookwire's peak RSS ÷ that peer's) and `rss_growth_ratio` (the same for what each
 * process grew by while working, above its RSS once loaded).
 */
import type { BenchArgs } from "../run.js"
import type { AdapterName } from "./adapters.js"
import type { ContenderName, RunConfig } from "./contender.js"
import { newSecret, numberFlag } from "./payload.js"
import { type Receiver, withReceiver } from "./receiver.js"
import { median, report, type Result } from "./report.js"
import { type RunStats, type Sender, withSender } from "./sender.js"
import { serversFor } from "./server-cpu.js"

/** Hookwire ÷ raw, by adapter (DESIGN.md §8). */
export const BAR: Record<AdapterName, number> = { memory: 0.6, postgres: 0.35, redis: 0.45 }
/** Hookwire ÷ the best peer on the same store, and Hookwire's peak RSS ÷ that peer's (issue 22). */
const PEER_BAR = 1.25
const RSS_BAR = 1.0

const HOOKWIRE: Record<AdapterName, ContenderName> = {
  memory: "hookwire-memory",
  postgres: "hookwire-postgres",
  redis: "hookwire-redis"
}
const PEERS: Record<AdapterName, ReadonlyArray<ContenderName>> = {
  memory: [],
  postgres: ["graphile-worker", "pg-boss"],
  redis: ["bullmq"]
}

const MIB = 1024 * 1024

/** Checks what the receiver saw for a run of `messages`: all of them, every signature checked and good. */
const checkReceiver = async (receiver: Receiver, who: string, messages: number): Promise<void> => {
  const stats = await receiver.stats()
  if (stats.requests < messages) {
    throw new Error(`${who}: the receiver saw ${stats.requests} requests for ${messages} messages`)
  }
  if (stats.checked < stats.requests || stats.badSignatures > 0) {
    throw new Error(`${who}: ${stats.badSignatures} of ${stats.checked} signatures did not verify`)
  }
}

/** A contender process to open: Hookwire from its built packages, or from its TypeScript sources (`source`). */
interface Spec {
  readonly name: ContenderName
  readonly source: boolean
  readonly label: string
}

/** Opens a process per contender (nested, so all are killed at the end), then runs `f` with all of them. */
const withSenders = async <A>(
  specs: ReadonlyArray<Spec>,
  execArgv: ReadonlyArray<string>,
  f: (senders: ReadonlyArray<Sender>) => Promise<A>,
  opened: ReadonlyArray<Sender> = []
): Promise<A> =>
  specs.length === 0 ?
    f(opened) :
    withSender(
      specs[0].name,
      (sender) => withSenders(specs.slice(1), execArgv, f, [...opened, sender]),
      execArgv,
      specs[0].source,
      specs[0].label
    )

/** One contender's figures over the rounds: medians per message, the peak RSS of its process. */
interface ContenderRuns {
  /** The contender's process RSS once its modules were loaded (bytes). */
  readonly loadedRssBytes: number
  readonly runs: Array<RunStats>
}

const standing = (
  name: string,
  { loadedRssBytes, runs }: ContenderRuns,
  messages: number,
  rawPerSecond: number
) => {
  const perSecond = median(runs.map((r) => messages / (r.ms / 1000)))
  const result: Result = {
    contender: name,
    per_s: Math.round(perSecond),
    x_raw: perSecond / rawPerSecond,
    rss_mib: Math.round(Math.max(...runs.map((r) => r.maxRssBytes)) / MIB),
    loaded_rss_mib: Math.round(loadedRssBytes / MIB),
    cpu_us_per_msg: Math.round(median(runs.map((r) => r.cpuUs / messages))),
    gc_us_per_msg: Math.round(median(runs.map((r) => r.gcUs / messages))),
    alloc_kib_per_msg: Math.round(median(runs.map((r) => r.allocatedBytes / messages / 1024)) * 10) / 10
  }
  for (const server of Object.keys(runs[0].serverCpuUs)) {
    result[`${server}_cpu_us_per_msg`] = Math.round(median(runs.map((r) => r.serverCpuUs[server] / messages)))
  }
  return { perSecond, result }
}

/**
 * Flags: --messages=N (default 20000), --concurrency=N (64), --rounds=N (3), --warmup=N messages per contender before
 * the rounds (2000; 0 for none), --batch=N messages per publish / enqueue call (100; 1 publishes one at a time),
 * --publishers=N concurrent `publishMany` calls of Hookwire's Effect mode (1),
 * --api=effect|promise (Hookwire's API; effect), --timeout=S per run (120), --no-peers (raw and Hookwire only),
 * --only=a,b (run these contenders only, e.g. `hookwire-postgres`, and report nothing: for profiling),
 * --source (Hookwire loads its packages' TypeScript sources through tsx instead of their built JavaScript),
 * --compare-source (both: one more Hookwire process, from the sources, reported as `<name>-source`, in no ratio),
 * --profile=DIR (CPU-profile every contender's process into DIR), --verbose, --strict (exit 1 below a bar).
 */
export const runDeliver = async (args: BenchArgs, adapterName: AdapterName): Promise<void> => {
  const api = args.flags.api ?? "effect"
  if (api !== "effect" && api !== "promise") throw new Error(`--api must be effect or promise, got ${String(api)}`)
  const secret = newSecret()
  const config: Omit<RunConfig, "urls"> = {
    secret,
    messages: numberFlag("messages", args.flags.messages, 20_000, 1, 1_000_000),
    concurrency: numberFlag("concurrency", args.flags.concurrency, 64, 1, 1024),
    perEndpointConcurrency: undefined,
    bodyBytes: 1024,
    batch: numberFlag("batch", args.flags.batch, 100, 1, 1000),
    publishers: numberFlag("publishers", args.flags.publishers, 1, 1, 256),
    api,
    runTimeoutMs: numberFlag("timeout", args.flags.timeout, 120, 1, 3600) * 1000
  }
  const rounds = numberFlag("rounds", args.flags.rounds, 3, 1, 50)
  const warmup = numberFlag("warmup", args.flags.warmup, 2_000, 0, 1_000_000)
  const verbose = args.flags.verbose === true
  const hookwireName = HOOKWIRE[adapterName]
  const everyone: Array<ContenderName> = [
    "raw",
    hookwireName,
    ...(args.flags["no-peers"] === true ? [] : PEERS[adapterName])
  ]
  const only = typeof args.flags.only === "string" ? args.flags.only.split(",") : undefined
  for (const name of only ?? []) {
    if (!(everyone as Array<string>).includes(name)) {
      throw new Error(`--only: "${name}" is not one of ${everyone.join(", ")}`)
    }
  }
  const names = only === undefined ? everyone : everyone.filter((name) => only.includes(name))
  const source = args.flags.source === true
  const specs: Array<Spec> = names.map((name) => ({ name, source, label: name }))
  if (args.flags["compare-source"] === true && names.includes(hookwireName)) {
    specs.splice(2, 0, { name: hookwireName, source: true, label: `${hookwireName}-source` })
  }
  const execArgv = typeof args.flags.profile === "string" ? ["--cpu-prof", `--cpu-prof-dir=${args.flags.profile}`] : []
  const servers = await serversFor(adapterName)

  const runs = await withReceiver((receiver) =>
    withSenders(specs, execArgv, async (senders) => {
      await receiver.configure({ secret, record: false })
      const roundConfig: RunConfig = { ...config, perEndpointConcurrency: config.concurrency, urls: [receiver.url] }
      const runOne = async (sender: Sender, messages: number): Promise<RunStats> => {
        await receiver.reset()
        const stats = await sender.round({ ...roundConfig, messages }, servers)
        await checkReceiver(receiver, sender.label, messages)
        return stats
      }
      if (warmup > 0) { for (const sender of senders) await runOne(sender, warmup) }
      const runs = new Map<string, ContenderRuns>(
        senders.map((s) => [s.label, { loadedRssBytes: s.loadedRssBytes, runs: [] }])
      )
      for (let round = 0; round < rounds; round++) {
        const first = round % senders.length
        for (const sender of [...senders.slice(first), ...senders.slice(0, first)]) {
          const stats = await runOne(sender, config.messages)
          runs.get(sender.label)!.runs.push(stats)
          if (verbose) {
            const server = Object.entries(stats.serverCpuUs).map(([s, us]) =>
              `, ${s} ${Math.round(us / config.messages)} µs`
            )
            console.log(
              `round ${round + 1} ${sender.label}: ${Math.round(config.messages / (stats.ms / 1000))}/s ` +
                `(${Math.round(stats.ms)} ms, ${Math.round(stats.cpuUs / config.messages)} µs CPU and ` +
                `${(stats.allocatedBytes / config.messages / 1024).toFixed(1)} KiB allocated per message` +
                `${server.join("")}; peak RSS ${Math.round(stats.maxRssBytes / MIB)} MiB` +
                `${stats.engine === undefined ? "" : `; ${JSON.stringify(stats.engine)}`})`
            )
          }
        }
      }
      return runs
    })
  )

  if (only !== undefined) {
    console.log(`(--only ${names.join(",")}: nothing reported)`)
    return
  }
  summarize(args, adapterName, config, rounds, runs)
}

const summarize = (
  args: BenchArgs,
  adapterName: AdapterName,
  config: Omit<RunConfig, "urls">,
  rounds: number,
  runs: ReadonlyMap<string, ContenderRuns>
): void => {
  const { messages } = config
  const rawPerSecond = median(runs.get("raw")!.runs.map((r) => messages / (r.ms / 1000)))
  const standings = new Map([...runs].map(([name, r]) => [name, standing(name, r, messages, rawPerSecond)]))
  const hookwire = standings.get(HOOKWIRE[adapterName])!
  const peers = [...standings.values()].filter((s) => PEERS[adapterName].includes(s.result.contender as ContenderName))
  const best = peers.sort((a, b) => b.perSecond - a.perSecond)[0]
  const ratio = hookwire.perSecond / rawPerSecond
  const summary: Result = { hookwire_per_s: Math.round(hookwire.perSecond), raw_per_s: Math.round(rawPerSecond), ratio }
  let meets = ratio >= BAR[adapterName]
  if (best !== undefined) {
    summary.best_peer = best.result.contender
    summary.vs_best_peer = hookwire.perSecond / best.perSecond
    summary.rss_ratio = (hookwire.result.rss_mib as number) / (best.result.rss_mib as number)
    // What each grew by while working, above what its modules take once loaded.
    const growth = (r: Result) => (r.rss_mib as number) - (r.loaded_rss_mib as number)
    summary.rss_growth_ratio = growth(hookwire.result) / growth(best.result)
    meets &&= summary.vs_best_peer >= PEER_BAR && summary.rss_ratio <= RSS_BAR
  }
  Object.assign(summary, {
    hookwire_rss_mib: hookwire.result.rss_mib,
    alloc_kib_per_msg: hookwire.result.alloc_kib_per_msg,
    messages,
    concurrency: config.concurrency,
    rounds
  })
  if (args.flags.source === true) summary.hookwire_packages = "source"
  if (config.api !== "effect") summary.api = config.api
  else summary.publish_batch = config.batch
  const name = `deliver-${adapterName}`
  const file = report(name, [summary, ...[...standings.values()].map((s) => s.result)], {
    bar: { ratio: BAR[adapterName], ...(best === undefined ? {} : { vs_best_peer: PEER_BAR, rss_ratio: RSS_BAR }) },
    meets,
    api: config.api,
    allocation_method: "v8.GCProfiler: used heap growth between collections, summed over the run",
    per_round: Object.fromEntries([...runs].map(([contender, r]) => [contender, r.runs]))
  })
  console.log(
    `(bars: ratio >= ${BAR[adapterName]}` +
      (best === undefined ? "" : `, vs_best_peer >= ${PEER_BAR}, rss_ratio <= ${RSS_BAR}`) +
      `; medians over ${rounds} rounds; ${file})`
  )
  if (!meets && args.flags.strict === true) process.exitCode = 1
}
