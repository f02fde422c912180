/**
 * The engine (Webhooks + Dispatcher) on the memory adapter with a recording transport, for tests driven by
 * TestClock: nothing here sleeps on the real clock.
 */
import {
  Catalog,
  DeliveryQueue,
  Dispatcher,
  OperationalEvents,
  RateLimiter,
  RecordingTransport,
  RetryPolicy,
  Settings,
  Storage,
  type Transport,
  Webhooks
} from "@hookwire/core"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as MemoryQueue from "../../src/MemoryQueue.js"
import * as MemoryStorage from "../../src/MemoryStorage.js"

export const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid",
    schema: Schema.Struct({ invoiceId: Schema.String, amount: Schema.Number })
  },
  "invoice.voided": { description: "An invoice was voided", schema: Schema.Struct({ invoiceId: Schema.String }) },
  "customer.created": { description: "A customer signed up", schema: Schema.Struct({ id: Schema.String }) },
  "legacy.ping": { description: "Old", deprecated: true }
})

export interface HarnessOptions {
  readonly handler?: RecordingTransport.Handler | undefined
  readonly settings?: Partial<Settings.Options> | undefined
  readonly dispatcher?: Dispatcher.Options | false | undefined
  /** Changes the memory Storage the engine sees (e.g. to make some of its calls fail). */
  readonly wrapStorage?:
    | ((storage: Context.Tag.Service<typeof Storage.Storage>) => Context.Tag.Service<typeof Storage.Storage>)
    | undefined
  /** Changes the memory Queue the engine sees (e.g. to check what the engine hands it, or make calls fail). */
  readonly wrapQueue?:
    | ((
      queue: Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>
    ) => Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>)
    | undefined
  /** A shared rate limiter for the dispatcher (default: its own in-memory one). */
  readonly rateLimiter?: Context.Tag.Service<typeof RateLimiter.RateLimiter> | undefined
}

const storageLayer = (wrap: HarnessOptions["wrapStorage"]) =>
  wrap === undefined
    ? MemoryStorage.layer()
    : Layer.effect(Storage.Storage, Effect.map(Storage.Storage, wrap)).pipe(Layer.provide(MemoryStorage.layer()))

const queueLayer = (wrap: HarnessOptions["wrapQueue"]) =>
  wrap === undefined
    ? MemoryQueue.layer
    : Layer.effect(DeliveryQueue.DeliveryQueue, Effect.map(DeliveryQueue.DeliveryQueue, wrap)).pipe(
      Layer.provide(MemoryQueue.layer)
    )

/** Storage + Queue + Settings + Events + recording Transport + Webhooks (+ Dispatcher unless `dispatcher: false`). */
export const engine = (options: HarnessOptions = {}) => {
  const base = Webhooks.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        Settings.layer({ catalog, retryPolicy: RetryPolicy.fixed(["5 seconds", "10 seconds"]), ...options.settings }),
        OperationalEvents.layer(),
        RecordingTransport.layer(options.handler)
      )
    ),
    Layer.provideMerge(Layer.merge(storageLayer(options.wrapStorage), queueLayer(options.wrapQueue)))
  )
  return options.dispatcher === false
    ? base
    // The memory queue wakes the dispatcher on new work and on due times, so no polling is needed; a short poll
    // interval would make every TestClock jump crawl through idle wake-ups.
    : Dispatcher.layer({ lease: "30 seconds", pollInterval: "1 day", ...options.dispatcher }).pipe(
      Layer.provide(
        options.rateLimiter === undefined
          ? Layer.empty
          : Layer.succeed(RateLimiter.RateLimiter, options.rateLimiter)
      ),
      Layer.provideMerge(base)
    )
}

/** Repeats `effect` (yielding between tries, never sleeping) until `predicate` holds; fails after `tries`. */
export const eventually = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  predicate: (a: A) => boolean,
  tries = 2_000
): Effect.Effect<A, E | Error, R> =>
  Effect.gen(function*() {
    for (let i = 0; i < tries; i++) {
      const a = yield* effect
      if (predicate(a)) return a
      yield* Effect.yieldNow()
    }
    return yield* Effect.fail(new Error(`condition not met after ${tries} tries`))
  })

export const deliveryOf = (tenant: string, messageId: string) =>
  Effect.flatMap(Webhooks.Webhooks, (w) => Effect.map(w.deliveries.list({ tenant, messageId }), (page) => page.items))

/**
 * An engine over a given storage instance (several engines, e.g. with different master keys, can share one store)
 * with the given transport (a real `HttpTransport` for tests against loopback servers, or `RecordingTransport.layer`),
 * Dispatcher included. Generic over the transport layer's whole output `ROut`, which must include `Transport`: what
 * else it provides (the `RecordingTransport` to read requests from) stays in the engine's output.
 */
export const engineOn = <ROut, E>(
  storage: Context.Tag.Service<typeof Storage.Storage>,
  settings: Partial<Settings.Options>,
  transport:
    & Layer.Layer<ROut, E>
    & ([Transport.Transport] extends [ROut] ? unknown : "the layer must provide Transport")
) =>
  Dispatcher.layer({ lease: "30 seconds", pollInterval: "1 day" }).pipe(
    Layer.provideMerge(
      Webhooks.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            Settings.layer({ catalog, retryPolicy: RetryPolicy.none, ...settings }),
            OperationalEvents.layer(),
            transport
          )
        )
      )
    ),
    Layer.provideMerge(Layer.merge(Layer.succeed(Storage.Storage, storage), MemoryQueue.layer))
  )
