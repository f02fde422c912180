/**
 * The memory Storage's attempt records: the dispatcher's batch of results (each attempt with its delivery's new
 * state, keeping the last `maxAttemptsPerDelivery` attempts of each delivery), the attempt log's lists, and an
 * endpoint's statistics over its attempts and deliveries (`stats.ts`).
 *
 * @internal
 */
import type { AttemptFilter } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { RequestTemplates, SharedHeaders } from "./headers.js"
import { type IdList, listAdd, listDelete, listIndex, listMarkDead, listSize, listValues } from "./idIndex.js"
import { pack, recordOf } from "./packedAttempt.js"
import { attemptBytes, indexIn, page, type State } from "./state.js"
import { endpointStats } from "./stats.js"

/** The attempt methods of the service. */
export const make = (state: State): Storage.AttemptMethods => {
  const { attempts, messages, tenants } = state
  const maxAttempts = state.limits.maxAttemptsPerDelivery

  const headers = new SharedHeaders()
  const templates = new RequestTemplates()

  const recordAttempt = ({ attempt: given, delivery: next }: Storage.AttemptResult) => {
    const delivery = state.deliveries.get(next.id)
    // The delivery was evicted (or never existed): there is nothing to attach the attempt to.
    if (delivery === undefined) return
    const tenant = state.tenantState(delivery.tenant)
    const message = messages.get(delivery.messageId)
    const responseHeaders = given.responseHeaders == null ? given.responseHeaders : headers.share(given.responseHeaders)
    const attempt = pack(given, delivery, responseHeaders, templates)
    const previous = attempts.get(attempt.id)
    if (previous === undefined) {
      attempts.set(attempt.id, attempt)
      state.bytes += attemptBytes(attempt)
      tenant.attempts.add(attempt.id)
      indexIn(tenant.endpointAttempts, attempt.endpointId).add(attempt.id)
      if (message !== undefined) message.attempts = listAdd(message.attempts, attempt.id)
      delivery.attemptIds = listAdd(delivery.attemptIds, attempt.id)
      while (listSize(delivery.attemptIds) > maxAttempts) {
        const oldest = attempts.get(listValues(delivery.attemptIds)[0])!
        delivery.attemptIds = listDelete(delivery.attemptIds, oldest.id)
        state.removeAttempt(oldest, tenant)
        if (message !== undefined) message.attempts = listMarkDead(message.attempts, state.isAttempt)
      }
    } else {
      attempts.set(attempt.id, attempt)
      state.bytes += attemptBytes(attempt) - attemptBytes(previous)
    }
    // A delivery cancelled or finished meanwhile (e.g. by a 410 seen by another attempt) keeps its status.
    if (delivery.status === "pending") state.setDelivery(delivery, next)
  }

  const unsafeSync = (results: ReadonlyArray<Storage.AttemptResult>): void => {
    for (const result of results) recordAttempt(result)
    state.evict()
  }

  return {
    recordAttempts: Object.assign(
      (results: ReadonlyArray<Storage.AttemptResult>) => Effect.sync(() => unsafeSync(results)),
      { unsafeSync }
    ),

    listAttempts: (tenant, filter: AttemptFilter) =>
      Effect.sync(() => {
        let index: IdList
        if (filter.deliveryId !== undefined) {
          index = state.getDelivery(tenant, filter.deliveryId)?.attemptIds
        } else if (filter.messageId !== undefined) {
          index = state.getMessage(tenant, filter.messageId)?.attempts
        } else if (filter.endpointId !== undefined) {
          index = tenants.get(tenant)?.endpointAttempts.get(filter.endpointId)
        } else {
          index = tenants.get(tenant)?.attempts
        }
        return page(listIndex(index), filter, (id) => {
          const kept = attempts.get(id)
          if (kept === undefined || kept.tenant !== tenant) return undefined
          const attempt = recordOf(kept)
          return Storage.matchesAttempt(filter, attempt) ? attempt : undefined
        })
      }),

    endpointStats: (tenant, endpointId, since) =>
      Effect.sync(() => {
        const tenantState = tenants.get(tenant)
        return endpointStats(
          since,
          tenantState?.endpointAttempts.get(endpointId),
          (id) => attempts.get(id),
          tenantState?.endpointDeliveries.get(endpointId),
          (id) => state.getDelivery(tenant, id)
        )
      })
  }
}
