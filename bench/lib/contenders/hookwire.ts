/**
 * Hookwire as a contender, on one adapter: a fresh engine and store per run (`prepare`: `openAdapter`, the engine,
 * the endpoints; untimed). The Effect API (`Hookwire.layer` + `Dispatcher.layer`) publishes with `publishMany` in
 * batches of `batch` (`publish` one at a time at 1), as a host sending a bulk notification would; `api: "promise"`
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
import { type AdapterName, counted, DeliveryCounter, openAdapter } from "../adapters.js"
import type { Contender, RunConfig } from "../contender.js"
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
  const engine = Hookwire.layer(engineOptions).pipe(Layer.provideMerge(counted(opened.adapter, counter).layer))
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
  const publishAll = () =>
    runtime.runPromise(Effect.gen(function*() {
      for (let i = 0; i < messages; i += batch) {
        if (batch === 1) {
          yield* webhooks.publish(input(i))
          continue
        }
        const inputs: Array<Input> = []
        for (let j = i; j < Math.min(messages, i + batch); j++) inputs.push(input(j))
        yield* webhooks.publishMany(inputs)
      }
    }))
  const close = async () => {
    await runtime.dispose()
    await opened.close()
  }
  return { counter, publishAll, close }
}

const promiseApi = async (adapterName: AdapterName, config: RunConfig) => {
  const { concurrency, messages, perEndpointConcurrency } = config
  const opened = await openAdapter(adapterName)
  const counter = new DeliveryCounter()
  const hookwire = Hookwire.createHookwire({
    ...engineOptions,
    adapter: counted(opened.adapter, counter),
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
  return { counter, publishAll, close }
}

/** Hookwire on `adapterName`. */
export const hookwire = (adapterName: AdapterName): Contender => async (config) => {
  const { counter, publishAll, close } = config.api === "effect"
    ? await effectApi(adapterName, config)
    : await promiseApi(adapterName, config)
  return {
    run: async () => {
      const start = performance.now()
      const done = counter.until(config.messages, config.runTimeoutMs)
      await publishAll()
      const end = await done
      if (counter.notDelivered > 0) {
        throw new Error(
          `hookwire: ${counter.notDelivered} attempts did not deliver (${
            [...counter.failures].map(([kind, n]) => `${kind}: ${n}`).join(", ")
          })`
        )
      }
      return end - start
    },
    close
  }
}
