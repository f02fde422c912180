/**
 * The cap on claims per delivery. A delivery whose attempts never get recorded — its worker dies mid-send every time,
 * or its result write keeps failing — comes back after every lease and would be sent forever. Its queue entry counts
 * those claims (`ClaimedItem.claims`: raised by each claim, reset whenever a result is recorded or the item is
 * released unstarted). Claimed more than `maxClaims` times, it is not sent again: it gets a final attempt that sent
 * nothing (error kind `claims_exhausted`) and fails as a delivery whose retries ran out does — status `failed`, a
 * `delivery.failed` event, its queue entry completed. Its endpoint's health is left alone: the receiver was not at
 * fault.
 */
import * as Effect from "effect/Effect"
import type { ClaimedItem } from "../../DeliveryQueue.js"
import type { StorageError } from "../../Errors.js"
import * as Id from "../../Id.js"
import type * as Model from "../../Model.js"
import type { OperationalEvent, OperationalEvents } from "../../OperationalEvents.js"
import type { Storage } from "../../Storage.js"

/** Whether this claim is one too many: the delivery fails instead of being sent. */
export const exceeded = (item: ClaimedItem, maxClaims: number): boolean => item.claims > maxClaims

/** The final attempt, the failed delivery and its event, for a delivery claimed once too many at `now`. */
export const exhaust = (
  ctx: Model.DispatchContext,
  item: ClaimedItem,
  maxClaims: number,
  now: number
): {
  readonly attempt: Model.AttemptRecord
  readonly delivery: Model.DeliveryRecord
  readonly event: OperationalEvent
} => {
  const { delivery, endpoint, message } = ctx
  const attempts = delivery.attempts + 1
  const reason = `claimed ${item.claims} times without a recorded result (more than maxClaims, ${maxClaims}): its ` +
    `worker stopped mid-send or its result could not be written each time; not sent again`
  return {
    attempt: {
      id: Id.make("atm", now),
      tenant: delivery.tenant,
      deliveryId: delivery.id,
      messageId: message.id,
      endpointId: endpoint.id,
      attempt: attempts,
      trigger: "scheduled",
      url: endpoint.url,
      startedAt: now,
      durationMs: 0,
      responseStatus: null,
      responseBody: null,
      errorKind: "claims_exhausted",
      errorMessage: reason,
      requestHeaders: null,
      responseHeaders: null
    },
    delivery: {
      ...delivery,
      status: "failed",
      attempts,
      nextAttemptAt: null,
      lastAttemptAt: now,
      lastResponseStatus: null,
      lastError: "claims_exhausted",
      updatedAt: now
    },
    event: {
      type: "delivery.failed",
      tenant: delivery.tenant,
      deliveryId: delivery.id,
      messageId: message.id,
      endpointId: endpoint.id,
      attempts,
      reason,
      at: new Date(now)
    }
  }
}

/**
 * Records the final attempts of deliveries claimed once too many and publishes their events. The caller completes
 * their queue entries afterwards; should this fail, it must leave them leased (not release them, which would reset
 * their count): the next claim, after the lease, tries again.
 */
export const fail = (
  deps: { readonly storage: Storage["Type"]; readonly events: OperationalEvents["Type"]; readonly maxClaims: number },
  exhausted: ReadonlyArray<{ readonly item: ClaimedItem; readonly ctx: Model.DispatchContext }>,
  now: number
): Effect.Effect<void, StorageError> =>
  Effect.gen(function*() {
    const results = exhausted.map(({ ctx, item }) => exhaust(ctx, item, deps.maxClaims, now))
    yield* deps.storage.recordAttempts(results.map(({ attempt, delivery }) => ({ attempt, delivery })))
    yield* Effect.logWarning(
      `Dispatcher: ${results.length} deliveries claimed more than maxClaims (${deps.maxClaims}) times without a ` +
        `recorded result failed instead of being sent again`
    ).pipe(Effect.annotateLogs("deliveries", results.map((r) => r.delivery.id).join(",")))
    yield* deps.events.publishAll(results.map(({ event }) => event))
  })
