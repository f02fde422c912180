/**
 * The sending API: endpoint management, typed publish, and the delivery log with retry and recovery. Every
 * operation is tenant-scoped: a record of another tenant is reported as not found. Secrets are returned exactly
 * once (at creation and rotation) as `Redacted` values and never by get or list.
 *
 * This module is the service's public face: its views, inputs and operations as types, the Tag, `typed`, and `make`,
 * which composes the slices in `internal/webhooks/` — `endpoints`, `publish`, `deliveryLog`, `recovery` and
 * `maintenance` — into one service. It runs past 400 lines because of those types, each documented for users; the
 * logic is in the slices.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Catalog from "./Catalog.js"
import type * as CircuitBreaker from "./CircuitBreaker.js"
import { DeliveryQueue } from "./DeliveryQueue.js"
import {
  type EndpointLimitExceeded,
  type EventTypeError,
  type InvalidState,
  type NotFound,
  type QueueError,
  type StorageError,
  ValidationError
} from "./Errors.js"
import * as deliveryLog from "./internal/webhooks/deliveryLog.js"
import type { Deps } from "./internal/webhooks/deps.js"
import * as endpoints from "./internal/webhooks/endpoints.js"
import * as guard from "./internal/webhooks/guard.js"
import * as maintenance from "./internal/webhooks/maintenance.js"
import * as publishSlice from "./internal/webhooks/publish.js"
import * as recovery from "./internal/webhooks/recovery.js"
import type * as Model from "./Model.js"
import { OperationalEvents } from "./OperationalEvents.js"
import type * as PayloadFilter from "./PayloadFilter.js"
import type * as RetryPolicy from "./RetryPolicy.js"
import { Settings } from "./Settings.js"
import { Storage } from "./Storage.js"
import { Transport } from "./Transport.js"
import type * as Views from "./Views.js"

// ---------------------------------------------------------------------------------------------------------------
// Views and inputs
// ---------------------------------------------------------------------------------------------------------------

/**
 * An endpoint as the API returns it: never with its secrets.
 *
 * @since 0.1.0
 * @category models
 */
export interface Endpoint extends Views.TenantEndpoint {}

/**
 * How an endpoint is doing.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointHealthView extends Views.EndpointHealth {}

/**
 * An endpoint's mutual TLS settings as create and update take them (PEM text).
 *
 * @since 0.5.0
 * @category models
 */
export interface EndpointTlsInput {
  readonly cert?: string | undefined
  readonly key?: string | Redacted.Redacted<string> | undefined
  readonly ca?: string | undefined
}

/**
 * An endpoint's OAuth2 client credentials as create and update take them.
 *
 * @since 0.5.0
 * @category models
 */
export interface EndpointOAuth2Input {
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string | Redacted.Redacted<string>
  readonly scopes?: ReadonlyArray<string> | undefined
  /** `basic` (default): HTTP Basic; `body`: client_id and client_secret in the form body. */
  readonly clientAuth?: "basic" | "body" | undefined
}

/**
 * Per-endpoint delivery options accepted by create and update.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointOptionsInput {
  /** At most `perSecond` attempts per second, `burst` at once (default 1). Deliveries beyond wait; never fail. */
  readonly rateLimit?: { readonly perSecond: number; readonly burst?: number | undefined } | null | undefined
  /** Deliver in publish order (head-of-line: the next message waits for the previous one to finish). */
  readonly fifo?: boolean | undefined
  /** Circuit breaker for this endpoint: options, `false` = off, null = the engine's. */
  readonly circuitBreaker?: CircuitBreaker.Options | false | null | undefined
  /**
   * Deliver only messages whose payload (the body the endpoint receives) matches this filter, e.g.
   * `{ "data.amount": { "$gte": 100 } }` (see `PayloadFilter`); null clears it. Checked at create and update.
   */
  readonly filter?: PayloadFilter.PayloadFilter | null | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Message extends Views.TenantMessage {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Delivery extends Views.TenantDelivery {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Attempt extends Views.TenantAttempt {}

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateEndpoint extends EndpointOptionsInput {
  readonly tenant: string
  readonly url: string
  readonly name?: string | undefined
  readonly description?: string | undefined
  /** Exact names and `prefix.*` wildcards; empty or absent = every type. */
  readonly eventTypes?: ReadonlyArray<string> | undefined
  readonly channels?: ReadonlyArray<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Headers whose values are credentials (`Authorization`, API keys): sealed at rest like secrets, sent with every
   * attempt, never shown again (views and the attempt log show the name and `"<redacted>"`).
   */
  readonly sensitiveHeaders?: Readonly<Record<string, string | Redacted.Redacted<string>>> | undefined
  /** Send through this one of the engine's named `proxies` (static egress addresses); default: the transport's. */
  readonly proxy?: string | null | undefined
  /**
   * Mutual TLS (PEM): a client certificate (`cert`, with its chain) and its private key (`key`, sealed at rest, never
   * shown), and/or CA certificates (`ca`) trusted instead of the public roots for this endpoint.
   */
  readonly tls?: EndpointTlsInput | null | undefined
  /**
   * OAuth2 client credentials: the engine fetches a token from `tokenUrl` (through the same SSRF guard), caches it,
   * and sends it as `Authorization: Bearer …`. `clientSecret` is sealed at rest and never shown.
   */
  readonly oauth2?: EndpointOAuth2Input | null | undefined
  readonly metadata?: Readonly<Record<string, string>> | undefined
  readonly timeoutMs?: number | undefined
  readonly retryPolicy?: RetryPolicy.RetryPolicy | Model.RetryPolicySpec | undefined
  /** Name of a scheme registered in the engine's `schemes`. */
  readonly scheme?: string | undefined
  /** Bring your own secret (e.g. when migrating); default: a new one. */
  readonly secret?: string | Redacted.Redacted<string> | undefined
  readonly disabled?: boolean | undefined
}

/**
 * Fields to change; `null` clears an optional field.
 *
 * @since 0.1.0
 * @category models
 */
export interface UpdateEndpoint extends EndpointOptionsInput {
  readonly tenant: string
  readonly id: string
  readonly url?: string | undefined
  readonly name?: string | null | undefined
  readonly description?: string | null | undefined
  readonly eventTypes?: ReadonlyArray<string> | undefined
  readonly channels?: ReadonlyArray<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Changes to the sensitive headers, merged into the stored ones: a value sets (or replaces) that header, `null`
   * removes it, headers not named stay as they are (their values are never shown, so they cannot be sent back).
   */
  readonly sensitiveHeaders?: Readonly<Record<string, string | Redacted.Redacted<string> | null>> | undefined
  /** One of the engine's named `proxies`; null = back to the transport's default. */
  readonly proxy?: string | null | undefined
  /** Replaces the endpoint's TLS settings (all of them: the key is never shown, so give it again); null removes. */
  readonly tls?: EndpointTlsInput | null | undefined
  /** Replaces the endpoint's OAuth2 settings (the secret too: it is never shown); null removes them. */
  readonly oauth2?: EndpointOAuth2Input | null | undefined
  readonly metadata?: Readonly<Record<string, string>> | undefined
  readonly timeoutMs?: number | null | undefined
  readonly retryPolicy?: RetryPolicy.RetryPolicy | Model.RetryPolicySpec | null | undefined
  readonly scheme?: string | null | undefined
}

/**
 * A message to publish. Typed by a catalog (`PublishInput<Events, K>`, as `typed(catalog)` and the Promise API take
 * it), `type` is one of its event types and `data` that type's data; without type arguments, any type and data
 * (checked against the engine's catalog when published).
 *
 * @since 0.1.0
 * @category models
 */
export interface PublishInput<
  Events extends Record<string, unknown> = Record<string, unknown>,
  K extends keyof Events & string = keyof Events & string
> {
  readonly tenant: string
  readonly type: K
  readonly data: Events[K]
  /** Endpoints with channels only receive messages carrying at least one of them. */
  readonly channels?: ReadonlyArray<string> | undefined
  /** A repeated publish with the same key returns the first message and creates no deliveries. */
  readonly idempotencyKey?: string | undefined
}

/**
 * One message of a `publishMany` batch typed by a catalog: any of its event types, each with its own data.
 *
 * @since 0.3.0
 * @category models
 */
export type AnyPublishInput<Events extends Record<string, unknown> = Record<string, unknown>> = {
  readonly [K in keyof Events & string]: PublishInput<Events, K>
}[keyof Events & string]

/**
 * @since 0.1.0
 * @category models
 */
export interface PublishResult {
  readonly message: Message
  /** How many deliveries this publish created (0 for a duplicate). */
  readonly deliveries: number
  /** True when the idempotency key was seen before: `message` is the first one. */
  readonly duplicate: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListOptions {
  readonly limit?: number | undefined
  readonly cursor?: string | undefined
  /** `asc` (default): oldest first. `desc`: newest first (a log). The cursor pages on in the same order. */
  readonly order?: "asc" | "desc" | undefined
}

/**
 * A time bound: a `Date`, an ISO-8601 string or epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export type TimeInput = Date | string | number

/**
 * The most messages one `publishMany` call takes.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_PUBLISH_BATCH = publishSlice.MAX_PUBLISH_BATCH

/**
 * @since 0.1.0
 * @category models
 */
export type WebhooksError = StorageError | QueueError | ValidationError

// ---------------------------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------------------------

/**
 * The service's operations. `Events` types `publish` and `publishMany` by a catalog (see `typed`); the Tag's service
 * is `Service` with the default, which takes any event type and data.
 *
 * @since 0.3.0
 * @category models
 */
export interface Service<Events extends Record<string, unknown> = Record<string, unknown>> {
  readonly endpoints: {
    readonly create: (
      input: CreateEndpoint
    ) => Effect.Effect<Endpoint & { readonly secret: Redacted.Redacted<string> }, WebhooksError | EndpointLimitExceeded>
    readonly get: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    readonly list: (
      input: { readonly tenant: string } & ListOptions
    ) => Effect.Effect<Model.Page<Endpoint>, WebhooksError>
    readonly update: (input: UpdateEndpoint) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    readonly delete: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<void, WebhooksError | NotFound>
    readonly enable: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    readonly disable: (
      input: { readonly tenant: string; readonly id: string; readonly reason?: string | undefined }
    ) => Effect.Effect<Endpoint, WebhooksError | NotFound>
    /** A new secret, returned once; the previous ones keep signing for `grace` (default: the engine's, 24 h). */
    readonly rotateSecret: (
      input: {
        readonly tenant: string
        readonly id: string
        readonly grace?: Duration.DurationInput | undefined
        readonly secret?: string | Redacted.Redacted<string> | undefined
      }
    ) => Effect.Effect<{ readonly secret: Redacted.Redacted<string> }, WebhooksError | NotFound>
    /**
     * Sends one test message to this endpoint only, now: the event type's first catalog example (or `data`), one
     * attempt with trigger `test`, never retried. The message and delivery appear in the logs like any other.
     */
    readonly test: (
      input: { readonly tenant: string; readonly id: string; readonly type: string; readonly data?: unknown }
    ) => Effect.Effect<Views.TestSendResult, WebhooksError | NotFound | InvalidState | EventTypeError>
    /** Attempts and deliveries by outcome over the last hour, day and week; the latest attempt; current health. */
    readonly stats: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Views.EndpointStats, WebhooksError | NotFound>
    /**
     * Whether `payload` (a body as an endpoint receives it) matches `filter`, checked as create and update check it:
     * an invalid filter fails with `invalid_payload_filter` naming the bad path.
     */
    readonly testFilter: (
      input: { readonly filter: unknown; readonly payload: unknown }
    ) => Effect.Effect<{ readonly matches: boolean }, ValidationError>
  }
  readonly publish: <K extends keyof Events & string>(
    input: PublishInput<Events, K>
  ) => Effect.Effect<PublishResult, WebhooksError | EventTypeError>
  /**
   * Publishes a batch (at most 1,000 messages) in as few storage round trips as the adapter allows: every input is
   * validated first (one bad input publishes none, and its error names its index as `messages[i]`), each tenant's
   * endpoints are read once, and the messages are inserted together — atomically on the memory and Postgres
   * adapters. Results are in input order; an idempotency key repeated within the batch makes the later ones
   * duplicates of the first.
   */
  readonly publishMany: (
    inputs: ReadonlyArray<AnyPublishInput<Events>>
  ) => Effect.Effect<ReadonlyArray<PublishResult>, WebhooksError | EventTypeError>
  readonly messages: {
    readonly get: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Message, WebhooksError | NotFound>
    readonly list: (
      input: {
        readonly tenant: string
        readonly type?: string | undefined
        readonly since?: TimeInput | undefined
        readonly until?: TimeInput | undefined
      } & ListOptions
    ) => Effect.Effect<Model.Page<Message>, WebhooksError>
    /** Delivers a stored message again to one endpoint of its tenant: a new delivery, queued now. */
    readonly resend: (
      input: { readonly tenant: string; readonly id: string; readonly endpointId: string }
    ) => Effect.Effect<Delivery, WebhooksError | NotFound | InvalidState>
  }
  readonly deliveries: {
    readonly get: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Delivery, WebhooksError | NotFound>
    readonly list: (
      input: {
        readonly tenant: string
        readonly endpointId?: string | undefined
        readonly messageId?: string | undefined
        readonly status?: Model.DeliveryStatus | undefined
        readonly since?: TimeInput | undefined
        readonly until?: TimeInput | undefined
      } & ListOptions
    ) => Effect.Effect<Model.Page<Delivery>, WebhooksError>
    readonly attempts: (
      input: {
        readonly tenant: string
        readonly deliveryId?: string | undefined
        readonly endpointId?: string | undefined
        readonly messageId?: string | undefined
        readonly since?: TimeInput | undefined
        readonly until?: TimeInput | undefined
      } & ListOptions
    ) => Effect.Effect<Model.Page<Attempt>, WebhooksError>
    /**
     * Retry one delivery now. A pending delivery is moved to the front of the queue — unless a worker is sending it
     * right now: then `InvalidState` with code `delivery_in_flight` (its result is on the way; sending it again at
     * once would deliver it twice). A failed, delivered or cancelled one gets one immediate attempt (trigger
     * `manual`) whose result becomes its status. Retries of one delivery at the same time through one engine (a
     * double click, a client retrying its request) share one run: it is sent once, and every call returns that
     * attempt's result (or its error).
     */
    readonly retry: (
      input: { readonly tenant: string; readonly id: string }
    ) => Effect.Effect<Delivery, WebhooksError | NotFound | InvalidState>
    /**
     * Re-enqueue every failed delivery of an endpoint created at or after `since` (and before `until` when given).
     * Returns how many.
     */
    readonly recover: (
      input: {
        readonly tenant: string
        readonly endpointId: string
        readonly since: TimeInput
        readonly until?: TimeInput | undefined
      }
    ) => Effect.Effect<{ readonly recovered: number }, WebhooksError | NotFound>
  }
  readonly maintenance: {
    /**
     * Re-seals every endpoint secret that is stored unsealed or sealed with a key other than the current master
     * key, in batches of `batchSize` endpoints (default 500). Run it after putting a new master key first; remove
     * the old key once it reports nothing left. Returns how many endpoints were scanned and re-sealed.
     */
    readonly resealSecrets: (
      options?: { readonly batchSize?: number | undefined }
    ) => Effect.Effect<{ readonly scanned: number; readonly resealed: number }, WebhooksError>
  }
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Webhooks extends Context.Tag("@hookwire/core/Webhooks")<Webhooks, Service>() {}

/** The catalog each service `make` built was made with, for `typed` to check. */
const catalogOf = new WeakMap<Service, Catalog.Catalog<any>>()

/**
 * The Webhooks service with `publish` and `publishMany` typed by `catalog`, as the Promise API's are: an event type
 * the catalog does not have, or data of the wrong shape, is a compile error. Pass the catalog the engine was built
 * with; another one fails with a `ValidationError` (field `catalog`).
 *
 * @example
 * ```ts
 * const program = Effect.gen(function*() {
 *   const webhooks = yield* Webhooks.typed(catalog)
 *   yield* webhooks.publish({ tenant: "acme", type: "invoice.paid", data: { id: "in_1", amount: 4200 } })
 * })
 * ```
 *
 * @since 0.3.0
 * @category tags
 */
export const typed = <Events extends Record<string, unknown>>(
  catalog: Catalog.Catalog<Events>
): Effect.Effect<Service<Events>, ValidationError, Webhooks> =>
  Effect.flatMap(Webhooks, (service) => {
    const own = catalogOf.get(service)
    return own === undefined || own === catalog
      ? Effect.succeed(service as Service<Events>)
      : Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "catalog",
          message: "Webhooks.typed was given another catalog than the one the engine was built with: pass the " +
            "catalog given to Settings.layer / Hookwire.layer, so the types match what publish checks"
        })
      )
  })

/**
 * Builds the service from Settings, Storage, DeliveryQueue, Transport and OperationalEvents: reads them once and composes the
 * slices (each a plain builder over those services, in `internal/webhooks/`) into the one service users see.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  Webhooks["Type"],
  never,
  Settings | Storage | DeliveryQueue | Transport | OperationalEvents
> = Effect.gen(function*() {
  const deps: Deps = {
    settings: yield* Settings,
    storage: yield* Storage,
    queue: yield* DeliveryQueue,
    transport: yield* Transport,
    events: yield* OperationalEvents
  }
  if (!deps.settings.secrets.sealed) {
    yield* Effect.logWarning(
      "No master key configured: endpoint secrets are stored unencrypted. Set masterKeys (HOOKWIRE_MASTER_KEYS) " +
        "to seal them with AES-256-GCM."
    )
  }
  const { deliveries, messages } = deliveryLog.make(deps)
  const { recover, resend, retry } = recovery.make(deps)
  const { publish, publishMany } = publishSlice.make(deps)
  // Every operation checks its input's shape first (objects, ids, getters): see internal/webhooks/guard.ts.
  const service = guard.service({
    endpoints: endpoints.make(deps),
    publish,
    publishMany,
    messages: { ...messages, resend },
    deliveries: { ...deliveries, retry, recover },
    maintenance: maintenance.make(deps)
  })
  catalogOf.set(service, deps.settings.catalog)
  return service
})

/**
 * The Webhooks service. Requires Settings, Storage, DeliveryQueue, Transport and OperationalEvents.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Webhooks, never, Settings | Storage | DeliveryQueue | Transport | OperationalEvents> =
  Layer
    .effect(Webhooks, make)
