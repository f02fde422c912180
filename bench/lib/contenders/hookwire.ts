/**
 * Hookwire as a contender, on one adapter: a fresh engine and store per run (`prepare`: `openAdapter`, the engine,
 * the endpoints; untimed). The Effect API (`Hookwire.layer` + `Dispatcher.layer`) publishes with `publishMany` in
 * batches of `batch` (`publish` one at a time at 1), `publishers` calls at once, as a host sending a bulk notification
 * would; `api: "promise"`
 * uses `createHookwire` with `concurrency` concurrent callers of `publish`. The window runs from the first publish to
 * the moment Storage has recorded the last delivery as delivered (`DeliveryCounter`), so publishing, claiming,
 * signing, sending, recording attempts and completing queue items are all inside it. The SSRF guard stays on (only
 * 127.0.0.1 is let through).
 *
 * One URL (the throughput benches): one tenant with one endpoint — the raw loop also talks to one origin, and one
 * endpoint makes the per-endpoint cap do its job. Many URLs (fleet): one tenant per URL with one endpoint each;
 * message `i` goes to tenant `i % urls`.
 */
import * as Dispatcher from "@hookwire/core/Dispatcher"
import * as Hookwire from "@hookwire/core/Hookwire"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { type AdapterName, DeliveryCounter, openAdapter } from "../adapters.js"
import type { Contender, RunConfig } from "../contender.js"
import { instrumented } from "../endpoint-counter.js"
import { catalog, type Data, dataMaker, EVENT_TYPE } from "../payload.js"

const engineOptions = {
  catalog,
  allowHttp: true,
  // The SSRF guard stays on; only the receivers' loopback address is let through.
  http: { allowCidrs: ["127.0.0.1/32"] }
}

const tenantsOf = (config: RunConfig): ReadonlyArray<string> =>
  config.urls.length === 1 ? ["bench"] : config.urls.map((_, i) => `t${i}`)

interface Input {
  readonly tenant: string
  readonly type: typeof EVENT_TYPE
  readonly data: Data
}

/** Message `i`: the next tenant in turn, the `i`-th data. */
const inputMaker = (config: RunConfig) => {
  const tenants = tenantsOf(config)
  const makeData = dataMaker(config.bodyBytes)
  return (i: number): Input => ({ tenant: tenants[i % tenants.length], type: EVENT_TYPE, data: makeData(i) })
}

const effectApi = async (adapterName: AdapterName, config: RunConfig) => {
  const { batch, concurrency, messages, perEndpointConcurrency } = config
  const opened = await openAdapter(adapterName)
  const counter = new DeliveryCounter()
  const engine = Hookwire.layer(engineOptions).pipe(Layer.provideMerge(instrumented(opened.adapter, counter).layer))
  // Warnings such as "http endpoint" and "no master key" are expected; failures fail the run anyway.
  const runtime = ManagedRuntime.make(
    Dispatcher.layer({ concurrency, perEndpointConcurrency }).pipe(
      Layer.provideMerge(engine),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
    )
  )
  const webhooks = await runtime.runPromise(Webhooks.Webhooks)
  const tenants = tenantsOf(config)
  for (let i = 0; i < tenants.length; i++) {
    await runtime.runPromise(
      webhooks.endpoints.create({ tenant: tenants[i], url: config.urls[i], secret: config.secret })
    )
  }
  const input = inputMaker(config)
  const starts = Array.from({ length: Math.ceil(messages / batch) }, (_, k) => k * batch)
  const publishAll = () =>
    runtime.runPromise(Effect.forEach(starts, (i) => {
      if (batch === 1) return Effect.asVoid(webhooks.publish(input(i)))
      const inputs: Array<Input> = []
      for (let j = i; j < Math.min(messages, i + batch); j++) inputs.push(input(j))
      return Effect.asVoid(webhooks.publishMany(inputs))
    }, { concurrency: config.publishers, discard: true }))
  const dispatcher = await runtime.runPromise(Dispatcher.Dispatcher)
  const stats = () => runtime.runPromise(dispatcher.stats)
  const close = async () => {
    await runtime.dispose()
    await opened.close()
  }
  return { counter, publishAll, close, stats }
}

const promiseApi = async (adapterName: AdapterName, config: RunConfig) => {
  const { concurrency, messages, perEndpointConcurrency } = config
  const opened = await openAdapter(adapterName)
  const counter = new DeliveryCounter()
  const hookwire = Hookwire.createHookwire({
    ...engineOptions,
    adapter: instrumented(opened.adapter, counter),
    dispatcher: { concurrency, perEndpointConcurrency },
    logLevel: "error"
  })
  const tenants = tenantsOf(config)
  for (let i = 0; i < tenants.length; i++) {
    await hookwire.endpoints.create({ tenant: tenants[i], url: config.urls[i], secret: config.secret })
  }
  await hookwire.start()
  const input = inputMaker(config)
  // A host publishing from many requests at once: `concurrency` publishers, each awaiting its publish.
  const publishAll = async () => {
    let next = 0
    const publisher = async () => {
      for (let i = next++; i < messages; i = next++) await hookwire.publish(input(i))
    }
    await Promise.all(Array.from({ length: concurrency }, publisher))
  }
  const close = async () => {
    await hookwire.close()
    await opened.close()
  }
  return { counter, publishAll, close, stats: undefined }
}

/**
 * Samples the dispatcher's stats every `SAMPLE_MS` until stopped: the means say how full it kept its slots (the fleet
 * bench's question: are 2,000 slow requests really in flight?) and how many results waited to be written.
 */
const SAMPLE_MS = 100
const sampleStats = (stats: () => Promise<Dispatcher.Stats>) => {
  const sums = { inFlight: 0, occupied: 0, waiting: 0, unwritten: 0 }
  let samples = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const s = await stats()
      sums.inFlight += s.inFlight
      sums.occupied += s.occupied
      sums.waiting += s.waiting
      sums.unwritten += s.unwritten
      samples++
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS))
    }
  })()
  return async (): Promise<Record<string, number>> => {
    stopped = true
    await loop
    const mean = (n: number) => Math.round(n / Math.max(1, samples))
    return {
      mean_in_flight: mean(sums.inFlight),
      mean_occupied: mean(sums.occupied),
      mean_waiting: mean(sums.waiting),
      mean_unwritten: mean(sums.unwritten)
    }
  }
}

/** Hookwire on `adapterName`. */
export const hookwire = (adapterName: AdapterName): Contender => async (config) => {
  const { close, counter, publishAll, stats } = config.api === "effect"
    ? await effectApi(adapterName, config)
    : await promiseApi(adapterName, config)
  return {
    run: async () => {
      const start = performance.now()
      const done = counter.until(config.messages, config.runTimeoutMs)
      done.catch(() => {})
      const sampling = stats === undefined ? undefined : sampleStats(stats)
      await publishAll()
      // How long publishing took: when it is most of the window, the dispatcher waited for work.
      const publishMs = Math.round(performance.now() - start)
      const end = await done
      const engine = {
        publish_ms: publishMs,
        ...(await sampling?.()),
        claims: counter.claims,
        mean_claim_ms: Math.round(counter.claimMs / Math.max(1, counter.claims) * 10) / 10,
        mean_claimed: Math.round(counter.claimed / Math.max(1, counter.claims) * 10) / 10
      }
      if (counter.notDelivered > 0) {
        throw new Error(
          `hookwire: ${counter.notDelivered} attempts did not deliver (${
            [...counter.failures].map(([kind, n]) => `${kind}: ${n}`).join(", ")
          })`
        )
      }
      return { ms: end - start, engine }
    },
    close
  }
}
