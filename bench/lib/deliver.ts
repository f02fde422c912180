/**
 * The end-to-end delivery bench behind `deliver-memory` (and, once their adapters exist, `deliver-postgres` and
 * `deliver-redis`): Hookwire against a raw undici loop, side by side in one run, against one receiver process.
 *
 * - **hookwire**: a fresh engine per run (Effect API: `Hookwire.layer` + `Dispatcher.layer` over the adapter; or
 *   `createHookwire` with `--api promise`), one tenant with **one endpoint** (the receiver). One endpoint is the fair
 *   shape: the raw loop also talks to one origin over one pool of `concurrency` connections, and with one endpoint
 *   the dispatcher's per-endpoint cap (`perEndpointConcurrency` = `concurrency`) is exercised rather than bypassed.
 *   The Effect mode publishes with `publishMany` in batches of 100 (`--batch`), as a host sending a bulk notification
 *   would; `--api promise` has 64 concurrent callers of `publish`, one message each.
 *   Timed from the first `publish` call to the moment Storage has recorded the last delivery as delivered
 *   (`recordAttempts` returned: see `DeliveryCounter`). Publishing, claiming, signing, sending, recording attempts
 *   and completing queue items all happen inside the window; building the engine and creating the endpoint do not.
 * - **raw**: the floor. An undici `Pool` (`connections` = `concurrency`, keep-alive) and `concurrency` async loops;
 *   each takes the next message, signs it (Standard Webhooks: HMAC-SHA256 with `node:crypto`, key imported once),
 *   POSTs it with the same headers Hookwire sends and reads the response. The bodies are the same 1 KiB envelopes
 *   Hookwire builds, prepared before the clock starts, so the raw loop does the least a sender must do.
 *
 * Both use the same endpoint secret, and the receiver checks a sample of signatures from each: a run whose
 * receiver saw fewer requests than messages, or any bad signature, fails the bench.
 */
import * as Dispatcher from "@hookwire/core/Dispatcher"
import * as Hookwire from "@hookwire/core/Hookwire"
import * as Id from "@hookwire/core/Id"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { Pool } from "undici"
import type { BenchArgs } from "../run.js"
import { type AdapterName, counted, DeliveryCounter, openAdapter } from "./adapters.js"
import {
  catalog,
  dataMaker,
  envelope,
  EVENT_TYPE,
  hmacKey,
  newSecret,
  numberFlag,
  publishConcurrently,
  signStandard
} from "./payload.js"
import { type Receiver, withReceiver } from "./receiver.js"
import { median, report, type Result } from "./report.js"

const TENANT = "bench"
const USER_AGENT = "bench-raw/1.0"
const REQUEST_TIMEOUT_MS = 15_000

interface Config {
  readonly messages: number
  readonly concurrency: number
  readonly bodyBytes: number
  /** Longest a single run may take before the bench gives up. */
  readonly runTimeoutMs: number
  readonly api: "effect" | "promise"
  /** Messages per `publishMany` call in the Effect mode (1: `publish` one at a time). */
  readonly batch: number
}

interface RunResult {
  readonly perSecond: number
  readonly ms: number
  /** CPU time (user + system) this process spent per message during the run, in microseconds. */
  readonly cpuUs: number
}

const cpuSince = (start: NodeJS.CpuUsage, messages: number): number => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / messages
}

/** Checks what the receiver saw for a run of `messages`: all of them, and only good signatures. */
const checkReceiver = async (receiver: Receiver, who: string, messages: number): Promise<void> => {
  const stats = await receiver.stats()
  if (stats.requests < messages) {
    throw new Error(`${who}: the receiver saw ${stats.requests} requests for ${messages} messages`)
  }
  if (stats.checked === 0 || stats.badSignatures > 0) {
    throw new Error(`${who}: ${stats.badSignatures} of ${stats.checked} sampled signatures did not verify`)
  }
}

// --- the raw loop -----------------------------------------------------------------------------------------------

const runRaw = async (receiver: Receiver, secret: string, config: Config): Promise<RunResult> => {
  const { concurrency, messages, runTimeoutMs } = config
  const makeData = dataMaker(config.bodyBytes)
  const now = Date.now()
  const ids = Array.from({ length: messages }, () => Id.make("msg", now))
  const bodies = Array.from({ length: messages }, (_, i) => envelope(makeData(i), now))
  const key = hmacKey(secret)
  const url = new URL(receiver.url)
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 4_000 })
  await receiver.reset()
  let next = 0
  let failed = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const deadline = start + runTimeoutMs
  const worker = async () => {
    while (true) {
      const i = next++
      if (i >= messages) return
      if (performance.now() > deadline) throw new Error(`raw: not finished within ${runTimeoutMs} ms`)
      const id = ids[i]
      const timestamp = Math.floor(Date.now() / 1000)
      const body = bodies[i]
      const response = await pool.request({
        method: "POST",
        path: url.pathname,
        headers: {
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signStandard(key, id, timestamp, body)
        },
        body,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS
      })
      await response.body.dump()
      if (response.statusCode < 200 || response.statusCode >= 300) failed++
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    await pool.close()
  }
  const ms = performance.now() - start
  const cpuUs = cpuSince(cpu, messages)
  if (failed > 0) throw new Error(`raw: ${failed} requests did not get a 2xx`)
  await checkReceiver(receiver, "raw", messages)
  return { perSecond: messages / (ms / 1000), ms, cpuUs }
}

// --- Hookwire -----------------------------------------------------------------------------------------------------

const engineOptions = {
  catalog,
  allowHttp: true,
  // The SSRF guard stays on; only the receiver's loopback address is let through.
  http: { allowCidrs: ["127.0.0.1/32"] }
}

// Warnings such as "http endpoint" and "no master key" are expected here; failures fail the bench anyway.
const logLevel = "error" as const

/**
 * One timed Hookwire run: from `publishAll` starting to `counter` having seen every delivery recorded, then the
 * receiver's and the counter's checks.
 */
const timed = async (
  receiver: Receiver,
  counter: DeliveryCounter,
  { messages, runTimeoutMs }: Config,
  publishAll: () => Promise<unknown>
): Promise<RunResult> => {
  await receiver.reset()
  const cpu = process.cpuUsage()
  const start = performance.now()
  const done = counter.until(messages, runTimeoutMs)
  await publishAll()
  const end = await done
  const cpuUs = cpuSince(cpu, messages)
  await checkReceiver(receiver, "hookwire", messages)
  if (counter.notDelivered > 0) throw new Error(`hookwire: ${counter.notDelivered} attempts did not deliver`)
  return { perSecond: messages / ((end - start) / 1000), ms: end - start, cpuUs }
}

const runHookwireEffect = async (
  adapterName: AdapterName,
  receiver: Receiver,
  secret: string,
  config: Config
): Promise<RunResult> => {
  const { concurrency, messages } = config
  const makeData = dataMaker(config.bodyBytes)
  const opened = await openAdapter(adapterName)
  const counter = new DeliveryCounter()
  const engine = Hookwire.layer(engineOptions).pipe(Layer.provideMerge(counted(opened.adapter, counter).layer))
  const runtime = ManagedRuntime.make(
    Dispatcher.layer({ concurrency, perEndpointConcurrency: concurrency }).pipe(
      Layer.provideMerge(engine),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
    )
  )
  try {
    const webhooks = await runtime.runPromise(Webhooks.Webhooks)
    await runtime.runPromise(webhooks.endpoints.create({ tenant: TENANT, url: receiver.url, secret }))
    // A host sending a bulk notification: `publishMany` in batches of `--batch` (one message per call at 1).
    const { batch } = config
    return await timed(receiver, counter, config, () =>
      runtime.runPromise(Effect.gen(function*() {
        for (let i = 0; i < messages; i += batch) {
          if (batch === 1) {
            yield* webhooks.publish({ tenant: TENANT, type: EVENT_TYPE, data: makeData(i) })
            continue
          }
          const inputs = []
          for (let j = i; j < Math.min(messages, i + batch); j++) {
            inputs.push({ tenant: TENANT, type: EVENT_TYPE, data: makeData(j) })
          }
          yield* webhooks.publishMany(inputs)
        }
      })))
  } finally {
    await runtime.dispose()
    await opened.close()
  }
}

const runHookwirePromise = async (
  adapterName: AdapterName,
  receiver: Receiver,
  secret: string,
  config: Config
): Promise<RunResult> => {
  const { concurrency, messages } = config
  const makeData = dataMaker(config.bodyBytes)
  const opened = await openAdapter(adapterName)
  const counter = new DeliveryCounter()
  const hookwire = Hookwire.createHookwire({
    ...engineOptions,
    adapter: counted(opened.adapter, counter),
    dispatcher: { concurrency, perEndpointConcurrency: concurrency },
    logLevel
  })
  try {
    await hookwire.endpoints.create({ tenant: TENANT, url: receiver.url, secret })
    await hookwire.start()
    // A host publishing from many requests at once: `concurrency` publishers, each awaiting its publish.
    return await timed(
      receiver,
      counter,
      config,
      () => publishConcurrently(hookwire, TENANT, messages, concurrency, makeData)
    )
  } finally {
    await hookwire.close()
    await opened.close()
  }
}

// --- the bench ----------------------------------------------------------------------------------------------------

export const BAR: Record<AdapterName, number> = { memory: 0.6, postgres: 0.35, redis: 0.45 }

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Flags: --messages=N (default 20000), --concurrency=N (64), --rounds=N (3; each round runs both, alternating which
 * goes first), --batch=N messages per `publishMany` call in the Effect mode (100; 1 publishes one at a time), --warmup=N messages per side before the rounds (2000; 0 for none), --api=effect|promise (effect),
 * --timeout=S per run (120), --verbose, --strict (exit 1 below the bar), --only=raw|hookwire (for profiling: runs
 * one side and reports nothing).
 */
export const runDeliver = async (args: BenchArgs, adapterName: AdapterName): Promise<void> => {
  const api = args.flags.api ?? "effect"
  if (api !== "effect" && api !== "promise") throw new Error(`--api must be effect or promise, got ${String(api)}`)
  const config: Config = {
    messages: numberFlag("messages", args.flags.messages, 20_000, 1, 1_000_000),
    concurrency: numberFlag("concurrency", args.flags.concurrency, 64, 1, 1024),
    bodyBytes: 1024,
    runTimeoutMs: numberFlag("timeout", args.flags.timeout, 120, 1, 3600) * 1000,
    api,
    batch: numberFlag("batch", args.flags.batch, 100, 1, 1000)
  }
  const rounds = numberFlag("rounds", args.flags.rounds, 3, 1, 50)
  const warmup = numberFlag("warmup", args.flags.warmup, 2_000, 0, 1_000_000)
  const verbose = args.flags.verbose === true
  const runHookwire = api === "effect" ? runHookwireEffect : runHookwirePromise
  const only = args.flags.only
  if (only !== undefined && only !== "raw" && only !== "hookwire") throw new Error(`--only must be raw or hookwire`)
  const secret = newSecret()

  const { hookwire, raw } = await withReceiver(async (receiver) => {
    await receiver.configure({ secret, record: false })
    if (warmup > 0) {
      const small = { ...config, messages: warmup }
      if (only !== "hookwire") await runRaw(receiver, secret, small)
      if (only !== "raw") await runHookwire(adapterName, receiver, secret, small)
    }
    const hookwire: Array<RunResult> = []
    const raw: Array<RunResult> = []
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ["raw", "hookwire"] as const : ["hookwire", "raw"] as const
      for (const who of order) {
        if (only !== undefined && who !== only) continue
        await pause(200)
        const result = who === "raw"
          ? await runRaw(receiver, secret, config)
          : await runHookwire(adapterName, receiver, secret, config)
        ;(who === "raw" ? raw : hookwire).push(result)
        if (verbose) {
          console.log(
            `round ${round + 1} ${who}: ${Math.round(result.perSecond)}/s (${Math.round(result.ms)} ms, ` +
              `${Math.round(result.cpuUs)} µs CPU per message in this process)`
          )
        }
      }
    }
    return { hookwire, raw }
  })

  if (only !== undefined) {
    const runs = only === "raw" ? raw : hookwire
    console.log(
      `(--only ${only}: ${runs.map((r) => `${Math.round(r.perSecond)}/s ${Math.round(r.cpuUs)} µs CPU`).join(", ")}` +
        `; nothing reported)`
    )
    return
  }
  const hookwirePerSecond = median(hookwire.map((r) => r.perSecond))
  const rawPerSecond = median(raw.map((r) => r.perSecond))
  const ratio = hookwirePerSecond / rawPerSecond
  const name = `deliver-${adapterName}`
  const result: Result = {
    hookwire_per_s: Math.round(hookwirePerSecond),
    raw_per_s: Math.round(rawPerSecond),
    ratio,
    messages: config.messages,
    concurrency: config.concurrency,
    rounds
  }
  if (api !== "effect") result.api = api
  else result.publish_batch = config.batch
  const file = report(name, [result], {
    bar: BAR[adapterName],
    meets: ratio >= BAR[adapterName],
    api,
    hookwire_cpu_us_per_message: Math.round(median(hookwire.map((r) => r.cpuUs))),
    raw_cpu_us_per_message: Math.round(median(raw.map((r) => r.cpuUs))),
    per_round: hookwire.map((h, i) => ({
      hookwire_per_s: Math.round(h.perSecond),
      raw_per_s: Math.round(raw[i].perSecond),
      ratio: h.perSecond / raw[i].perSecond,
      hookwire_cpu_us_per_message: Math.round(h.cpuUs),
      raw_cpu_us_per_message: Math.round(raw[i].cpuUs)
    }))
  })
  console.log(`(bar: ratio >= ${BAR[adapterName]}; medians over ${rounds} rounds; ${file})`)
  if (ratio < BAR[adapterName] && args.flags.strict === true) process.exitCode = 1
}
