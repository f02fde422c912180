/**
 * The Storage port in process memory: the embedded default and the test double. Records live in `Map`s keyed by id,
 * with sorted id lists per tenant, endpoint and message for cursor pages, and a min-heap of pending deliveries on their
 * next attempt time for the sweeper. Every operation is synchronous, so each one is atomic. Memory is bounded by
 * retention: once more than `maxMessages` messages are stored, or their estimated size passes `maxBytes`, the
 * messages whose deliveries are all finished (delivered, failed or cancelled) are evicted oldest-finished first, with
 * their deliveries and attempts, and each delivery keeps its last `maxAttemptsPerDelivery` attempts. Pending work is
 * never evicted, and endpoints are never evicted.
 *
 * @since 0.1.0
 */
import { StorageError } from "@hookwire/core/Errors"
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
  MessageFilter,
  MessageRecord,
  Page,
  PageRequest,
  SecretRecord,
  Tenant
} from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MinHeap, type Node } from "./internal/heap.js"
import { IdIndex } from "./internal/idIndex.js"
import * as retention from "./internal/retention.js"
import { endpointStats } from "./internal/stats.js"

/**
 * Retention limits. Both bound memory; neither ever drops pending work.
 *
 * @since 0.1.0
 * @category config
 */
export interface Options {
  /**
   * How many messages to keep. Beyond it, finished messages (no pending delivery) are evicted oldest-finished first,
   * with their deliveries and attempts, and their idempotency keys are forgotten. Messages with pending deliveries
   * are never evicted, so the count can exceed this while they are in flight. Default 100,000; `Infinity` keeps all.
   */
  readonly maxMessages?: number | undefined
  /**
   * An estimate of the bytes that messages, deliveries and attempts may take (see `costs`); beyond it, finished
   * messages are evicted as for `maxMessages`. Default 256 MiB; `Infinity` turns it off.
   */
  readonly maxBytes?: number | undefined
  /** How many attempts to keep per delivery, the most recent ones. Default 100; `Infinity` keeps all. */
  readonly maxAttemptsPerDelivery?: number | undefined
}

/**
 * The defaults of `Options`.
 *
 * @since 0.1.0
 * @category config
 */
export const defaults: {
  readonly maxMessages: number
  readonly maxBytes: number
  readonly maxAttemptsPerDelivery: number
} = {
  maxMessages: 100_000,
  maxBytes: 256 * 1024 * 1024,
  maxAttemptsPerDelivery: 100
}

/**
 * What a record costs in memory, as the `maxBytes` estimate counts it: a fixed overhead (measured on Node 20, 64-bit:
 * the record, its id, its map entry and its index slots) plus one byte per character of its variable strings (a
 * message's body, type, channels and idempotency key; an attempt's url, response body and error message). Strings
 * outside Latin-1 take two bytes per character, so the estimate can be low by up to that much for them.
 *
 * @since 0.1.0
 * @category config
 */
export const costs: {
  readonly message: number
  readonly delivery: number
  readonly attempt: number
} = {
  message: 450,
  delivery: 400,
  attempt: 450
}

const messageBytes = (message: MessageRecord): number => {
  let bytes = costs.message + message.body.length + message.type.length + (message.idempotencyKey?.length ?? 0)
  for (const channel of message.channels) bytes += channel.length
  return bytes
}

const attemptBytes = (attempt: AttemptRecord): number =>
  costs.attempt + attempt.url.length + (attempt.responseBody?.length ?? 0) + (attempt.errorMessage?.length ?? 0)

interface TenantState {
  readonly endpoints: IdIndex
  enabled: ReadonlyArray<EndpointRecord> | undefined
  readonly messages: IdIndex
  readonly deliveries: IdIndex
  readonly attempts: IdIndex
  readonly endpointDeliveries: Map<string, IdIndex>
  readonly endpointAttempts: Map<string, IdIndex>
  /** Idempotency key → message id. */
  readonly idempotency: Map<string, string>
}

interface MessageState {
  /** Replaced only by an erasure (`expungeMessage`), which empties the body. */
  record: MessageRecord
  /** Deliveries still pending: the message can be evicted at 0. */
  open: number
  readonly deliveries: IdIndex
  readonly attempts: IdIndex
}

interface DeliveryState {
  record: DeliveryRecord
  /** The `seq` of this delivery's live node in the due heap; 0 when it is not pending with a next attempt time. */
  dueSeq: number
  attempts: IdIndex | undefined
}

const conflict = (what: string, id: string) =>
  new StorageError({
    reason: "Conflict",
    message: `a ${what} with id ${id} already exists; ids must be unique (create them with Id.make)`
  })

const sameSecrets = (a: ReadonlyArray<SecretRecord>, b: ReadonlyArray<SecretRecord>): boolean =>
  a.length === b.length &&
  a.every((s, i) => s.value === b[i]!.value && s.createdAt === b[i]!.createdAt && s.expiresAt === b[i]!.expiresAt)

/** The endpoint with the patch's fields (those it carries) replaced. */
const applyPatch = (current: EndpointRecord, patch: EndpointPatch): EndpointRecord => {
  const next: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) next[key] = value
  return next as unknown as EndpointRecord
}

const sameHealth = (a: EndpointHealth, b: EndpointHealth): boolean =>
  a.failingSince === b.failingSince &&
  a.consecutiveFailures === b.consecutiveFailures &&
  a.circuit === b.circuit &&
  a.circuitOpenedAt === b.circuitOpenedAt &&
  a.circuitRetryAt === b.circuitRetryAt

const validLimit = (value: number): boolean => value === Infinity || (Number.isInteger(value) && value > 0)

/**
 * Builds a memory Storage with retention options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (
  options: Options = {}
): Effect.Effect<Context.Tag.Service<typeof Storage.Storage>> =>
  Effect.suspend(() => {
    const limits = {
      maxMessages: options.maxMessages ?? defaults.maxMessages,
      maxBytes: options.maxBytes ?? defaults.maxBytes,
      maxAttemptsPerDelivery: options.maxAttemptsPerDelivery ?? defaults.maxAttemptsPerDelivery
    }
    const invalid = Object.entries(limits).filter(([, value]) => !validLimit(value))
    if (invalid.length > 0) {
      return Effect.dieMessage(
        `MemoryStorage: ${invalid.map(([name, value]) => `${name} (${value})`).join(", ")} must be a positive ` +
          "integer or Infinity"
      )
    }
    return Effect.sync(() => unsafeMake(limits))
  })

/**
 * Builds a memory Storage with the default retention (`defaults`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Context.Tag.Service<typeof Storage.Storage>> = makeWith()

/**
 * A fresh, empty memory Storage with the default retention.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Storage.Storage> = Layer.effect(Storage.Storage, make)

/**
 * A fresh, empty memory Storage with retention options.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: Options): Layer.Layer<Storage.Storage> =>
  Layer.effect(Storage.Storage, makeWith(options))

/**
 * A fresh, empty memory Storage with retention options read from `Config`, e.g.
 * `{ maxMessages: Config.integer("HOOKWIRE_MEMORY_MAX_MESSAGES") }`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Storage.Storage, ConfigError.ConfigError> =>
  Layer.effect(Storage.Storage, Effect.flatMap(Config.unwrap(config), makeWith))

const unsafeMake = (
  { maxAttemptsPerDelivery: maxAttempts, maxBytes, maxMessages }: {
    readonly maxMessages: number
    readonly maxBytes: number
    readonly maxAttemptsPerDelivery: number
  }
): Context.Tag.Service<typeof Storage.Storage> => {
  const endpoints = new Map<string, EndpointRecord>()
  const messages = new Map<string, MessageState>()
  const deliveries = new Map<string, DeliveryState>()
  const attempts = new Map<string, AttemptRecord>()
  const tenants = new Map<Tenant, TenantState>()
  /** Ids of messages with no pending delivery, in the order they finished: the eviction order. */
  const finished = new Set<string>()
  /** Pending deliveries by next attempt time, with lazy deletion. */
  const due = new MinHeap()
  let dueLive = 0
  let seq = 0
  /** The estimated size of messages, deliveries and attempts held (see `costs`). */
  let bytes = 0

  const isMessage = (id: string) => messages.has(id)
  const isDelivery = (id: string) => deliveries.has(id)
  const isAttempt = (id: string) => attempts.has(id)
  const isDue = (node: Node) => deliveries.get(node.id)?.dueSeq === node.seq

  const tenantState = (tenant: Tenant): TenantState => {
    let state = tenants.get(tenant)
    if (state === undefined) {
      state = {
        endpoints: new IdIndex(),
        enabled: undefined,
        messages: new IdIndex(),
        deliveries: new IdIndex(),
        attempts: new IdIndex(),
        endpointDeliveries: new Map(),
        endpointAttempts: new Map(),
        idempotency: new Map()
      }
      tenants.set(tenant, state)
    }
    return state
  }

  // A tenant with no endpoint and no message holds only dead ids: drop it, so tenants do not accumulate.
  const dropIfEmpty = (tenant: Tenant, state: TenantState) => {
    if (state.endpoints.size === 0 && state.messages.size === 0) tenants.delete(tenant)
  }

  const indexIn = (map: Map<string, IdIndex>, key: string): IdIndex => {
    let index = map.get(key)
    if (index === undefined) {
      index = new IdIndex()
      map.set(key, index)
    }
    return index
  }

  const markDeadIn = (map: Map<string, IdIndex>, key: string, isLive: (id: string) => boolean) => {
    const index = map.get(key)
    if (index !== undefined) {
      index.markDead(isLive)
      if (index.size === 0) map.delete(key)
    }
  }

  // Stale heap nodes are dropped as they surface; rebuild once they outnumber the live ones, so the heap stays O(live).
  const compactDue = () => {
    if (due.size > 1024 && due.size > 2 * dueLive) due.compact(isDue)
  }

  // Keeps the due heap and the message's pending count in step with a delivery's new state.
  const setDelivery = (state: DeliveryState, next: DeliveryRecord) => {
    const prev = state.record
    state.record = next
    if (next.status === "pending" && next.nextAttemptAt !== null) {
      if (state.dueSeq === 0 || prev.nextAttemptAt !== next.nextAttemptAt) {
        if (state.dueSeq === 0) dueLive++
        state.dueSeq = ++seq
        due.push({ at: next.nextAttemptAt, seq: state.dueSeq, id: next.id })
      }
    } else if (state.dueSeq !== 0) {
      state.dueSeq = 0
      dueLive--
    }
    compactDue()
    const wasOpen = prev.status === "pending"
    const isOpen = next.status === "pending"
    if (wasOpen !== isOpen) {
      const message = messages.get(next.messageId)
      if (message !== undefined) {
        message.open += isOpen ? 1 : -1
        if (message.open === 0) finished.add(message.record.id)
        else finished.delete(message.record.id)
      }
    }
  }

  const removeAttempt = (attempt: AttemptRecord, tenant: TenantState) => {
    attempts.delete(attempt.id)
    bytes -= attemptBytes(attempt)
    tenant.attempts.markDead(isAttempt)
    markDeadIn(tenant.endpointAttempts, attempt.endpointId, isAttempt)
  }

  const evictMessage = (id: string) => {
    finished.delete(id)
    const message = messages.get(id)
    if (message === undefined) return
    const record = message.record
    const tenant = tenantState(record.tenant)
    messages.delete(id)
    bytes -= messageBytes(record)
    tenant.messages.markDead(isMessage)
    if (record.idempotencyKey !== null && tenant.idempotency.get(record.idempotencyKey) === id) {
      tenant.idempotency.delete(record.idempotencyKey)
    }
    for (const attemptId of message.attempts.values()) {
      const attempt = attempts.get(attemptId)
      if (attempt !== undefined) removeAttempt(attempt, tenant)
    }
    for (const deliveryId of message.deliveries.values()) {
      const delivery = deliveries.get(deliveryId)
      if (delivery === undefined) continue
      deliveries.delete(deliveryId)
      bytes -= costs.delivery
      if (delivery.dueSeq !== 0) dueLive--
      tenant.deliveries.markDead(isDelivery)
      markDeadIn(tenant.endpointDeliveries, delivery.record.endpointId, isDelivery)
    }
    dropIfEmpty(record.tenant, tenant)
  }

  const evict = () => {
    while (messages.size > maxMessages || bytes > maxBytes) {
      const oldest = finished.values().next()
      if (oldest.done === true) return
      evictMessage(oldest.value)
    }
    compactDue()
  }

  // One cursor page over an index: `resolve` returns the record when it is live and matches the filter.
  const page = <A extends { readonly id: string }>(
    index: IdIndex | undefined,
    request: PageRequest,
    resolve: (id: string) => A | undefined
  ): Page<A> => {
    const items: Array<A> = []
    let more = false
    if (index !== undefined && request.limit > 0) {
      const visit = (id: string) => {
        const item = resolve(id)
        if (item === undefined) return true
        if (items.length === request.limit) {
          more = true
          return false
        }
        items.push(item)
        return true
      }
      if (request.order === "desc") index.forEachBefore(request.cursor, visit)
      else index.forEachAfter(request.cursor, visit)
    }
    return { items, nextCursor: more ? items[items.length - 1].id : null }
  }

  const inWindow = (time: number, since: number | undefined, until: number | undefined) =>
    (since === undefined || time >= since) && (until === undefined || time < until)

  const getEndpoint = (tenant: Tenant, id: string): EndpointRecord | undefined => {
    const endpoint = endpoints.get(id)
    return endpoint !== undefined && endpoint.tenant === tenant ? endpoint : undefined
  }

  const addEndpoint = (endpoint: EndpointRecord) => {
    const tenant = tenantState(endpoint.tenant)
    endpoints.set(endpoint.id, endpoint)
    tenant.endpoints.add(endpoint.id)
    tenant.enabled = undefined
  }

  const getDelivery = (tenant: Tenant, id: string): DeliveryState | undefined => {
    const delivery = deliveries.get(id)
    return delivery !== undefined && delivery.record.tenant === tenant ? delivery : undefined
  }

  // Ids are time-ordered and usually created in order: check the batch for duplicates without a Set when it is
  // ascending, which is the common case.
  const firstDuplicate = (batch: ReadonlyArray<DeliveryRecord>): string | undefined => {
    let ascending = true
    for (let i = 0; i < batch.length; i++) {
      const id = batch[i].id
      if (deliveries.has(id)) return id
      if (i > 0 && batch[i - 1].id >= id) ascending = false
    }
    if (ascending) return undefined
    const seen = new Set<string>()
    for (const delivery of batch) {
      if (seen.has(delivery.id)) return delivery.id
      seen.add(delivery.id)
    }
    return undefined
  }

  /** The first message already stored under the message's idempotency key, if any. */
  const takenKey = (message: MessageRecord): MessageRecord | undefined => {
    if (message.idempotencyKey === null) return undefined
    const firstId = tenants.get(message.tenant)?.idempotency.get(message.idempotencyKey)
    return firstId === undefined ? undefined : messages.get(firstId)?.record
  }

  /** Stores a message and its deliveries, already checked for conflicts. */
  const store = (message: MessageRecord, batch: ReadonlyArray<DeliveryRecord>): Storage.InsertMessageResult => {
    const tenant = tenantState(message.tenant)
    const state: MessageState = { record: message, open: 0, deliveries: new IdIndex(), attempts: new IdIndex() }
    messages.set(message.id, state)
    bytes += messageBytes(message) + batch.length * costs.delivery
    tenant.messages.add(message.id)
    if (message.idempotencyKey !== null) tenant.idempotency.set(message.idempotencyKey, message.id)
    for (const record of batch) addDelivery(record, tenant, state)
    if (state.open === 0) finished.add(message.id)
    return { message, created: true, deliveries: batch }
  }

  /** Indexes one delivery of a stored message (the caller settles the message's `finished` membership). */
  const addDelivery = (record: DeliveryRecord, tenant: TenantState, state: MessageState) => {
    const delivery: DeliveryState = { record, dueSeq: 0, attempts: undefined }
    deliveries.set(record.id, delivery)
    tenant.deliveries.add(record.id)
    indexIn(tenant.endpointDeliveries, record.endpointId).add(record.id)
    state.deliveries.add(record.id)
    if (record.status === "pending") {
      state.open++
      if (record.nextAttemptAt !== null) {
        delivery.dueSeq = ++seq
        dueLive++
        due.push({ at: record.nextAttemptAt, seq: delivery.dueSeq, id: record.id })
      }
    }
  }

  // All or nothing: every message and delivery id is checked before anything is stored.
  const insertMessages = (
    batch: ReadonlyArray<Storage.NewMessage>
  ): Effect.Effect<ReadonlyArray<Storage.InsertMessageResult>, StorageError> => {
    const firsts: Array<MessageRecord | undefined> = []
    const messageIds = new Set<string>()
    const fresh: Array<DeliveryRecord> = []
    for (const { deliveries: batchDeliveries, message } of batch) {
      const first = takenKey(message)
      firsts.push(first)
      if (first !== undefined) continue
      if (messages.has(message.id) || messageIds.has(message.id)) return Effect.fail(conflict("message", message.id))
      messageIds.add(message.id)
      for (const delivery of batchDeliveries) fresh.push(delivery)
    }
    const duplicate = firstDuplicate(fresh)
    if (duplicate !== undefined) return Effect.fail(conflict("delivery", duplicate))
    const results = batch.map(({ deliveries: batchDeliveries, message }, i): Storage.InsertMessageResult => {
      const first = firsts[i]
      return first === undefined
        ? store(message, batchDeliveries)
        : { message: first, created: false, deliveries: [] }
    })
    evict()
    return Effect.succeed(results)
  }

  const recordAttempt = ({ attempt, delivery: next }: Storage.AttemptResult) => {
    const delivery = deliveries.get(next.id)
    // The delivery was evicted (or never existed): there is nothing to attach the attempt to.
    if (delivery === undefined) return
    const tenant = tenantState(delivery.record.tenant)
    const message = messages.get(delivery.record.messageId)
    const previous = attempts.get(attempt.id)
    if (previous === undefined) {
      attempts.set(attempt.id, attempt)
      bytes += attemptBytes(attempt)
      tenant.attempts.add(attempt.id)
      indexIn(tenant.endpointAttempts, attempt.endpointId).add(attempt.id)
      message?.attempts.add(attempt.id)
      const own = delivery.attempts ??= new IdIndex()
      own.add(attempt.id)
      while (own.size > maxAttempts) {
        const oldest = attempts.get(own.values()[0])!
        own.delete(oldest.id)
        removeAttempt(oldest, tenant)
        message?.attempts.markDead(isAttempt)
      }
    } else {
      attempts.set(attempt.id, attempt)
      bytes += attemptBytes(attempt) - attemptBytes(previous)
    }
    // A delivery cancelled or finished meanwhile (e.g. by a 410 seen by another attempt) keeps its status.
    if (delivery.record.status === "pending") setDelivery(delivery, next)
  }

  const transition = (
    delivery: DeliveryState,
    status: DeliveryStatus,
    nextAttemptAt: number | null,
    now: number
  ): DeliveryRecord => {
    const next: DeliveryRecord = { ...delivery.record, status, nextAttemptAt, updatedAt: now }
    setDelivery(delivery, next)
    return next
  }

  // What the retention module (age-based pruning, erasure) works through.
  const retained: retention.Store = {
    messages,
    deliveries,
    attempts,
    finished,
    evictMessage: (id) => {
      evictMessage(id)
      compactDue()
    },
    removeAttempt: (attempt) => {
      removeAttempt(attempt, tenantState(attempt.tenant))
      messages.get(attempt.messageId)?.attempts.markDead(isAttempt)
      deliveries.get(attempt.deliveryId)?.attempts?.markDead(isAttempt)
    },
    setDelivery: (id, next) => setDelivery(deliveries.get(id)!, next),
    addBytes: (delta) => {
      bytes += delta
    }
  }

  return Storage.Storage.of({
    pruneOlderThan: (cutoff, options) => Effect.sync(() => retention.prune(retained, cutoff, options)),
    expungeMessage: (tenant, id, now) => Effect.sync(() => retention.expunge(retained, tenant, id, now)),
    insertEndpoint: (endpoint) =>
      Effect.suspend(() => {
        if (endpoints.has(endpoint.id)) return Effect.fail(conflict("endpoint", endpoint.id))
        addEndpoint(endpoint)
        return Effect.void
      }),

    insertEndpointWithin: (endpoint, limit) =>
      Effect.suspend(() => {
        if (endpoints.has(endpoint.id)) return Effect.fail(conflict("endpoint", endpoint.id))
        if ((tenants.get(endpoint.tenant)?.endpoints.size ?? 0) >= limit) return Effect.succeed(false)
        addEndpoint(endpoint)
        return Effect.succeed(true)
      }),

    getEndpoint: (tenant, id) => Effect.sync(() => getEndpoint(tenant, id)),

    listEndpoints: (tenant, request) =>
      Effect.sync(() => page(tenants.get(tenant)?.endpoints, request, (id) => getEndpoint(tenant, id))),

    enabledEndpoints: (tenant) =>
      Effect.sync(() => {
        const state = tenants.get(tenant)
        if (state === undefined) return []
        // Cached between endpoint writes: fan-out reads this on every publish.
        return state.enabled ??= state.endpoints.values().flatMap((id) => {
          const endpoint = endpoints.get(id)
          return endpoint !== undefined && !endpoint.disabled ? [endpoint] : []
        })
      }),

    countEndpoints: (tenant) => Effect.sync(() => tenants.get(tenant)?.endpoints.size ?? 0),

    // Maintenance path (rare): a sort of every endpoint id is acceptable here.
    scanEndpoints: (afterId, limit) =>
      Effect.sync(() => {
        const ids = [...endpoints.keys()].filter((id) => afterId === undefined || id > afterId).sort()
        return ids.slice(0, Math.max(0, limit)).map((id) => endpoints.get(id)!)
      }),

    updateEndpoint: (endpoint) =>
      Effect.sync(() => {
        if (getEndpoint(endpoint.tenant, endpoint.id) === undefined) return false
        endpoints.set(endpoint.id, endpoint)
        tenantState(endpoint.tenant).enabled = undefined
        return true
      }),

    patchEndpoint: (tenant, id, patch, expected, expectedSecrets) =>
      Effect.sync(() => {
        const current = getEndpoint(tenant, id)
        if (current === undefined) return undefined
        if (expected !== undefined && !sameHealth(current.health, expected)) return undefined
        if (expectedSecrets !== undefined && !sameSecrets(current.secrets, expectedSecrets)) return undefined
        const next = applyPatch(current, patch)
        endpoints.set(id, next)
        // The fan-out list of enabled endpoints holds the records: anything but a health update refreshes it.
        if (Object.keys(patch).some((key) => key !== "health" && key !== "updatedAt")) {
          tenantState(tenant).enabled = undefined
        }
        return next
      }),

    earliestPendingDelivery: (tenant, endpointId) =>
      Effect.sync(() => {
        const index = tenants.get(tenant)?.endpointDeliveries.get(endpointId)
        if (index === undefined) return undefined
        // Ascending ids = publish order; finished deliveries before the first pending one are skipped.
        for (const id of index.values()) {
          const delivery = deliveries.get(id)
          if (delivery !== undefined && delivery.record.status === "pending") {
            return { id, nextAttemptAt: delivery.record.nextAttemptAt }
          }
        }
        return undefined
      }),

    deleteEndpoint: (tenant, id, now) =>
      Effect.sync(() => {
        if (getEndpoint(tenant, id) === undefined) return false
        const state = tenantState(tenant)
        endpoints.delete(id)
        state.endpoints.delete(id)
        state.enabled = undefined
        const index = state.endpointDeliveries.get(id)
        if (index !== undefined) {
          for (const deliveryId of index.values()) {
            const delivery = deliveries.get(deliveryId)
            if (delivery !== undefined && delivery.record.status === "pending") {
              transition(delivery, "cancelled", null, now)
            }
          }
        }
        evict()
        dropIfEmpty(tenant, state)
        return true
      }),

    // A batch of one.
    insertMessage: (message, batch) =>
      Effect.suspend(() => Effect.map(insertMessages([{ message, deliveries: batch }]), ([result]) => result!)),
    insertMessages: (batch) => Effect.suspend(() => insertMessages(batch)),

    getMessage: (tenant, id) =>
      Effect.sync(() => {
        const message = messages.get(id)?.record
        return message !== undefined && message.tenant === tenant ? message : undefined
      }),

    listMessages: (tenant, filter: MessageFilter) =>
      Effect.sync(() =>
        page(tenants.get(tenant)?.messages, filter, (id) => {
          const message = messages.get(id)?.record
          return message !== undefined &&
              message.tenant === tenant &&
              (filter.type === undefined || message.type === filter.type) &&
              inWindow(message.createdAt, filter.since, filter.until)
            ? message
            : undefined
        })
      ),

    getDelivery: (tenant, id) => Effect.sync(() => getDelivery(tenant, id)?.record),

    listDeliveries: (tenant, filter: DeliveryFilter) =>
      Effect.sync(() => {
        const state = tenants.get(tenant)
        let index: IdIndex | undefined
        if (filter.messageId !== undefined) {
          const message = messages.get(filter.messageId)
          index = message !== undefined && message.record.tenant === tenant ? message.deliveries : undefined
        } else if (filter.endpointId !== undefined) {
          index = state?.endpointDeliveries.get(filter.endpointId)
        } else {
          index = state?.deliveries
        }
        return page(index, filter, (id) => {
          const delivery = getDelivery(tenant, id)?.record
          return delivery !== undefined &&
              (filter.endpointId === undefined || delivery.endpointId === filter.endpointId) &&
              (filter.messageId === undefined || delivery.messageId === filter.messageId) &&
              (filter.status === undefined || delivery.status === filter.status) &&
              inWindow(delivery.createdAt, filter.since, filter.until)
            ? delivery
            : undefined
        })
      }),

    loadForDispatch: (ids) =>
      Effect.sync(() => {
        const out: Array<DispatchContext> = []
        for (const id of ids) {
          const delivery = deliveries.get(id)?.record
          if (delivery === undefined) continue
          const message = messages.get(delivery.messageId)?.record
          const endpoint = endpoints.get(delivery.endpointId)
          if (message !== undefined && endpoint !== undefined) out.push({ delivery, message, endpoint })
        }
        return out
      }),

    recordAttempts: (results) =>
      Effect.sync(() => {
        for (const result of results) recordAttempt(result)
        evict()
      }),

    transitionDelivery: (tenant, id, from, to) =>
      Effect.sync(() => {
        const delivery = getDelivery(tenant, id)
        if (delivery === undefined || !from.includes(delivery.record.status)) return undefined
        const next = transition(delivery, to.status, to.nextAttemptAt, to.now)
        evict()
        return next
      }),

    transitionEndpointDeliveries: (tenant, endpointId, options) =>
      Effect.sync(() => {
        const index = tenants.get(tenant)?.endpointDeliveries.get(endpointId)
        if (index === undefined) return []
        const moved: Array<string> = []
        for (const id of index.values()) {
          const delivery = getDelivery(tenant, id)
          if (
            delivery !== undefined &&
            options.from.includes(delivery.record.status) &&
            inWindow(delivery.record.createdAt, options.since, options.until)
          ) {
            transition(delivery, options.to, options.nextAttemptAt, options.now)
            moved.push(id)
          }
        }
        evict()
        return moved
      }),

    duePendingDeliveries: (before, limit, after) =>
      Effect.sync(() => {
        const out: Array<{ readonly id: string; readonly nextAttemptAt: number }> = []
        if (limit <= 0) return out
        due.prune(isDue)
        // The heap breaks ties by insertion order; the port orders by (nextAttemptAt, id): gather every tie of the
        // last time taken, then sort and cut.
        due.ascending(before, isDue, (node) => {
          if (
            after !== undefined &&
            (node.at < after.nextAttemptAt || (node.at === after.nextAttemptAt && node.id <= after.id))
          ) {
            return true
          }
          if (out.length >= limit && node.at > out[out.length - 1]!.nextAttemptAt) return false
          out.push({ id: node.id, nextAttemptAt: node.at })
          return true
        })
        out.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        return out.slice(0, limit)
      }),

    insertDelivery: (record) =>
      Effect.suspend(() => {
        if (deliveries.has(record.id)) return Effect.fail(conflict("delivery", record.id))
        const message = messages.get(record.messageId)
        if (message === undefined || message.record.tenant !== record.tenant) {
          return Effect.fail(
            new StorageError({ reason: "NotFound", message: `no message ${record.messageId} for this delivery` })
          )
        }
        addDelivery(record, tenantState(record.tenant), message)
        bytes += costs.delivery
        if (message.open > 0) finished.delete(message.record.id)
        return Effect.void
      }),

    endpointStats: (tenant, endpointId, since) =>
      Effect.sync(() => {
        const state = tenants.get(tenant)
        return endpointStats(
          since,
          state?.endpointAttempts.get(endpointId),
          (id) => attempts.get(id),
          state?.endpointDeliveries.get(endpointId),
          (id) => getDelivery(tenant, id)?.record
        )
      }),

    listAttempts: (tenant, filter: AttemptFilter) =>
      Effect.sync(() => {
        let index: IdIndex | undefined
        if (filter.deliveryId !== undefined) {
          index = getDelivery(tenant, filter.deliveryId)?.attempts
        } else if (filter.messageId !== undefined) {
          const message = messages.get(filter.messageId)
          index = message !== undefined && message.record.tenant === tenant ? message.attempts : undefined
        } else if (filter.endpointId !== undefined) {
          index = tenants.get(tenant)?.endpointAttempts.get(filter.endpointId)
        } else {
          index = tenants.get(tenant)?.attempts
        }
        return page(index, filter, (id) => {
          const attempt = attempts.get(id)
          return attempt !== undefined &&
              attempt.tenant === tenant &&
              (filter.deliveryId === undefined || attempt.deliveryId === filter.deliveryId) &&
              (filter.endpointId === undefined || attempt.endpointId === filter.endpointId) &&
              (filter.messageId === undefined || attempt.messageId === filter.messageId) &&
              inWindow(attempt.startedAt, filter.since, filter.until)
            ? attempt
            : undefined
        })
      })
  })
}
