/**
 * The memory Storage's attempt records: the dispatcher's batch of results (each attempt with its delivery's new
 * state, keeping the last `maxAttemptsPerDelivery` attempts of each delivery), the attempt log's lists, and an
 * endpoint's statistics over its attempts and deliveries (`stats.ts`).
 *
 * @internal
 */
import type { AttemptFilter, AttemptRecord } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { SharedHeaders } from "./headers.js"
import { IdIndex } from "./idIndex.js"
import { attemptBytes, indexIn, page, type State } from "./state.js"
import { endpointStats } from "./stats.js"

/**
 * The attempt as kept: its response headers shared (`headers.ts`). Spelled out rather than spread: V8 (Node 20) takes a
 * slow path for object spreads, and this runs for every attempt.
 */
const compact = (attempt: AttemptRecord, headers: SharedHeaders): AttemptRecord => {
  const responseHeaders = attempt.responseHeaders
  if (responseHeaders == null) return attempt
  const shared = headers.share(responseHeaders)
  if (shared === responseHeaders) return attempt
  const copy: Mutable<AttemptRecord> = {
    id: attempt.id,
    tenant: attempt.tenant,
    deliveryId: attempt.deliveryId,
    messageId: attempt.messageId,
    endpointId: attempt.endpointId,
    attempt: attempt.attempt,
    trigger: attempt.trigger,
    url: attempt.url,
    startedAt: attempt.startedAt,
    durationMs: attempt.durationMs,
    responseStatus: attempt.responseStatus,
    responseBody: attempt.responseBody,
    errorKind: attempt.errorKind,
    errorMessage: attempt.errorMessage,
    responseHeaders: shared
  }
  // Absent stays absent (records stored before request headers were kept).
  if (attempt.requestHeaders !== undefined) copy.requestHeaders = attempt.requestHeaders
  return copy
}

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

/** The attempt methods of the service. */
export const make = (state: State): Storage.AttemptMethods => {
  const { attempts, messages, tenants } = state
  const maxAttempts = state.limits.maxAttemptsPerDelivery

  const headers = new SharedHeaders()

  const recordAttempt = ({ attempt: given, delivery: next }: Storage.AttemptResult) => {
    const delivery = state.deliveries.get(next.id)
    // The delivery was evicted (or never existed): there is nothing to attach the attempt to.
    if (delivery === undefined) return
    const tenant = state.tenantState(delivery.record.tenant)
    const message = messages.get(delivery.record.messageId)
    const attempt = compact(given, headers)
    const previous = attempts.get(attempt.id)
    if (previous === undefined) {
      attempts.set(attempt.id, attempt)
      state.bytes += attemptBytes(attempt)
      tenant.attempts.add(attempt.id)
      indexIn(tenant.endpointAttempts, attempt.endpointId).add(attempt.id)
      message?.attempts.add(attempt.id)
      const own = delivery.attempts ??= new IdIndex()
      own.add(attempt.id)
      while (own.size > maxAttempts) {
        const oldest = attempts.get(own.values()[0])!
        own.delete(oldest.id)
        state.removeAttempt(oldest, tenant)
        message?.attempts.markDead(state.isAttempt)
      }
    } else {
      attempts.set(attempt.id, attempt)
      state.bytes += attemptBytes(attempt) - attemptBytes(previous)
    }
    // A delivery cancelled or finished meanwhile (e.g. by a 410 seen by another attempt) keeps its status.
    if (delivery.record.status === "pending") state.setDelivery(delivery, next)
  }

  return {
    recordAttempts: (results) =>
      Effect.sync(() => {
        for (const result of results) recordAttempt(result)
        state.evict()
      }),

    listAttempts: (tenant, filter: AttemptFilter) =>
      Effect.sync(() => {
        let index: IdIndex | undefined
        if (filter.deliveryId !== undefined) {
          index = state.getDelivery(tenant, filter.deliveryId)?.attempts
        } else if (filter.messageId !== undefined) {
          index = state.getMessage(tenant, filter.messageId)?.attempts
        } else if (filter.endpointId !== undefined) {
          index = tenants.get(tenant)?.endpointAttempts.get(filter.endpointId)
        } else {
          index = tenants.get(tenant)?.attempts
        }
        return page(index, filter, (id) => {
          const attempt = attempts.get(id)
          return attempt !== undefined && attempt.tenant === tenant && Storage.matchesAttempt(filter, attempt)
            ? attempt
            : undefined
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
          (id) => state.getDelivery(tenant, id)?.record
        )
      })
  }
}
