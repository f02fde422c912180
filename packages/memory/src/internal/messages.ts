/**
 * The memory Storage's message records: the publish write (a batch of messages with their deliveries, all or
 * nothing, with idempotency keys per tenant) and the message reads.
 *
 * @internal
 */
import type { StorageError } from "@hookwire/core/Errors"
import type { DeliveryRecord, MessageFilter, MessageRecord } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { conflict, costs, messageBytes, page, type State } from "./state.js"
import { messageRecord, storedMessage } from "./storedMessage.js"

/** The message methods of the service. */
export const make = (
  state: State
): Storage.MessageMethods => {
  const { deliveries, messages, tenants } = state

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
    const first = firstId === undefined ? undefined : messages.get(firstId)
    return first === undefined ? undefined : messageRecord(first)
  }

  /** Stores a message and its deliveries, already checked for conflicts. */
  const store = (message: MessageRecord, batch: ReadonlyArray<DeliveryRecord>): Storage.InsertMessageResult => {
    const tenant = state.tenantState(message.tenant)
    const stored = storedMessage(message)
    messages.set(message.id, stored)
    state.bytes += messageBytes(stored) + batch.length * costs.delivery
    tenant.messages.add(message.id)
    if (message.idempotencyKey !== null) tenant.idempotency.set(message.idempotencyKey, message.id)
    for (const record of batch) state.addDelivery(record, tenant, stored)
    if (stored.open === 0) state.finished.add(message.id)
    return { message, created: true, deliveries: batch }
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
    state.evict()
    return Effect.succeed(results)
  }

  return {
    // A batch of one.
    insertMessage: (message, batch) =>
      Effect.suspend(() => Effect.map(insertMessages([{ message, deliveries: batch }]), ([result]) => result!)),
    insertMessages: (batch) => Effect.suspend(() => insertMessages(batch)),

    getMessage: (tenant, id) =>
      Effect.sync(() => {
        const message = state.getMessage(tenant, id)
        return message === undefined ? undefined : messageRecord(message)
      }),

    listMessages: (tenant, filter: MessageFilter) =>
      Effect.sync(() =>
        page(tenants.get(tenant)?.messages, filter, (id) => {
          const message = state.getMessage(tenant, id)
          if (message === undefined) return undefined
          const record = messageRecord(message)
          return Storage.matchesMessage(filter, record) ? record : undefined
        })
      )
  }
}
