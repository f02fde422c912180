/**
 * The memory Storage's delivery records: reads and lists, the dispatch contexts the dispatcher loads, status
 * transitions (one delivery, or an endpoint's in a time window), the due-heap scan the sweeper reads, the earliest
 * pending delivery of an endpoint (FIFO) and a delivery added to a stored message (a resend).
 *
 * @internal
 */
import { StorageError } from "@hookwire/core/Errors"
import type { DeliveryFilter, DispatchContext } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { type IdIndex, listIndex } from "./idIndex.js"
import { conflict, costs, page, type State } from "./state.js"
import { deliveryRecord } from "./storedDelivery.js"
import { messageRecord } from "./storedMessage.js"

/** The delivery methods of the service. */
export const make = (state: State): Storage.DeliveryMethods => {
  const { deliveries, messages, tenants } = state

  return {
    getDelivery: (tenant, id) =>
      Effect.sync(() => {
        const delivery = state.getDelivery(tenant, id)
        return delivery === undefined ? undefined : deliveryRecord(delivery)
      }),

    listDeliveries: (tenant, filter: DeliveryFilter) =>
      Effect.sync(() => {
        const tenantState = tenants.get(tenant)
        let index: IdIndex | undefined
        if (filter.messageId !== undefined) {
          index = listIndex(state.getMessage(tenant, filter.messageId)?.deliveries)
        } else if (filter.endpointId !== undefined) {
          index = tenantState?.endpointDeliveries.get(filter.endpointId)
        } else {
          index = tenantState?.deliveries
        }
        return page(index, filter, (id) => {
          const delivery = state.getDelivery(tenant, id)
          return delivery !== undefined && Storage.matchesDelivery(filter, delivery)
            ? deliveryRecord(delivery)
            : undefined
        })
      }),

    loadForDispatch: (ids) =>
      Effect.sync(() => {
        const out: Array<DispatchContext> = []
        for (const id of ids) {
          const delivery = deliveries.get(id)
          if (delivery === undefined) continue
          const message = messages.get(delivery.messageId)
          const endpoint = state.endpoints.get(delivery.endpointId)
          if (message !== undefined && endpoint !== undefined) {
            out.push({ delivery: deliveryRecord(delivery), message: messageRecord(message), endpoint })
          }
        }
        return out
      }),

    transitionDelivery: (tenant, id, from, to) =>
      Effect.sync(() => {
        const delivery = state.getDelivery(tenant, id)
        if (delivery === undefined || !from.includes(delivery.status)) return undefined
        state.transition(delivery, to.status, to.nextAttemptAt, to.now)
        const next = deliveryRecord(delivery)
        state.evict()
        return next
      }),

    transitionEndpointDeliveries: (tenant, endpointId, options) =>
      Effect.sync(() => {
        const index = tenants.get(tenant)?.endpointDeliveries.get(endpointId)
        if (index === undefined) return []
        const moved: Array<string> = []
        for (const id of index.values()) {
          const delivery = state.getDelivery(tenant, id)
          if (
            delivery !== undefined &&
            options.from.includes(delivery.status) &&
            Storage.inWindow(delivery.createdAt, options)
          ) {
            state.transition(delivery, options.to, options.nextAttemptAt, options.now)
            moved.push(id)
          }
        }
        state.evict()
        return moved
      }),

    duePendingDeliveries: (before, limit, after) =>
      Effect.sync(() => {
        const out: Array<{ readonly id: string; readonly at: number }> = []
        if (limit <= 0) return []
        state.due.prune(state.isDue)
        const afterAt = after === undefined ? undefined : after.nextAttemptAt ?? -Infinity
        // The heap breaks ties by insertion order; the port orders by (nextAttemptAt, id): gather every tie of the
        // last time taken, then sort and cut. Deliveries without a time (key -Infinity) count once not updated since.
        state.due.ascending(before, state.isDue, (node) => {
          if (afterAt !== undefined && (node.at < afterAt || (node.at === afterAt && node.id <= after!.id))) {
            return true
          }
          if (out.length >= limit && node.at > out[out.length - 1]!.at) return false
          if (node.at === -Infinity && !(deliveries.get(node.id)!.updatedAt < before)) return true
          out.push({ id: node.id, at: node.at })
          return true
        })
        out.sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        return out.slice(0, limit).map(({ at, id }) => ({ id, nextAttemptAt: at === -Infinity ? null : at }))
      }),

    earliestPendingDelivery: (tenant, endpointId) =>
      Effect.sync(() => {
        const index = tenants.get(tenant)?.endpointDeliveries.get(endpointId)
        if (index === undefined) return undefined
        // Ascending ids = publish order; finished deliveries before the first pending one are skipped.
        for (const id of index.values()) {
          const delivery = deliveries.get(id)
          if (delivery !== undefined && delivery.status === "pending") {
            return { id, nextAttemptAt: delivery.nextAttemptAt }
          }
        }
        return undefined
      }),

    insertDelivery: (record) =>
      Effect.suspend(() => {
        if (deliveries.has(record.id)) return Effect.fail(conflict("delivery", record.id))
        const message = state.getMessage(record.tenant, record.messageId)
        if (message === undefined) {
          return Effect.fail(
            new StorageError({ code: "not_found", message: `no message ${record.messageId} for this delivery` })
          )
        }
        state.addDelivery(record, state.tenantState(record.tenant), message)
        state.bytes += costs.delivery
        if (message.open > 0) state.finished.delete(message.id)
        return Effect.void
      })
  }
}
