/**
 * The DeliveryQueue port (named apart from `effect/Queue`): due-time ordered delivery ids with leases. `claim` hands
 * out due items with a lease; an item whose lease expires before it is completed, rescheduled or released is claimed again (at-least-once). Times are
 * passed in by the caller (epoch ms) so adapters stay free of clocks and tests can drive time. Every adapter must
 * pass the contract suite exported from `@hookwire/core/test/contract/QueueSuite`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { QueueError } from "./Errors.js"
import type { DispatchContext } from "./Model.js"
import type { SyncableWrite } from "./Storage.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface QueueItem {
  /** The delivery id. Enqueueing an id that is already queued replaces its run time. */
  readonly id: string
  /** Not before this time (epoch ms). */
  readonly runAt: number
}

/**
 * A claimed item. `token` identifies this claim: completing or rescheduling with a stale token (the lease expired
 * and someone else claimed the item) is a no-op.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClaimedItem {
  readonly id: string
  readonly runAt: number
  readonly token: string
  /**
   * How many times this item has been claimed since it was last enqueued new, rescheduled or released, this claim
   * included: 1 on a first claim, more only when earlier leases expired without a result (the holder died, or its
   * result could not be written). The dispatcher stops sending an item claimed too often (`maxClaims`).
   */
  readonly claims: number
}

/**
 * A claimed item with its dispatch context (`claimForDispatch`).
 *
 * @since 0.2.0
 * @category models
 */
export interface ClaimedForDispatch {
  readonly item: ClaimedItem
  readonly context: DispatchContext | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class DeliveryQueue extends Context.Tag("@hookwire/core/DeliveryQueue")<DeliveryQueue, {
  /**
   * Queues each item at its run time. An id that is already queued gets the new run time, keeps its claim count and
   * loses its holder (a claimed item is queued again and its holder's token goes stale).
   */
  readonly enqueue: (items: ReadonlyArray<QueueItem>) => Effect.Effect<void, QueueError>
  /**
   * `enqueue`, except for items claimed under a lease still running at `now`: those stay with their holder,
   * unchanged, and their ids are returned. For a manual "retry now" of a pending delivery, which must not take the
   * delivery from a worker that is sending it (that would send it twice).
   */
  readonly enqueueUnclaimed: (
    items: ReadonlyArray<QueueItem>,
    now: number
  ) => Effect.Effect<ReadonlySet<string>, QueueError>
  /**
   * Claims the one item `id` outside `claim`, queued or not: it is leased until `now + leaseMs` under a new token,
   * with `runAt` as its run time and a claim count of 1 — unless it is claimed under a lease still running at `now`:
   * then nothing changes and the answer is undefined (its holder keeps it). For a manual attempt, which sends a
   * delivery outside the dispatcher: while it runs, no worker of any process claims the delivery and a "retry now"
   * elsewhere is refused; should its process die, the lease expires and a worker attempts the delivery.
   *
   * @since 0.7.0
   */
  readonly claimById: (options: {
    readonly id: string
    readonly runAt: number
    readonly leaseMs: number
    readonly now: number
  }) => Effect.Effect<ClaimedItem | undefined, QueueError>
  /**
   * Up to `max` items due at `now`, earliest first, each leased until `now + leaseMs`, its `claims` one more than
   * before. An item whose lease has expired is due again, its claim count kept.
   */
  readonly claim: (options: {
    readonly max: number
    readonly leaseMs: number
    readonly now: number
  }) => Effect.Effect<ReadonlyArray<ClaimedItem>, QueueError>
  /**
   * Optional, for a queue that shares its store with Storage: `claim`, plus each item's dispatch context exactly as
   * `Storage.loadForDispatch` would load it (undefined when the delivery, its message or its endpoint is gone), in
   * one round trip. Without it, the dispatcher claims, then loads.
   */
  readonly claimForDispatch?:
    | ((options: {
      readonly max: number
      readonly leaseMs: number
      readonly now: number
    }) => Effect.Effect<ReadonlyArray<ClaimedForDispatch>, QueueError>)
    | undefined
  /**
   * Optional, for a queue in another system than Storage (Redis beside PostgreSQL): true lets `publish` enqueue a
   * batch's deliveries while Storage inserts them, rather than after (the ids are made before either write). A claim
   * can then see an id whose delivery is not committed yet: the dispatcher gives such an id a while to appear
   * (`Dispatcher`'s "not stored yet") before it drops it, and `publish` removes the ids again when the insert fails
   * or stores none of them (an idempotency key already used). Publish still returns only once both writes are done,
   * and fails when either does.
   */
  readonly enqueuesWithInsert?: boolean | undefined
  /** Removes claimed items (delivered, failed or cancelled). */
  readonly complete: SyncableWrite<ReadonlyArray<ClaimedItem>, QueueError>
  /** Returns claimed items to the queue, due at their `runAt`, with their claim count back to 0. */
  readonly reschedule: SyncableWrite<ReadonlyArray<{ readonly item: ClaimedItem; readonly runAt: number }>, QueueError>
  /**
   * Returns claimed items that were never started to the queue (graceful shutdown), due at their own run time (at
   * once), with their claim count back to 0.
   */
  readonly release: (items: ReadonlyArray<ClaimedItem>) => Effect.Effect<void, QueueError>
  /** Removes queued (unclaimed or claimed) items by id, e.g. cancelled deliveries. */
  readonly remove: (ids: ReadonlyArray<string>) => Effect.Effect<void, QueueError>
  /** Whether an id is queued (claimed or not): used by the sweeper when Storage and DeliveryQueue differ. */
  readonly has: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlySet<string>, QueueError>
  /**
   * Completes when work may be available: something was enqueued or rescheduled (in this process, or in any
   * process for shared adapters), or the earliest queued run time or lease expiry is reached, or `maxWaitMs`
   * passed. Spurious wake-ups are allowed; missed ones are not.
   */
  readonly awaitWork: (options: { readonly now: number; readonly maxWaitMs: number }) => Effect.Effect<void, QueueError>
}>() {}

/** The clock of Effect's default services: real time. */
const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** The longest delay a Node timer takes (longer ones fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * For adapter authors implementing `awaitWork`: waits until `signal` is completed (new work, a wake-up) or `waitMs`
 * have passed, whichever comes first — `Effect.timeoutOption(Deferred.await(signal), waitMs)` made void, without its
 * two forked fibers: on the live clock a timer completes `signal` instead. So `signal` must belong to this one wait
 * (make one per call), never be shared with another waiter. Under another clock (`TestClock`) it is exactly
 * `timeoutOption`. The dispatcher waits once per claim that drained the queue: at low load, once per message.
 *
 * @since 0.1.0
 * @category utils
 */
export const awaitSignal = (signal: Deferred.Deferred<void>, waitMs: number): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    if (Context.get(fiber.currentDefaultServices, Clock.Clock) !== liveClock || !(waitMs <= MAX_TIMER_MS)) {
      return Effect.asVoid(Effect.timeoutOption(Deferred.await(signal), Duration.millis(waitMs)))
    }
    const timer = setTimeout(() => Deferred.unsafeDone(signal, Effect.void), waitMs)
    return Effect.ensuring(Deferred.await(signal), Effect.sync(() => clearTimeout(timer)))
  })
