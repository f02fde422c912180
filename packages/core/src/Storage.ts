/**
 * The Storage port: endpoints, messages, deliveries and attempts, in their encoded form (see `Model`). Adapters
 * implement this small surface; validation, filtering, retry maths and signing stay in core. Every tenant-facing
 * method takes the tenant and must never return or touch another tenant's records. Every adapter must pass the
 * contract suite exported from `@hookwire/core/test/contract/StorageSuite`.
 *
 * One module past 400 lines: the port is one Tag whose every method is documented for adapter authors (what it must
 * guarantee, per tenant, under concurrency), followed by the record-family slices adapters build it from and the few
 * page and filter helpers every adapter shares. Splitting the Tag's documentation from it would help no reader.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { ClaimedItem } from "./DeliveryQueue.js"
import type { StorageError } from "./Errors.js"
import type {
  AttemptFilter,
  AttemptRecord,
  DeliveryFilter,
  DeliveryRecord,
  DeliveryStatus,
  DispatchContext,
  EndpointHealth,
  EndpointPatch,
  EndpointRecord,
  EndpointStatsRecord,
  EndpointTransport,
  MessageFilter,
  MessageRecord,
  Page,
  PageRequest,
  SecretRecord,
  Tenant
} from "./Model.js"

/**
 * The outcome of an insert that carries an idempotency key.
 *
 * @since 0.1.0
 * @category models
 */
export interface InsertMessageResult {
  /** The stored message: the new one, or the first one published with the same idempotency key. */
  readonly message: MessageRecord
  /** False when the idempotency key already existed: nothing was inserted. */
  readonly created: boolean
  /** The deliveries inserted (empty when `created` is false). */
  readonly deliveries: ReadonlyArray<DeliveryRecord>
  /**
   * True when the adapter also queued the deliveries, in the same write, and woke the workers (a store that holds
   * the queue too): core then does not enqueue them again. Absent or false: core enqueues them.
   */
  readonly queued?: boolean | undefined
}

/**
 * A message to insert with its deliveries (`insertMessages`).
 *
 * @since 0.2.0
 * @category models
 */
export interface NewMessage {
  readonly message: MessageRecord
  readonly deliveries: ReadonlyArray<DeliveryRecord>
}

/**
 * What to do with the claimed queue items of recorded attempts (`recordAndSettle`): remove them (the delivery is
 * finished) or return them to the queue at a later time (a retry).
 *
 * @since 0.2.0
 * @category models
 */
export interface Settlement {
  readonly complete: ReadonlyArray<ClaimedItem>
  readonly reschedule: ReadonlyArray<{ readonly item: ClaimedItem; readonly runAt: number }>
}

/**
 * A write that a store may also offer as a plain call: `unsafeSync`, when present, does what the effect does,
 * synchronously, and throws only on a defect. Stores whose writes are in-process have it (memory): the dispatcher's
 * result writer then writes a batch of results where it takes it, without a fiber. A function that wraps the write is
 * a new function without `unsafeSync`, so the dispatcher never bypasses what a wrapper adds.
 *
 * @since 0.6.0
 * @category models
 */
export interface SyncableWrite<A, E> {
  (input: A): Effect.Effect<void, E>
  readonly unsafeSync?: ((input: A) => void) | undefined
}

/**
 * One attempt and the delivery state that follows from it, written together.
 *
 * @since 0.1.0
 * @category models
 */
export interface AttemptResult {
  readonly attempt: AttemptRecord
  readonly delivery: DeliveryRecord
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Storage extends Context.Tag("@hookwire/core/Storage")<Storage, {
  // Endpoints
  /** Inserts a new endpoint. */
  readonly insertEndpoint: (endpoint: EndpointRecord) => Effect.Effect<void, StorageError>
  /**
   * Inserts a new endpoint only if the tenant has fewer than `limit` endpoints, atomically. Returns false (and
   * inserts nothing) when the limit is reached.
   */
  readonly insertEndpointWithin: (endpoint: EndpointRecord, limit: number) => Effect.Effect<boolean, StorageError>
  readonly getEndpoint: (tenant: Tenant, id: string) => Effect.Effect<EndpointRecord | undefined, StorageError>
  /** Ordered by id ascending. */
  readonly listEndpoints: (tenant: Tenant, page: PageRequest) => Effect.Effect<Page<EndpointRecord>, StorageError>
  /** Every enabled endpoint of the tenant, for fan-out (filtering happens in core). */
  readonly enabledEndpoints: (tenant: Tenant) => Effect.Effect<ReadonlyArray<EndpointRecord>, StorageError>
  /**
   * Optional: `enabledEndpoints` of several tenants at once (a `publishMany` batch's fan-out), in as few round trips
   * as the store allows. The map has an entry for every tenant asked about, empty when it has no enabled endpoint.
   * Without it, core calls `enabledEndpoints` for each distinct tenant of the batch.
   */
  readonly enabledEndpointsOf?:
    | ((
      tenants: ReadonlyArray<Tenant>
    ) => Effect.Effect<ReadonlyMap<Tenant, ReadonlyArray<EndpointRecord>>, StorageError>)
    | undefined
  readonly countEndpoints: (tenant: Tenant) => Effect.Effect<number, StorageError>
  /**
   * Every endpoint of every tenant, ordered by id, strictly after `afterId` (maintenance path, not tenant-facing:
   * re-sealing secrets after a master key rotation).
   */
  readonly scanEndpoints: (
    afterId: string | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<EndpointRecord>, StorageError>
  /** Replaces the stored endpoint with the same tenant and id; returns false when there is none. */
  readonly updateEndpoint: (endpoint: EndpointRecord) => Effect.Effect<boolean, StorageError>
  /**
   * Applies a patch to the endpoint: only the fields it carries change (see `EndpointPatch`). With `expected`, only
   * when its current health equals `expected` (compare-and-set on every field of the health: a circuit breaker uses
   * it so that exactly one worker sends the probe); with `expectedSecrets`, only when its current secrets equal them
   * (value, createdAt and expiresAt of each, in order: a rotation's compare-and-set); with `expectedTransport`, only
   * when its current `transport` equals it (deep equality; null matches an endpoint without one: a re-seal's
   * compare-and-set). Returns the updated endpoint, or undefined when there is none or an expectation did not hold.
   */
  readonly patchEndpoint: (
    tenant: Tenant,
    id: string,
    patch: EndpointPatch,
    expected?: EndpointHealth | undefined,
    expectedSecrets?: ReadonlyArray<SecretRecord> | undefined,
    expectedTransport?: EndpointTransport | null | undefined
  ) => Effect.Effect<EndpointRecord | undefined, StorageError>
  /** Deletes the endpoint and cancels its pending deliveries; returns false when there is none. */
  readonly deleteEndpoint: (tenant: Tenant, id: string, now: number) => Effect.Effect<boolean, StorageError>

  // Messages
  /**
   * Inserts a message and its deliveries atomically, in one round trip. When the message carries an idempotency
   * key that the tenant already used, inserts nothing and returns the first message with `created: false`.
   */
  readonly insertMessage: (
    message: MessageRecord,
    deliveries: ReadonlyArray<DeliveryRecord>
  ) => Effect.Effect<InsertMessageResult, StorageError>
  /**
   * Optional: many messages at once (`publishMany`), each exactly as `insertMessage` would insert it (idempotency
   * per message; results in input order), atomically and in as few round trips as the store allows. Core never puts
   * two messages with the same tenant and idempotency key in one batch. Without it, core calls `insertMessage` for
   * each message in turn.
   */
  readonly insertMessages?:
    | ((batch: ReadonlyArray<NewMessage>) => Effect.Effect<ReadonlyArray<InsertMessageResult>, StorageError>)
    | undefined
  readonly getMessage: (tenant: Tenant, id: string) => Effect.Effect<MessageRecord | undefined, StorageError>
  readonly listMessages: (tenant: Tenant, filter: MessageFilter) => Effect.Effect<Page<MessageRecord>, StorageError>

  // Deliveries
  readonly getDelivery: (tenant: Tenant, id: string) => Effect.Effect<DeliveryRecord | undefined, StorageError>
  readonly listDeliveries: (
    tenant: Tenant,
    filter: DeliveryFilter
  ) => Effect.Effect<Page<DeliveryRecord>, StorageError>
  /**
   * Loads delivery + message + endpoint for claimed delivery ids (worker path, not tenant-facing). Ids whose
   * delivery, message or endpoint no longer exists are left out.
   */
  readonly loadForDispatch: (
    deliveryIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<DispatchContext>, StorageError>
  /**
   * Records attempts and the resulting delivery states, in one round trip. Every attempt is inserted; a delivery
   * update is applied only while the stored delivery is still `pending` (a delivery cancelled or finished meanwhile,
   * e.g. by a 410 from another attempt, keeps its status).
   */
  readonly recordAttempts: SyncableWrite<ReadonlyArray<AttemptResult>, StorageError>
  /**
   * Optional, for a store that holds the queue too: `recordAttempts(results)`, then the queue's `complete` and
   * `reschedule` of `settlement` (same token rules: a stale token changes nothing), together and in one round trip.
   * Without it, the dispatcher makes the three calls.
   */
  readonly recordAndSettle?:
    | ((results: ReadonlyArray<AttemptResult>, settlement: Settlement) => Effect.Effect<void, StorageError>)
    | undefined
  /**
   * Sets a delivery's status and next attempt time if it is currently in one of `from` (compare-and-set).
   * Returns the updated record, or undefined when it does not exist or was in another status.
   */
  readonly transitionDelivery: (
    tenant: Tenant,
    id: string,
    from: ReadonlyArray<DeliveryStatus>,
    to: { readonly status: DeliveryStatus; readonly nextAttemptAt: number | null; readonly now: number }
  ) => Effect.Effect<DeliveryRecord | undefined, StorageError>
  /**
   * Moves every delivery of the endpoint whose status is in `from` and which was created at or after `since` (and
   * before `until` when given) to `to` (with `nextAttemptAt`), returning the ids moved.
   */
  readonly transitionEndpointDeliveries: (
    tenant: Tenant,
    endpointId: string,
    options: {
      readonly from: ReadonlyArray<DeliveryStatus>
      readonly to: DeliveryStatus
      readonly since: number
      readonly until?: number | undefined
      readonly nextAttemptAt: number | null
      readonly now: number
    }
  ) => Effect.Effect<ReadonlyArray<string>, StorageError>
  /**
   * Inserts one delivery of an existing message (a resend of the message to one endpoint). The caller enqueues it.
   */
  readonly insertDelivery: (delivery: DeliveryRecord) => Effect.Effect<void, StorageError>
  /** The endpoint's pending delivery with the smallest id (the oldest message), for FIFO endpoints. */
  readonly earliestPendingDelivery: (
    tenant: Tenant,
    endpointId: string
  ) => Effect.Effect<{ readonly id: string; readonly nextAttemptAt: number | null } | undefined, StorageError>
  /**
   * Pending deliveries due before `before` — and pending deliveries with no next attempt time (rows written by older
   * versions) last updated before `before` — ordered by (nextAttemptAt, id) with the ones without a time first,
   * starting strictly after `after` when given. For the sweeper, which pages through them to re-queue any the queue
   * does not hold.
   */
  readonly duePendingDeliveries: (
    before: number,
    limit: number,
    after?: { readonly nextAttemptAt: number | null; readonly id: string } | undefined
  ) => Effect.Effect<ReadonlyArray<{ readonly id: string; readonly nextAttemptAt: number | null }>, StorageError>

  // Attempts
  readonly listAttempts: (tenant: Tenant, filter: AttemptFilter) => Effect.Effect<Page<AttemptRecord>, StorageError>

  // Statistics
  /**
   * Counts of the endpoint's attempts (by start time) and deliveries (by creation time) for each window start in
   * `since` (epoch ms, each window ending now), and its latest attempt. An unknown endpoint or another tenant's
   * counts zero everywhere.
   */
  readonly endpointStats: (
    tenant: Tenant,
    endpointId: string,
    since: ReadonlyArray<number>
  ) => Effect.Effect<EndpointStatsRecord, StorageError>
  /**
   * Optional: `getEndpoint` and, when the endpoint exists, its `endpointStats`, in one round trip (the management
   * API's stats route). Undefined when the tenant has no such endpoint. Without it, core makes the two calls.
   */
  readonly endpointWithStats?:
    | ((
      tenant: Tenant,
      endpointId: string,
      since: ReadonlyArray<number>
    ) => Effect.Effect<
      { readonly endpoint: EndpointRecord; readonly stats: EndpointStatsRecord } | undefined,
      StorageError
    >)
    | undefined
  // Retention (optional: `Retention.prune` and `Retention.expunge` fail with a clear error without them)
  /**
   * Optional: deletes (1) the messages created before `cutoff` (epoch ms) whose deliveries are all final, with their
   * deliveries and those deliveries' attempts, and (2) the attempts started before `cutoff` of deliveries that are
   * not pending. Never touches pending work. In batches of `batchSize`, at most `maxBatches` per pass.
   */
  readonly pruneOlderThan?:
    | ((
      cutoff: number,
      options: { readonly batchSize: number; readonly maxBatches: number }
    ) => Effect.Effect<PruneResult, StorageError>)
    | undefined
  /**
   * Optional: empties one message's body (kept: its id, type, channels, idempotency key, time and its deliveries'
   * outcomes), cancels its pending deliveries (with nothing left to send) and clears the response bodies of its
   * attempts. Returns undefined when the message does not exist for that tenant.
   */
  readonly expungeMessage?:
    | ((
      tenant: Tenant,
      id: string,
      now: number
    ) => Effect.Effect<{ readonly cancelled: ReadonlyArray<string> } | undefined, StorageError>)
    | undefined
  // Atomicity (optional: a durable adapter offers it; memory loses everything on a crash, so it has nothing to keep)
  /**
   * Optional: runs `effect` with every statement this storage (and a queue on the same database) makes in one
   * transaction, committed when `effect` succeeds and rolled back when it fails, dies or is interrupted. The engine
   * writes an endpoint change and its operational notice (`OperationalWebhooks`) through it, so a crash keeps both or
   * neither. Nested calls join the outer transaction.
   */
  readonly transaction?:
    | (<A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StorageError, R>)
    | undefined
}>() {}

/**
 * For adapters organised by record family (as memory and Postgres are): the port's endpoint methods.
 *
 * @since 0.1.0
 * @category models
 */
export type EndpointMethods = Pick<
  Storage["Type"],
  | "insertEndpoint"
  | "insertEndpointWithin"
  | "getEndpoint"
  | "listEndpoints"
  | "enabledEndpoints"
  | "enabledEndpointsOf"
  | "countEndpoints"
  | "scanEndpoints"
  | "updateEndpoint"
  | "patchEndpoint"
  | "deleteEndpoint"
>

/**
 * The port's message methods: the publish write and the message reads.
 *
 * @since 0.1.0
 * @category models
 */
export type MessageMethods = Pick<Storage["Type"], "insertMessage" | "insertMessages" | "getMessage" | "listMessages">

/**
 * The port's delivery methods: reads, dispatch contexts, transitions, the sweeper's scans, resends.
 *
 * @since 0.1.0
 * @category models
 */
export type DeliveryMethods = Pick<
  Storage["Type"],
  | "getDelivery"
  | "listDeliveries"
  | "insertDelivery"
  | "loadForDispatch"
  | "transitionDelivery"
  | "transitionEndpointDeliveries"
  | "earliestPendingDelivery"
  | "duePendingDeliveries"
>

/**
 * The port's attempt methods: the dispatcher's results, the attempt log, an endpoint's statistics.
 *
 * @since 0.1.0
 * @category models
 */
export type AttemptMethods = Pick<
  Storage["Type"],
  "recordAttempts" | "recordAndSettle" | "listAttempts" | "endpointStats" | "endpointWithStats"
>

/**
 * The port's optional retention methods.
 *
 * @since 0.1.0
 * @category models
 */
export type RetentionMethods = Pick<Storage["Type"], "pruneOlderThan" | "expungeMessage">

/**
 * What `pruneOlderThan` deleted.
 *
 * @since 0.1.0
 * @category models
 */
export interface PruneResult {
  readonly messages: number
  readonly deliveries: number
  readonly attempts: number
}

/**
 * For adapters: how many records a list request asks for (its `limit` as a whole number, at least 0). An adapter
 * reads one record more than this, so that `pageOf` can tell whether another page follows.
 *
 * @since 0.1.0
 * @category combinators
 */
export const pageLimit = (request: PageRequest): number => Math.max(0, Math.floor(request.limit))

/**
 * For adapters: the page of a list read with up to `limit + 1` records, in page order. When more than `limit` were
 * read, the page holds the first `limit` and its cursor is the last id on it; otherwise it is the last page.
 *
 * @since 0.1.0
 * @category combinators
 */
export const pageOf = <A extends { readonly id: string }>(items: ReadonlyArray<A>, limit: number): Page<A> =>
  items.length > limit
    ? { items: items.slice(0, limit), nextCursor: limit > 0 ? items[limit - 1].id : null }
    : { items, nextCursor: null }

/**
 * For adapters that filter in code: whether `time` lies in a list filter's window (`since` inclusive, `until`
 * exclusive; either may be absent).
 *
 * @since 0.1.0
 * @category combinators
 */
export const inWindow = (
  time: number,
  window: { readonly since?: number | undefined; readonly until?: number | undefined }
): boolean =>
  (window.since === undefined || time >= window.since) && (window.until === undefined || time < window.until)

/**
 * For adapters that filter in code: whether a message matches `listMessages`' filter (its type, its time).
 *
 * @since 0.1.0
 * @category combinators
 */
export const matchesMessage = (filter: MessageFilter, message: MessageRecord): boolean =>
  (filter.type === undefined || message.type === filter.type) && inWindow(message.createdAt, filter)

/**
 * For adapters that filter in code: whether a delivery matches `listDeliveries`' filter (endpoint, message, status,
 * time).
 *
 * @since 0.1.0
 * @category combinators
 */
export const matchesDelivery = (filter: DeliveryFilter, delivery: DeliveryRecord): boolean =>
  (filter.endpointId === undefined || delivery.endpointId === filter.endpointId) &&
  (filter.messageId === undefined || delivery.messageId === filter.messageId) &&
  (filter.status === undefined || delivery.status === filter.status) && inWindow(delivery.createdAt, filter)

/**
 * For adapters that filter in code: whether an attempt matches `listAttempts`' filter (delivery, endpoint, message,
 * time).
 *
 * @since 0.1.0
 * @category combinators
 */
export const matchesAttempt = (filter: AttemptFilter, attempt: AttemptRecord): boolean =>
  (filter.deliveryId === undefined || attempt.deliveryId === filter.deliveryId) &&
  (filter.endpointId === undefined || attempt.endpointId === filter.endpointId) &&
  (filter.messageId === undefined || attempt.messageId === filter.messageId) && inWindow(attempt.startedAt, filter)
