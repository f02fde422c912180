/**
 * A delivery as the memory Storage keeps it, one object per delivery: the record's fields and the store's state of it
 * (its live node in the due heap, its attempt ids). One object instead of the record and a state pointing at it saves
 * an object header and a pointer per delivery (bench/README.md, "#22 ninth session: RSS"). Reads get a plain record
 * back (`deliveryRecord`), with the record's fields only; the store's fields stay in.
 *
 * @internal
 */
import type { DeliveryRecord, DeliveryStatus, Tenant, TransportErrorKind } from "@hookwire/core/Model"
import type { IdList } from "./idIndex.js"

/** @internal */
export interface StoredDelivery {
  readonly id: string
  readonly tenant: Tenant
  readonly messageId: string
  readonly endpointId: string
  status: DeliveryStatus
  attempts: number
  nextAttemptAt: number | null
  lastAttemptAt: number | null
  lastResponseStatus: number | null
  lastError: TransportErrorKind | null
  createdAt: number
  updatedAt: number
  /** The `seq` of this delivery's live node in the due heap; 0 when it is not pending. */
  dueSeq: number
  attemptIds: IdList
}

/** `record` as the store keeps it, not in the due heap and with no attempt yet. @internal */
export const storedDelivery = (record: DeliveryRecord): StoredDelivery => ({
  id: record.id,
  tenant: record.tenant,
  messageId: record.messageId,
  endpointId: record.endpointId,
  status: record.status,
  attempts: record.attempts,
  nextAttemptAt: record.nextAttemptAt,
  lastAttemptAt: record.lastAttemptAt,
  lastResponseStatus: record.lastResponseStatus,
  lastError: record.lastError,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
  dueSeq: 0,
  attemptIds: undefined
})

/** The record a read returns (the record's fields, in `DeliveryRecord`'s order). @internal */
export const deliveryRecord = (delivery: StoredDelivery): DeliveryRecord => ({
  id: delivery.id,
  tenant: delivery.tenant,
  messageId: delivery.messageId,
  endpointId: delivery.endpointId,
  status: delivery.status,
  attempts: delivery.attempts,
  nextAttemptAt: delivery.nextAttemptAt,
  lastAttemptAt: delivery.lastAttemptAt,
  lastResponseStatus: delivery.lastResponseStatus,
  lastError: delivery.lastError,
  createdAt: delivery.createdAt,
  updatedAt: delivery.updatedAt
})

/**
 * Copies the changing fields of `next` (a new state of the same delivery) into `delivery`; its ids stay, as the
 * store's indexes are keyed by them.
 *
 * @internal
 */
export const assignDelivery = (delivery: StoredDelivery, next: DeliveryRecord): void => {
  delivery.status = next.status
  delivery.attempts = next.attempts
  delivery.nextAttemptAt = next.nextAttemptAt
  delivery.lastAttemptAt = next.lastAttemptAt
  delivery.lastResponseStatus = next.lastResponseStatus
  delivery.lastError = next.lastError
  delivery.createdAt = next.createdAt
  delivery.updatedAt = next.updatedAt
}
