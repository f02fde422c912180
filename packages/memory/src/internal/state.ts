/**
 * The memory Storage's shared state: the record maps, the per-tenant and per-record id indexes, the min-heap of due
 * deliveries, the byte estimate and the eviction order of finished messages. The record families (`endpoints.ts`,
 * `messages.ts`, `deliveries.ts`, `attempts.ts`, `retention.ts`) read these and change them only through the methods
 * here, which keep every index, the due heap and each message's pending count in step. Every method is synchronous.
 *
 * @internal
 */
import { StorageError } from "@hookwire/core/Errors"
import type { DeliveryRecord, DeliveryStatus, EndpointRecord, Page, PageRequest, Tenant } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import type * as Context from "effect/Context"
import { MinHeap, type Node } from "./heap.js"
import { IdIndex, listAdd, listValues } from "./idIndex.js"
import type { KeptAttempt } from "./packedAttempt.js"
import { assignDelivery, type StoredDelivery, storedDelivery } from "./storedDelivery.js"
import type { StoredMessage } from "./storedMessage.js"

/** The Storage service, which the record families build in slices (`Storage.EndpointMethods`, …). */
export type Service = Context.Tag.Service<typeof Storage.Storage>

/** Retention limits, resolved (see `MemoryStorage.Options`). */
export interface Limits {
  readonly maxMessages: number
  readonly maxBytes: number
  readonly maxAttemptsPerDelivery: number
}

/** What a record costs in the byte estimate (documented at `MemoryStorage.costs`, which exports it). */
export const costs: {
  readonly message: number
  readonly delivery: number
  readonly attempt: number
} = {
  message: 450,
  delivery: 400,
  attempt: 450
}

/** @internal */
export const messageBytes = (message: StoredMessage): number => {
  let bytes = costs.message + message.body.length + message.type.length + (message.idempotencyKey?.length ?? 0)
  for (const channel of message.channels) bytes += channel.length
  return bytes
}

/** @internal */
export const attemptBytes = (attempt: KeptAttempt): number =>
  costs.attempt + attempt.url.length + (attempt.responseBody?.length ?? 0) + (attempt.errorMessage?.length ?? 0)

/** @internal */
export interface TenantState {
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

/** @internal */
export const conflict = (what: string, id: string): StorageError =>
  new StorageError({
    code: "conflict",
    message: `a ${what} with id ${id} already exists; ids must be unique (create them with Id.make)`
  })

/**
 * One cursor page over an index: `resolve` returns the record when it is live and matches the filter. Reads one
 * record past the limit, for core's `Storage.pageOf` to tell whether another page follows.
 */
export const page = <A extends { readonly id: string }>(
  index: IdIndex | undefined,
  request: PageRequest,
  resolve: (id: string) => A | undefined
): Page<A> => {
  const limit = Storage.pageLimit(request)
  const items: Array<A> = []
  if (index !== undefined && limit > 0) {
    const visit = (id: string) => {
      const item = resolve(id)
      if (item !== undefined) items.push(item)
      return items.length <= limit
    }
    if (request.order === "desc") index.forEachBefore(request.cursor, visit)
    else index.forEachAfter(request.cursor, visit)
  }
  return Storage.pageOf(items, limit)
}

/** The index of `key` in `map`, made on first use. */
export const indexIn = (map: Map<string, IdIndex>, key: string): IdIndex => {
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

/** @internal */
export class State {
  readonly endpoints = new Map<string, EndpointRecord>()
  readonly messages = new Map<string, StoredMessage>()
  readonly deliveries = new Map<string, StoredDelivery>()
  readonly attempts = new Map<string, KeptAttempt>()
  readonly tenants = new Map<Tenant, TenantState>()
  /** Ids of messages with no pending delivery, in the order they finished: the eviction order. */
  readonly finished = new Set<string>()
  /**
   * Pending deliveries by next attempt time, with lazy deletion; one without a time (written by an older version) is
   * keyed -Infinity, first for the sweeper.
   */
  readonly due = new MinHeap()
  private dueLive = 0
  private seq = 0
  /** The estimated size of messages, deliveries and attempts held (see `costs`). */
  bytes = 0

  constructor(readonly limits: Limits) {}

  readonly isMessage = (id: string): boolean => this.messages.has(id)
  readonly isDelivery = (id: string): boolean => this.deliveries.has(id)
  readonly isAttempt = (id: string): boolean => this.attempts.has(id)
  readonly isDue = (node: Node): boolean => this.deliveries.get(node.id)?.dueSeq === node.seq

  /** The tenant's indexes, made on first use. */
  tenantState(tenant: Tenant): TenantState {
    let state = this.tenants.get(tenant)
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
      this.tenants.set(tenant, state)
    }
    return state
  }

  /** A tenant with no endpoint and no message holds only dead ids: drop it, so tenants do not accumulate. */
  dropIfEmpty(tenant: Tenant, state: TenantState): void {
    if (state.endpoints.size === 0 && state.messages.size === 0) this.tenants.delete(tenant)
  }

  getEndpoint(tenant: Tenant, id: string): EndpointRecord | undefined {
    const endpoint = this.endpoints.get(id)
    return endpoint !== undefined && endpoint.tenant === tenant ? endpoint : undefined
  }

  getDelivery(tenant: Tenant, id: string): StoredDelivery | undefined {
    const delivery = this.deliveries.get(id)
    return delivery !== undefined && delivery.tenant === tenant ? delivery : undefined
  }

  /** The message with this id when it belongs to the tenant. */
  getMessage(tenant: Tenant, id: string): StoredMessage | undefined {
    const message = this.messages.get(id)
    return message !== undefined && message.tenant === tenant ? message : undefined
  }

  private pushDue(delivery: StoredDelivery, at: number): void {
    delivery.dueSeq = ++this.seq
    this.due.push({ at, seq: delivery.dueSeq, id: delivery.id })
  }

  /** Stale heap nodes are dropped as they surface; rebuild once they outnumber the live ones (the heap stays O(live)). */
  compactDue(): void {
    if (this.due.size > 1024 && this.due.size > 2 * this.dueLive) this.due.compact(this.isDue)
  }

  /**
   * Indexes one delivery of a stored message; the caller counts its bytes and settles the message's `finished`
   * membership.
   */
  addDelivery(record: DeliveryRecord, tenant: TenantState, message: StoredMessage): void {
    const delivery = storedDelivery(record)
    this.deliveries.set(record.id, delivery)
    tenant.deliveries.add(record.id)
    indexIn(tenant.endpointDeliveries, record.endpointId).add(record.id)
    message.deliveries = listAdd(message.deliveries, record.id)
    if (record.status === "pending") {
      message.open++
      this.dueLive++
      this.pushDue(delivery, record.nextAttemptAt ?? -Infinity)
    }
  }

  /** Moves a delivery to `next`'s state, keeping the due heap and the message's pending count in step. */
  setDelivery(delivery: StoredDelivery, next: DeliveryRecord): void {
    const wasOpen = delivery.status === "pending"
    const prevAt = delivery.nextAttemptAt
    assignDelivery(delivery, next)
    this.settle(delivery, wasOpen, prevAt)
  }

  /** Moves a delivery to a new status and next attempt time. */
  transition(delivery: StoredDelivery, status: DeliveryStatus, nextAttemptAt: number | null, now: number): void {
    const wasOpen = delivery.status === "pending"
    const prevAt = delivery.nextAttemptAt
    delivery.status = status
    delivery.nextAttemptAt = nextAttemptAt
    delivery.updatedAt = now
    this.settle(delivery, wasOpen, prevAt)
  }

  /** Brings the due heap and the message's pending count in step with a delivery that was changed in place. */
  private settle(delivery: StoredDelivery, wasOpen: boolean, prevAt: number | null): void {
    const isOpen = delivery.status === "pending"
    if (isOpen) {
      if (delivery.dueSeq === 0 || prevAt !== delivery.nextAttemptAt) {
        if (delivery.dueSeq === 0) this.dueLive++
        this.pushDue(delivery, delivery.nextAttemptAt ?? -Infinity)
      }
    } else if (delivery.dueSeq !== 0) {
      delivery.dueSeq = 0
      this.dueLive--
    }
    this.compactDue()
    if (wasOpen !== isOpen) {
      const message = this.messages.get(delivery.messageId)
      if (message !== undefined) {
        message.open += isOpen ? 1 : -1
        if (message.open === 0) this.finished.add(message.id)
        else this.finished.delete(message.id)
      }
    }
  }

  /** Deletes an attempt from the map and the tenant's indexes (the caller marks it dead in its message's and delivery's). */
  removeAttempt(attempt: KeptAttempt, tenant: TenantState): void {
    this.attempts.delete(attempt.id)
    this.bytes -= attemptBytes(attempt)
    tenant.attempts.markDead(this.isAttempt)
    markDeadIn(tenant.endpointAttempts, attempt.endpointId, this.isAttempt)
  }

  /** Deletes a message with its deliveries, attempts and idempotency key. */
  evictMessage(id: string): void {
    this.finished.delete(id)
    const message = this.messages.get(id)
    if (message === undefined) return
    const tenant = this.tenantState(message.tenant)
    this.messages.delete(id)
    this.bytes -= messageBytes(message)
    tenant.messages.markDead(this.isMessage)
    if (message.idempotencyKey !== null && tenant.idempotency.get(message.idempotencyKey) === id) {
      tenant.idempotency.delete(message.idempotencyKey)
    }
    for (const attemptId of listValues(message.attempts)) {
      const attempt = this.attempts.get(attemptId)
      if (attempt !== undefined) this.removeAttempt(attempt, tenant)
    }
    for (const deliveryId of listValues(message.deliveries)) {
      const delivery = this.deliveries.get(deliveryId)
      if (delivery === undefined) continue
      this.deliveries.delete(deliveryId)
      this.bytes -= costs.delivery
      if (delivery.dueSeq !== 0) this.dueLive--
      tenant.deliveries.markDead(this.isDelivery)
      markDeadIn(tenant.endpointDeliveries, delivery.endpointId, this.isDelivery)
    }
    this.dropIfEmpty(message.tenant, tenant)
  }

  /** Evicts finished messages, oldest-finished first, while a retention limit is exceeded. */
  evict(): void {
    const { maxBytes, maxMessages } = this.limits
    while (this.messages.size > maxMessages || this.bytes > maxBytes) {
      const oldest = this.finished.values().next()
      if (oldest.done === true) return
      this.evictMessage(oldest.value)
    }
    this.compactDue()
  }
}
