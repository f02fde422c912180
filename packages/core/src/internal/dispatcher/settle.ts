/**
 * What an attempt's outcome means for its delivery: the pure decision, from the claimed context, the attempt, the
 * time and the retry settings, to the delivery's new record, when it runs again, the event to publish, and what the
 * endpoint's health must learn. No I/O: `attempts.ts` carries the decision out (health update, 410 Gone, disabling)
 * and hands the result to the writer.
 */
import type * as Model from "../../Model.js"
import type { OperationalEvent } from "../../OperationalEvents.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import type * as Settings from "../../Settings.js"

/** The settings the decision reads. */
export type Policy = Pick<Settings.Resolved, "retryPolicy" | "throttleMinMs" | "maxRetryAfterMs">

/** The attempts metric's outcome label. */
export type Outcome = "delivered" | "retry" | "failed" | "gone"

export interface Settlement {
  readonly outcome: Outcome
  readonly delivery: Model.DeliveryRecord
  /** Queue action: `undefined` = complete, a number = reschedule at that time. */
  readonly runAt: number | undefined
  readonly event: OperationalEvent | undefined
  /** Why the attempt did not deliver (the retry's or the failure's reason); `undefined` when it delivered. */
  readonly reason: string | undefined
  /**
   * What the endpoint's health learns: `true` a success, `false` a failure, `undefined` nothing — a success on an
   * endpoint that was healthy when claimed changes nothing, and a 410 Gone disables the endpoint instead.
   */
  readonly health: boolean | undefined
  /** 410 Gone: this result is written first, then the endpoint is disabled and its pending deliveries cancelled. */
  readonly gone: boolean
}

/** The reason a 410 Gone gives the failed delivery and the disabled endpoint. */
export const goneReason = "the receiver answered 410 Gone"

/** Whether the endpoint's stored health is the healthy default (nothing to update after a success). */
export const isHealthy = (h: Model.EndpointHealth): boolean =>
  h.failingSince === null && h.consecutiveFailures === 0 && h.circuit === "closed"

/** The `delivery.failed` event of `ctx`'s delivery after `attempts` attempts. */
export const failedEvent = (
  ctx: Model.DispatchContext,
  attempts: number,
  reason: string,
  now: number
): OperationalEvent => ({
  type: "delivery.failed",
  tenant: ctx.delivery.tenant,
  deliveryId: ctx.delivery.id,
  messageId: ctx.message.id,
  endpointId: ctx.endpoint.id,
  attempts,
  reason,
  at: new Date(now)
})

/** The delivery after its attempt `record` (its `attempts`-th), at `now`: one object, spread once. */
const next = (
  delivery: Model.DeliveryRecord,
  attempts: number,
  record: Model.AttemptRecord,
  now: number,
  status: Model.DeliveryRecord["status"],
  nextAttemptAt: number | null
): Model.DeliveryRecord => ({
  ...delivery,
  attempts,
  lastAttemptAt: record.startedAt,
  lastResponseStatus: record.responseStatus,
  lastError: record.errorKind,
  updatedAt: now,
  status,
  nextAttemptAt
})

/**
 * Decides what `record` (with `outcome`, as the retry policy reads it) means for `ctx`'s delivery at `now`; `random`
 * in [0, 1) is the retry's jitter. The policy is the endpoint's own when it has one, the engine's otherwise.
 */
export const settle = (
  ctx: Model.DispatchContext,
  record: Model.AttemptRecord,
  outcome: RetryPolicy.Outcome,
  now: number,
  random: number,
  policy: Policy
): Settlement => {
  const attempts = ctx.delivery.attempts + 1
  const decision = RetryPolicy.decide(
    ctx.endpoint.retryPolicy === null ? policy.retryPolicy : RetryPolicy.fromSpec(ctx.endpoint.retryPolicy),
    {
      attempts,
      outcome,
      now,
      random,
      throttleMinMs: policy.throttleMinMs,
      maxRetryAfterMs: policy.maxRetryAfterMs
    }
  )
  switch (decision._tag) {
    case "Delivered":
      return {
        outcome: "delivered",
        delivery: next(ctx.delivery, attempts, record, now, "delivered", null),
        runAt: undefined,
        event: {
          type: "delivery.succeeded",
          tenant: ctx.delivery.tenant,
          deliveryId: ctx.delivery.id,
          messageId: ctx.message.id,
          endpointId: ctx.endpoint.id,
          attempts,
          at: new Date(now)
        },
        reason: undefined,
        health: isHealthy(ctx.endpoint.health) ? undefined : true,
        gone: false
      }
    case "Retry": {
      const runAt = now + decision.delayMs
      return {
        outcome: "retry",
        delivery: next(ctx.delivery, attempts, record, now, "pending", runAt),
        runAt,
        event: undefined,
        reason: decision.reason,
        health: false,
        gone: false
      }
    }
    case "Fail":
    case "Gone": {
      const gone = decision._tag === "Gone"
      const reason = gone ? goneReason : decision.reason
      return {
        outcome: gone ? "gone" : "failed",
        delivery: next(ctx.delivery, attempts, record, now, "failed", null),
        runAt: undefined,
        event: failedEvent(ctx, attempts, reason, now),
        reason,
        health: gone ? undefined : false,
        gone
      }
    }
  }
}

/**
 * The settlement when updating the endpoint's health disabled it (failing for `disableAfter`): this delivery fails
 * too, whatever the attempt's own decision was.
 */
export const disabled = (
  settlement: Settlement,
  ctx: Model.DispatchContext,
  reason: string,
  now: number
): Settlement => {
  const why = `the endpoint was disabled: ${reason}`
  return {
    outcome: "failed",
    delivery: { ...settlement.delivery, status: "failed", nextAttemptAt: null },
    runAt: undefined,
    event: failedEvent(ctx, settlement.delivery.attempts, why, now),
    reason: why,
    health: settlement.health,
    gone: false
  }
}
