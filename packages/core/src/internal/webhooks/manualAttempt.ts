/**
 * `deliveries.retry`. Of a pending delivery (`expedite`): queued due now — unless a worker is sending it right now,
 * which is refused (it would be sent twice). Of a finished delivery (`run`): one manual attempt, safe against
 * interruption (an HTTP server interrupts its handler when the client disconnects, so this is common behind the
 * management API) and against other processes. The delivery is claimed in storage (set back to `pending`,
 * compare-and-set) and in the queue (`claimById`: leased for `HOLD_MS`, so no worker of any process claims it and a
 * "retry now" in another process is refused while it is sent), sent, its result recorded and its lease completed;
 * only the send is interruptible. Interrupted during the send, the delivery goes to the queue, due at once, for the
 * dispatcher to attempt. Should the process die during the send, the lease ends `HOLD_MS` later and a worker attempts
 * the delivery then — it is never left `pending` with nothing to send it.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type { DeliveryQueue } from "../../DeliveryQueue.js"
import { InvalidState, type QueueError, type StorageError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import * as RetryPolicy from "../../RetryPolicy.js"
import type { Settings } from "../../Settings.js"
import type { Storage } from "../../Storage.js"
import type { Transport } from "../../Transport.js"
import * as attemptInternal from "../attempt.js"

/** How long a claimed manual attempt holds its delivery: longer than any attempt's timeout (at most 60 s). */
export const HOLD_MS = 120_000

export interface Services {
  readonly settings: Settings["Type"]
  readonly storage: Storage["Type"]
  readonly queue: DeliveryQueue["Type"]
  readonly transport: Transport["Type"]
}

/** The refusal of a retry while a worker, or a manual attempt, holds the delivery's lease. */
const inFlight = (id: string) =>
  new InvalidState({
    code: "delivery_in_flight",
    id,
    message: `Delivery ${id} is being sent right now; its result is recorded when the attempt ends ` +
      `(retry it then if it did not arrive)`
  })

/**
 * A pending delivery, due now: queued at once (moved to the front, or queued again if the queue lost it) and given that
 * next attempt time — unless a worker holds it under a live lease, that is, is sending it right now. Then nothing
 * changes and the retry fails with `delivery_in_flight`: re-queueing it would end that worker's lease and send the
 * delivery a second time, and its result is on the way anyway. DeliveryQueue first, then storage, uninterruptibly: on
 * Postgres the storage write also queues the delivery, at the same run time, so it never takes a claim away.
 */
export const expedite = (
  services: Pick<Services, "queue" | "storage">,
  delivery: Model.DeliveryRecord,
  now: number
): Effect.Effect<Model.DeliveryRecord, InvalidState | QueueError | StorageError> =>
  Effect.uninterruptible(Effect.gen(function*() {
    const held = yield* services.queue.enqueueUnclaimed([{ id: delivery.id, runAt: now }], now)
    if (held.has(delivery.id)) {
      return yield* inFlight(delivery.id)
    }
    const moved = yield* services.storage.transitionDelivery(delivery.tenant, delivery.id, ["pending"], {
      status: "pending",
      nextAttemptAt: now,
      now
    })
    return moved ?? delivery
  }))

/** Claims, sends and records one manual attempt; returns the delivery as recorded. */
export const run = (services: Services, ctx: Model.DispatchContext, now: number) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const { queue, settings, storage, transport } = services
      const { delivery } = ctx
      // Claim the delivery (compare-and-set) so a concurrent retry cannot send it twice.
      const claimed = yield* storage.transitionDelivery(delivery.tenant, delivery.id, [delivery.status], {
        status: "pending",
        nextAttemptAt: now + HOLD_MS,
        now
      })
      if (claimed === undefined) {
        return yield* new InvalidState({
          code: "delivery_not_retryable",
          id: delivery.id,
          message: `Delivery ${delivery.id} changed while retrying it; try again`
        })
      }
      // And in the queue, for every process: refused only when a worker claimed it between the two (a "retry now"
      // elsewhere found it pending); that worker sends it and records the result.
      const lease = yield* queue.claimById({ id: delivery.id, runAt: now + HOLD_MS, leaseMs: HOLD_MS, now })
      if (lease === undefined) {
        return yield* inFlight(delivery.id)
      }
      // Interrupted while sending: the dispatcher attempts it instead, at once.
      const requeue = Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        yield* storage.transitionDelivery(delivery.tenant, delivery.id, ["pending"], {
          status: "pending",
          nextAttemptAt: at,
          now: at
        })
        yield* queue.enqueue([{ id: delivery.id, runAt: at }])
      }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("retry: re-queueing an interrupted attempt failed", cause))
      )
      const { outcome, record } = yield* restore(
        attemptInternal.perform(settings, transport, { ...ctx, delivery: claimed }, "manual")
      ).pipe(Effect.onInterrupt(() => requeue))
      const random = yield* Random.next
      // A manual attempt is a single try: its result becomes the status, with no new retry schedule.
      const decision = RetryPolicy.decide(RetryPolicy.none, { attempts: 1, outcome, now, random })
      const updated: Model.DeliveryRecord = {
        ...claimed,
        status: decision._tag === "Delivered" ? "delivered" : "failed",
        attempts: claimed.attempts + 1,
        nextAttemptAt: null,
        lastAttemptAt: record.startedAt,
        lastResponseStatus: record.responseStatus,
        lastError: record.errorKind,
        updatedAt: yield* Clock.currentTimeMillis
      }
      yield* storage.recordAttempts([{ attempt: record, delivery: updated }])
      // Recorded: a lease left behind would only expire into a claim that finds the delivery finished.
      yield* queue.complete([lease]).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("retry: completing a manual attempt's lease failed", cause))
      )
      return updated
    })
  )
