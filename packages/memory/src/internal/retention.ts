/**
 * Age-based pruning and one-message erasure for the memory Storage (`Storage.pruneOlderThan`,
 * `Storage.expungeMessage`), over the store's maps through the few operations it lends (`Store`): eviction of a
 * finished message, removal of an attempt, cancelling a pending delivery, the byte estimate.
 *
 * @internal
 */
import type { DeliveryStatus } from "@hookwire/core/Model"
import type { PruneResult } from "@hookwire/core/Storage"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { listMarkDead, listValues } from "./idIndex.js"
import { type KeptAttempt, withoutResponseBody } from "./packedAttempt.js"
import type { State } from "./state.js"
import { eraseBody, type StoredMessage } from "./storedMessage.js"

/** What the memory Storage lends to this module. */
export interface Store {
  readonly messages: ReadonlyMap<string, StoredMessage>
  readonly deliveries: ReadonlyMap<string, { readonly status: DeliveryStatus }>
  readonly attempts: Map<string, KeptAttempt>
  /** Ids of messages with no pending delivery, in the order they finished. */
  readonly finished: ReadonlySet<string>
  /** Deletes a finished message with its deliveries and attempts. */
  readonly evictMessage: (id: string) => void
  /** Deletes one attempt from every index. */
  readonly removeAttempt: (attempt: KeptAttempt) => void
  /** Cancels a pending delivery (keeps the due heap and the message's pending count in step). */
  readonly cancelDelivery: (id: string, now: number) => void
  /** Adds to the estimate of bytes held. */
  readonly addBytes: (delta: number) => void
}

/** See `Storage.pruneOlderThan`; memory does it in one synchronous step (`batchSize × maxBatches` at most per pass). */
export const prune = (
  store: Store,
  cutoff: number,
  options: { readonly batchSize: number; readonly maxBatches: number }
): PruneResult => {
  const budget = options.batchSize * options.maxBatches
  let messages = 0
  let deliveries = 0
  let attempts = 0
  const doomed: Array<string> = []
  for (const id of store.finished) {
    if (doomed.length >= budget) break
    const message = store.messages.get(id)
    if (message !== undefined && message.createdAt < cutoff) doomed.push(id)
  }
  for (const id of doomed) {
    const message = store.messages.get(id)!
    const deliveryIds = listValues(message.deliveries).filter((d) => store.deliveries.has(d))
    const attemptsBefore = store.attempts.size
    store.evictMessage(id)
    messages++
    deliveries += deliveryIds.length
    attempts += attemptsBefore - store.attempts.size
  }
  const old: Array<KeptAttempt> = []
  for (const attempt of store.attempts.values()) {
    if (old.length >= budget) break
    if (attempt.startedAt < cutoff && store.deliveries.get(attempt.deliveryId)?.status !== "pending") {
      old.push(attempt)
    }
  }
  for (const attempt of old) store.removeAttempt(attempt)
  attempts += old.length
  return { messages, deliveries, attempts }
}

/** See `Storage.expungeMessage`. */
export const expunge = (
  store: Store,
  tenant: string,
  id: string,
  now: number
): { readonly cancelled: ReadonlyArray<string> } | undefined => {
  const message = store.messages.get(id)
  if (message === undefined || message.tenant !== tenant) return undefined
  store.addBytes(-message.body.length)
  eraseBody(message)
  const cancelled: Array<string> = []
  for (const deliveryId of listValues(message.deliveries)) {
    const delivery = store.deliveries.get(deliveryId)
    if (delivery === undefined || delivery.status !== "pending") continue
    store.cancelDelivery(deliveryId, now)
    cancelled.push(deliveryId)
  }
  for (const attemptId of listValues(message.attempts)) {
    const attempt = store.attempts.get(attemptId)
    if (attempt === undefined || attempt.responseBody === null) continue
    store.addBytes(-attempt.responseBody.length)
    store.attempts.set(attemptId, withoutResponseBody(attempt))
  }
  return { cancelled }
}

/** The retention methods of the service, over the shared state. */
export const make = (state: State): Storage.RetentionMethods => {
  const store: Store = {
    messages: state.messages,
    deliveries: state.deliveries,
    attempts: state.attempts,
    finished: state.finished,
    evictMessage: (id) => {
      state.evictMessage(id)
      state.compactDue()
    },
    removeAttempt: (attempt) => {
      state.removeAttempt(attempt, state.tenantState(attempt.tenant))
      const message = state.messages.get(attempt.messageId)
      if (message !== undefined) message.attempts = listMarkDead(message.attempts, state.isAttempt)
      const delivery = state.deliveries.get(attempt.deliveryId)
      if (delivery !== undefined) delivery.attemptIds = listMarkDead(delivery.attemptIds, state.isAttempt)
    },
    cancelDelivery: (id, now) => state.transition(state.deliveries.get(id)!, "cancelled", null, now),
    addBytes: (delta) => {
      state.bytes += delta
    }
  }
  return {
    pruneOlderThan: (cutoff, options) => Effect.sync(() => prune(store, cutoff, options)),
    expungeMessage: (tenant, id, now) => Effect.sync(() => expunge(store, tenant, id, now))
  }
}
