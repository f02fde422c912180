/**
 * Hookwire in one constructor. `layer` gives Effect users the whole sending side as one Layer (on top of a Storage
 * and a DeliveryQueue); `createHookwire` gives hosts that do not use Effect the same operations as Promises, plus
 * `start()` / `close()` for the dispatcher. Rejected errors are the typed errors themselves: they keep their
 * `_tag` and `code`, so `err._tag === "EndpointLimitExceeded"` works in plain JavaScript.
 *
 * The Promise API's parts live in `internal/hookwire/`: option checks (`optionKeys`), the environment, the runtime
 * that survives a failed start, starting and stopping the dispatcher, publishing in the host's transaction,
 * `logging` and `onEvent` (`events`). What keeps this module just past 400 lines is the `Hookwire` interface, every
 * Promise method documented for users.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Catalog from "./Catalog.js"
import type { DeliveryQueue } from "./DeliveryQueue.js"
import * as Dispatcher from "./Dispatcher.js"
import * as EffectVersion from "./EffectVersion.js"
import { ValidationError } from "./Errors.js"
import * as HttpTransport from "./HttpTransport.js"
import * as dispatcherOptions from "./internal/dispatcher/options.js"
import * as dispatcherControl from "./internal/hookwire/dispatcherControl.js"
import * as environment from "./internal/hookwire/environment.js"
import * as events from "./internal/hookwire/events.js"
import * as logging from "./internal/hookwire/logging.js"
import * as optionKeys from "./internal/hookwire/optionKeys.js"
import * as resilientRuntime from "./internal/hookwire/runtime.js"
import * as transaction from "./internal/hookwire/transaction.js"
import type * as Model from "./Model.js"
import * as OperationalEvents from "./OperationalEvents.js"
import * as OperationalWebhooks from "./OperationalWebhooks.js"
import * as Retention from "./Retention.js"
import * as Settings from "./Settings.js"
import type { Storage } from "./Storage.js"
import type { Transport } from "./Transport.js"
import type * as Views from "./Views.js"
import * as Webhooks from "./Webhooks.js"

/**
 * Where Hookwire keeps its records and its queue: `memory()` from `@hookwire/memory`, `postgres(...)` from
 * `@hookwire/postgres`, …
 *
 * @since 0.1.0
 * @category models
 */
export interface Adapter {
  readonly layer: Layer.Layer<Storage | DeliveryQueue, unknown>
  /**
   * Runs `effect` (a publish) inside the host's own database transaction, the value given as `publish(input, {
   * transaction })`: every write of the publish joins it. Adapters without it refuse that option.
   */
  readonly inTransaction?:
    | (<A, E, R>(transaction: unknown, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, unknown, R>)
    | undefined
}

/**
 * The second argument of `publish` and `publishMany`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PublishOptions {
  /**
   * Your own database transaction, for the adapter to publish in: the message, its deliveries and their queue
   * entries commit with your writes or roll back with them. With `postgres()` from `@hookwire/postgres`: a
   * node-postgres client after `BEGIN`, the `tx` of postgres.js' `sql.begin`, a Kysely, Drizzle or Knex transaction,
   * or the `tx` of a Prisma interactive `$transaction`.
   */
  readonly transaction?: unknown
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions extends Settings.Options {
  /** Options of the default HTTP transport (ignored when `transport` is given). */
  readonly http?: HttpTransport.Options | undefined
  /** Replace the HTTP transport (tests use `RecordingTransport`). */
  readonly transport?: Layer.Layer<Transport, unknown> | undefined
}

/**
 * The sending side as one Layer: Webhooks, Settings, OperationalEvents and the Transport, over a Storage and a
 * DeliveryQueue. Add `Dispatcher.layer()` on top to deliver.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: LayerOptions
): Layer.Layer<
  Webhooks.Webhooks | Settings.Settings | OperationalEvents.OperationalEvents | Transport,
  unknown,
  Storage | DeliveryQueue
> => {
  // Values of another copy or major of Effect fail here, with the versions found, not later and unreadably.
  EffectVersion.assertCatalog(options.catalog)
  if (options.transport !== undefined) EffectVersion.assertLayer(options.transport, "transport")
  const transport = options.transport ?? HttpTransport.layer(options.http)
  return Webhooks.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Settings.layer(options), OperationalEvents.layer(), transport))
  )
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options<Events extends Record<string, unknown>> extends Omit<LayerOptions, "catalog"> {
  readonly adapter: Adapter
  readonly catalog: Catalog.Catalog<Events>
  /** Dispatcher options used by `start()`. */
  readonly dispatcher?: Dispatcher.Options | undefined
  /** Called for every operational event (endpoint disabled or recovered, delivery failed or succeeded). Errors it
   * throws are logged, never propagated. */
  readonly onEvent?: ((event: OperationalEvents.OperationalEvent) => void | Promise<void>) | undefined
  /**
   * Publish the operational events durably, as messages of your own system tenant (default "hookwire") that your
   * endpoints for it receive: see `OperationalWebhooks`. The catalog must include `OperationalWebhooks.eventTypes`.
   */
  readonly operationalWebhooks?: OperationalWebhooks.Options | true | undefined
  /**
   * Where the engine's log lines go (warnings about http endpoints, storage trouble, …): a function receiving each
   * entry, or `false` to silence them. Default: printed to the console. Log lines never carry secrets.
   */
  readonly logger?: ((entry: LogEntry) => void) | false | undefined
  /** The least severe level logged. Default "info". */
  readonly logLevel?: "debug" | "info" | "warn" | "error" | undefined
  /**
   * Prune the delivery log while started: every `every` (default "1 hour"; first at `start()`), delete finished
   * messages and attempts older than `olderThan` (e.g. "30 days"), as `maintenance.prune` does.
   */
  readonly retention?: Retention.ScheduleOptions | undefined
  /**
   * Traces and metrics: `openTelemetry({ tracerProvider, meterProvider })` from `@hookwire/opentelemetry`, or any
   * `{ layer }` over the engine's Storage and Queue (e.g. `{ layer: Telemetry.layer({ tenantLabel: true }) }`).
   */
  readonly telemetry?: TelemetryOption | undefined
}

/**
 * What `createHookwire`'s `telemetry` option takes: a Layer built with the engine's Storage and Queue, whose tracer,
 * metric exporters and settings (`Telemetry.layer`) apply to the whole engine.
 *
 * @since 0.1.0
 * @category models
 */
export interface TelemetryOption {
  readonly layer: Layer.Layer<never, unknown, Storage | DeliveryQueue>
}

/**
 * One log line of the engine, as given to the `logger` option.
 *
 * @since 0.1.0
 * @category models
 */
export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error"
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly time: Date
  /** Why it happened, when the line has a cause (e.g. the storage error behind "claiming failed; retrying"):
   * rendered as text, with anything shaped like a secret replaced. */
  readonly cause?: string | undefined
}

type Secretless<A> = Omit<A, "secret">

/**
 * A message to publish, typed by the catalog (the Effect API's `Webhooks.typed(catalog)` takes the same).
 *
 * @since 0.1.0
 * @category models
 */
export type PublishInput<Events extends Record<string, unknown>, K extends keyof Events & string> =
  Webhooks.PublishInput<Events, K>

/**
 * The Promise API.
 *
 * @since 0.1.0
 * @category models
 */
export interface Hookwire<Events extends Record<string, unknown>> {
  readonly endpoints: {
    /** Creates an endpoint. The result carries its `secret`: show it to the customer now, it is never returned again. */
    readonly create: (
      input: Secretless<Webhooks.CreateEndpoint> & { readonly secret?: string | undefined }
    ) => Promise<Webhooks.Endpoint & { readonly secret: string }>
    readonly get: (input: { readonly tenant: string; readonly id: string }) => Promise<Webhooks.Endpoint>
    readonly list: (
      input: { readonly tenant: string } & Webhooks.ListOptions
    ) => Promise<Model.Page<Webhooks.Endpoint>>
    readonly update: (input: Webhooks.UpdateEndpoint) => Promise<Webhooks.Endpoint>
    readonly delete: (input: { readonly tenant: string; readonly id: string }) => Promise<void>
    readonly enable: (input: { readonly tenant: string; readonly id: string }) => Promise<Webhooks.Endpoint>
    readonly disable: (
      input: { readonly tenant: string; readonly id: string; readonly reason?: string | undefined }
    ) => Promise<Webhooks.Endpoint>
    /** A new secret, returned once; the previous one keeps signing for `grace` (e.g. "24 hours"). */
    readonly rotateSecret: (
      input: {
        readonly tenant: string
        readonly id: string
        readonly grace?: string | number | undefined
        readonly secret?: string | undefined
      }
    ) => Promise<{ readonly secret: string }>
    /** Sends the event type's example (or `data`) to this endpoint only, once, now (attempt trigger `test`). */
    readonly test: (
      input: { readonly tenant: string; readonly id: string; readonly type: string; readonly data?: unknown }
    ) => Promise<Views.TestSendResult>
    /** Attempts and deliveries by outcome over the last hour, day and week; the latest attempt; current health. */
    readonly stats: (input: { readonly tenant: string; readonly id: string }) => Promise<Views.EndpointStats>
    /** Whether `payload` matches `filter`; an invalid filter rejects with `invalid_payload_filter` naming the path. */
    readonly testFilter: (
      input: { readonly filter: unknown; readonly payload: unknown }
    ) => Promise<{ readonly matches: boolean }>
  }
  /** Publishes one message; `{ transaction }` publishes it inside your own database transaction. */
  readonly publish: <K extends keyof Events & string>(
    input: PublishInput<Events, K>,
    options?: PublishOptions
  ) => Promise<Webhooks.PublishResult>
  /**
   * Up to 1,000 messages in one call and as few storage round trips as the adapter allows; all validated first (one
   * bad input publishes none; its error names it as `messages[i]`). Results in input order.
   */
  readonly publishMany: (
    inputs: ReadonlyArray<Webhooks.AnyPublishInput<Events>>,
    options?: PublishOptions
  ) => Promise<ReadonlyArray<Webhooks.PublishResult>>
  readonly messages: {
    readonly get: (input: { readonly tenant: string; readonly id: string }) => Promise<Webhooks.Message>
    readonly list: (
      input: Parameters<Webhooks.Webhooks["Type"]["messages"]["list"]>[0]
    ) => Promise<Model.Page<Webhooks.Message>>
    /** Delivers a stored message again to one endpoint of its tenant: a new delivery, queued now. */
    readonly resend: (
      input: { readonly tenant: string; readonly id: string; readonly endpointId: string }
    ) => Promise<Webhooks.Delivery>
  }
  readonly deliveries: {
    readonly get: (input: { readonly tenant: string; readonly id: string }) => Promise<Webhooks.Delivery>
    readonly list: (
      input: Parameters<Webhooks.Webhooks["Type"]["deliveries"]["list"]>[0]
    ) => Promise<Model.Page<Webhooks.Delivery>>
    readonly attempts: (
      input: Parameters<Webhooks.Webhooks["Type"]["deliveries"]["attempts"]>[0]
    ) => Promise<Model.Page<Webhooks.Attempt>>
    readonly retry: (input: { readonly tenant: string; readonly id: string }) => Promise<Webhooks.Delivery>
    readonly recover: (
      input: {
        readonly tenant: string
        readonly endpointId: string
        readonly since: Webhooks.TimeInput
        readonly until?: Webhooks.TimeInput | undefined
      }
    ) => Promise<{ readonly recovered: number }>
  }
  readonly maintenance: {
    /** Re-seals endpoint secrets with the current master key (after a master key rotation). */
    readonly resealSecrets: (
      options?: { readonly batchSize?: number | undefined }
    ) => Promise<{ readonly scanned: number; readonly resealed: number }>
    /**
     * Deletes finished messages (no pending delivery) older than `olderThan`, with their deliveries and attempts, and
     * older attempts of finished deliveries. Pending work is never touched.
     */
    readonly prune: (options: Retention.PruneOptions) => Promise<Retention.PruneResult>
    /**
     * Erases one message's body (an erasure request): its id, type, time and its deliveries' outcomes stay; its
     * pending deliveries are cancelled and its attempts' response bodies cleared.
     */
    readonly expunge: (
      input: { readonly tenant: string; readonly id: string }
    ) => Promise<{ readonly id: string; readonly cancelledDeliveries: number }>
  }
  /** The event catalog as JSON Schema, for the host's documentation. */
  readonly eventTypes: () => ReturnType<typeof Catalog.toJsonSchema>
  /** Starts delivering (the dispatcher). Idempotent. */
  readonly start: () => Promise<void>
  /** Stops delivering gracefully (in-flight attempts finish or go back to the queue), then releases everything. */
  readonly close: () => Promise<void>
  /** The underlying runtime, for hosts that mix in Effect code. */
  readonly runtime: ManagedRuntime.ManagedRuntime<
    Webhooks.Webhooks | Settings.Settings | OperationalEvents.OperationalEvents | Transport | Storage | DeliveryQueue,
    unknown
  >
}

/**
 * Creates Hookwire for a host that does not use Effect.
 *
 * @example
 * ```ts
 * import { Catalog, createHookwire } from "@hookwire/core"
 * import { memory } from "@hookwire/memory"
 *
 * const hookwire = createHookwire({ adapter: memory(), catalog: Catalog.make({ "invoice.paid": {} }) })
 * const endpoint = await hookwire.endpoints.create({ tenant: "acme", url: "https://acme.example/webhooks" })
 * await hookwire.start()
 * await hookwire.publish({ tenant: "acme", type: "invoice.paid", data: { id: "in_1" } })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const createHookwire = <Events extends Record<string, unknown>>(given: Options<Events>): Hookwire<Events> => {
  // Validate settings now, synchronously: a bad option throws here, not at the first call.
  optionKeys.checkConstruction(given)
  // The same HOOKWIRE_* environment as Settings.layerConfig (HOOKWIRE_MASTER_KEYS first); options given win.
  const options = environment.read(given)
  if (options.adapter !== undefined) EffectVersion.assertLayer(options.adapter.layer, "adapter.layer")
  if (options.telemetry !== undefined) {
    const layer = typeof options.telemetry === "object" && options.telemetry !== null
      ? (options.telemetry as { readonly layer?: unknown }).layer
      : undefined
    if (typeof layer !== "object" || layer === null) {
      throw new ValidationError({
        code: "invalid_option",
        field: "telemetry",
        message: "telemetry must be { layer }, e.g. openTelemetry({ tracerProvider, meterProvider }) from " +
          "@hookwire/opentelemetry"
      })
    }
    EffectVersion.assertLayer(options.telemetry.layer, "telemetry.layer")
  }
  Settings.resolve(options)
  const base = layer(options).pipe(
    Layer.provideMerge(options.adapter.layer),
    Layer.provide(logging.layer(options))
  )
  const observed = options.telemetry === undefined ? base : Layer.provideMerge(options.telemetry.layer, base)
  const forwarded = options.onEvent === undefined
    ? observed
    : Layer.provideMerge(events.forward(options.onEvent), observed)
  const full = options.operationalWebhooks === undefined ? forwarded : Layer.provideMerge(
    OperationalWebhooks.layer(options.operationalWebhooks === true ? {} : options.operationalWebhooks),
    forwarded
  )
  // Checked now, like the settings: `concurrency: 0` throws here, not at `start()`.
  dispatcherOptions.resolve(options.dispatcher)
  const runtime = resilientRuntime.make(full)
  // start() runs the dispatcher, and the retention sweeps when `retention` is given.
  const started = options.retention === undefined
    ? Dispatcher.layer(options.dispatcher)
    : Layer.merge(Dispatcher.layer(options.dispatcher), Retention.layer(options.retention))
  const control = dispatcherControl.make(runtime, started)

  const api = <A, E>(f: (webhooks: Webhooks.Webhooks["Type"]) => Effect.Effect<A, E>): Promise<A> =>
    control.closed()
      ? Promise.reject(dispatcherControl.closedError())
      : runtime.run(Effect.flatMap(Webhooks.Webhooks, f))
  const inTransaction = transaction.make(options.adapter)
  const reveal = <A extends { readonly secret: Redacted.Redacted<string> }>(
    a: A
  ): Omit<A, "secret"> & { secret: string } => ({
    ...a,
    secret: Redacted.value(a.secret)
  })

  // A JavaScript caller's unknown key (`events` for `eventTypes`) is a ValidationError, never silently ignored.
  return optionKeys.guard<Hookwire<Events>>({
    endpoints: {
      create: (input) => api((w) => w.endpoints.create(input)).then(reveal),
      get: (input) => api((w) => w.endpoints.get(input)),
      list: (input) => api((w) => w.endpoints.list(input)),
      update: (input) => api((w) => w.endpoints.update(input)),
      delete: (input) => api((w) => w.endpoints.delete(input)),
      enable: (input) => api((w) => w.endpoints.enable(input)),
      disable: (input) => api((w) => w.endpoints.disable(input)),
      rotateSecret: (input) =>
        // Passed as given (`grace`: a string like "24 hours" or milliseconds): rotateSecret checks every field, and
        // reading them here would let a throwing getter escape untyped.
        api((w) => w.endpoints.rotateSecret(input as Parameters<typeof w.endpoints.rotateSecret>[0])).then(reveal),
      test: (input) => api((w) => w.endpoints.test(input)),
      stats: (input) => api((w) => w.endpoints.stats(input)),
      testFilter: (input) => api((w) => w.endpoints.testFilter(input))
    },
    publish: (input, publishOptions) => api((w) => inTransaction("publish", publishOptions, w.publish(input))),
    publishMany: (inputs, publishOptions) =>
      api((w) => inTransaction("publishMany", publishOptions, w.publishMany(inputs))),
    messages: {
      get: (input) => api((w) => w.messages.get(input)),
      list: (input) => api((w) => w.messages.list(input)),
      resend: (input) => api((w) => w.messages.resend(input))
    },
    deliveries: {
      get: (input) => api((w) => w.deliveries.get(input)),
      list: (input) => api((w) => w.deliveries.list(input)),
      attempts: (input) => api((w) => w.deliveries.attempts(input)),
      retry: (input) => api((w) => w.deliveries.retry(input)),
      recover: (input) => api((w) => w.deliveries.recover(input))
    },
    maintenance: {
      resealSecrets: (input) => api((w) => w.maintenance.resealSecrets(input)),
      prune: (input) =>
        control.closed() ? Promise.reject(dispatcherControl.closedError()) : runtime.run(Retention.prune(input)),
      expunge: (input) =>
        control.closed() ? Promise.reject(dispatcherControl.closedError()) : runtime.run(Retention.expunge(input))
    },
    eventTypes: () => Catalog.toJsonSchema(options.catalog),
    start: control.start,
    close: control.close,
    get runtime() {
      return runtime.current()
    }
  })
}
