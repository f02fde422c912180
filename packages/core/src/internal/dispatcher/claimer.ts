/**
 * The claim loop: claim due deliveries with a lease, load their contexts, classify every item first (all the I/O:
 * stale, disabled, FIFO head-of-line, circuit breaker gate and probe), and put the ready ones in a local line of jobs
 * claimed ahead. Jobs leave that line for the capacity (`admit`) and a worker whenever a global slot is free — at
 * once, synchronously, when a slot is freed (`Capacity.onFreed`) — so slots do not wait for a claim's round trip:
 * the loop claims again while the slots are full, until about `concurrency` jobs wait ahead (as graphile-worker's
 * local queue does). A job that waited ahead for a quarter of its lease goes back to the queue unsent (its attempt
 * must end within its lease). Items not launched go back to the queue (completed, or rescheduled) in one call each.
 * The claimer owns its fiber: `stop` interrupts it (it is interruptible between its steps) and stops launching.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import * as CircuitBreaker from "../../CircuitBreaker.js"
import type { ClaimedForDispatch, ClaimedItem, DeliveryQueue } from "../../DeliveryQueue.js"
import type { StorageError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { OperationalEvents } from "../../OperationalEvents.js"
import type * as Settings from "../../Settings.js"
import type { Storage } from "../../Storage.js"
import * as attemptInternal from "../attempt.js"
import * as metrics from "../metrics.js"
import * as wholeMs from "../wholeMs.js"
import { Ahead } from "./ahead.js"
import type { Job } from "./attempts.js"
import { type Capacity, overflowDelay } from "./capacity.js"
import * as claimCap from "./claimCap.js"
import { breakerOf } from "./endpointHealth.js"
import * as logs from "./logs.js"
import { failedEvent } from "./settle.js"
import * as supervise from "./supervise.js"
import * as unstored from "./unstored.js"

export interface Claimer {
  /** Stops claiming and launching (what was launched carries on; what waits ahead stays for `takeAhead`). */
  readonly stop: Effect.Effect<void>
  /** Takes every job claimed ahead (shutdown: they go back to the queue untouched). */
  readonly takeAhead: () => Array<Job>
  /** Takes the jobs claimed ahead for `endpointId` (its deliveries were ended elsewhere). */
  readonly dropAhead: (endpointId: string) => Array<Job>
}

export interface Deps {
  readonly settings: Settings.Resolved
  readonly storage: Storage["Type"]
  readonly queue: DeliveryQueue["Type"]
  readonly events: OperationalEvents["Type"]
  readonly capacity: Capacity<Job>
  readonly leaseMs: number
  readonly pollMs: number
  /** Claims of one delivery without a recorded result, at most (see claimCap.ts). */
  readonly maxClaims: number
  /** Starts a job that holds a slot. */
  readonly launch: (job: Job) => void
  /** Returns items to the queue, best effort. */
  readonly release: (items: ReadonlyArray<ClaimedItem>) => Effect.Effect<void>
}

/** What a claimed item's context says, before any slot is taken. */
interface Sorted {
  /** Ready to attempt, as jobs (their context with the endpoint as the probe left it, the claim's span). */
  readonly ready: Array<Job>
  /** Nothing to send: deleted, no longer pending, or its endpoint disabled. */
  readonly done: Array<ClaimedItem>
  readonly later: Array<{ item: ClaimedItem; runAt: number }>
  /** Pending deliveries of disabled endpoints: they fail now. */
  readonly failedDisabled: Array<Model.DispatchContext>
  /** Claimed more than `maxClaims` times without a recorded result: they fail now, unsent (see claimCap.ts). */
  readonly exhausted: Array<{ readonly item: ClaimedItem; readonly ctx: Model.DispatchContext }>
}

/** Completes after the I/O callbacks of the current event-loop turn have run (`setImmediate`); interruptible. */
const nextMacrotask: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** `Metric.update` for each input, reading the fiber's metric labels once rather than once per input. */
const updateEach = <A>(items: ReadonlyArray<A>, input: (a: A) => number): Effect.Effect<void> =>
  attemptInternal.updateMetrics((labels) => {
    for (const item of items) metrics.queueLag.unsafeUpdate(input(item), labels)
  })

/** Sorts the claimed items by what their contexts say: every read and write of storage happens here. */
const classify = (
  { leaseMs, maxClaims, queue, settings, storage }: Deps,
  items: ReadonlyArray<ClaimedItem>,
  now: number,
  contexts: Map<string, Model.DispatchContext>,
  parent: Tracer.AnySpan | undefined
): Effect.Effect<Sorted, StorageError> =>
  Effect.gen(function*() {
    const sorted: Sorted = { ready: [], done: [], later: [], failedDisabled: [], exhausted: [] }
    for (const item of items) {
      let ctx = contexts.get(item.id)
      if (ctx === undefined && queue.enqueuesWithInsert === true) {
        // Queued while storage inserts it: perhaps not committed yet (see unstored.ts).
        const wait = unstored.retryIn(item.id, now)
        if (wait !== undefined) {
          sorted.later.push({ item, runAt: now + wait })
          continue
        }
      }
      if (ctx === undefined || ctx.delivery.status !== "pending") {
        // Deleted, cancelled, or finished by an earlier holder of an expired lease.
        sorted.done.push(item)
        continue
      }
      if (claimCap.exceeded(item, maxClaims)) {
        sorted.exhausted.push({ item, ctx })
        continue
      }
      if (ctx.delivery.nextAttemptAt !== null && ctx.delivery.nextAttemptAt > now + 1000) {
        // The queue ran ahead of storage (e.g. a crash between the two writes): keep storage's schedule.
        sorted.later.push({ item, runAt: ctx.delivery.nextAttemptAt })
        continue
      }
      if (ctx.endpoint.disabled) {
        sorted.failedDisabled.push(ctx)
        sorted.done.push(item)
        continue
      }
      // FIFO: only the endpoint's oldest pending delivery may go; the others wait for it (head-of-line).
      if (ctx.endpoint.options.fifo) {
        const head = yield* storage.earliestPendingDelivery(ctx.delivery.tenant, ctx.endpoint.id)
        if (head !== undefined && head.id !== ctx.delivery.id) {
          sorted.later.push({ item, runAt: Math.max(now + 1000, head.nextAttemptAt ?? 0) })
          continue
        }
      }
      // Circuit breaker: while open, deliveries wait without spending attempts; after the cool-down exactly one
      // worker wins the compare-and-set and sends the probe.
      if (breakerOf(settings, ctx.endpoint) !== undefined || ctx.endpoint.health.circuit !== "closed") {
        const gate = CircuitBreaker.gate(ctx.endpoint.health, now, leaseMs)
        if (gate._tag === "Wait") {
          sorted.later.push({ item, runAt: wholeMs.ceil(gate.until) })
          continue
        }
        if (gate._tag === "Probe") {
          const won = yield* storage.patchEndpoint(
            ctx.delivery.tenant,
            ctx.endpoint.id,
            { health: gate.next, updatedAt: now },
            ctx.endpoint.health
          )
          if (won === undefined) {
            sorted.later.push({ item, runAt: now + 1000 })
            continue
          }
          ctx = { ...ctx, endpoint: won }
        }
      }
      sorted.ready.push({ item, ctx, parent, claimedAt: now })
    }
    return sorted
  })

/** Pending deliveries of disabled endpoints fail, with an event each. */
const failDisabled = (
  { events, storage }: Deps,
  contexts: ReadonlyArray<Model.DispatchContext>,
  now: number
) =>
  Effect.forEach(contexts, (ctx) =>
    Effect.gen(function*() {
      const failed = yield* storage.transitionDelivery(ctx.delivery.tenant, ctx.delivery.id, ["pending"], {
        status: "failed",
        nextAttemptAt: null,
        now
      })
      if (failed === undefined) return
      const reason = `the endpoint is disabled (${ctx.endpoint.disabledReason ?? "no reason given"})`
      yield* events.publish(failedEvent(ctx, ctx.delivery.attempts, reason, now))
      yield* logs.deliveryFailed(
        { tenant: ctx.delivery.tenant, endpointId: ctx.endpoint.id, deliveryId: ctx.delivery.id },
        ctx.delivery.attempts,
        reason
      )
    }), { discard: true })

/**
 * Back to the queue for a while: jobs whose saturated slow endpoint could not take them. A slow or hung endpoint at
 * its cap: its deliveries go back to the queue for about one of its attempt durations, without spending an attempt.
 * The k-th of this batch waits about k / cap durations more.
 */
const rescheduleOverflow = ({ capacity, queue }: Deps, jobs: ReadonlyArray<Job>, now: number) =>
  Effect.gen(function*() {
    const overflow = new Map<string, number>()
    const later: Array<{ item: ClaimedItem; runAt: number }> = []
    for (const { ctx, item } of jobs) {
      const k = overflow.get(ctx.endpoint.id) ?? 0
      overflow.set(ctx.endpoint.id, k + 1)
      const delay = overflowDelay(capacity.typical(ctx.endpoint.id), k, capacity.perEndpoint)
      later.push({ item, runAt: now + delay + Math.floor((yield* Random.next) * delay * 0.5) })
    }
    yield* queue.reschedule(later)
  })

/** Starts the claim loop in the current scope. */
export const make = (deps: Deps): Effect.Effect<Claimer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { capacity, launch, leaseMs, pollMs, queue, storage } = deps
    const clock = yield* Effect.clock
    // About `concurrency` jobs wait ahead of the slots; the loop claims again once half of that was taken (each claim
    // costs the loop's steps, a span and the store's round trip: claims after a quarter were twice as many).
    const target = capacity.concurrency
    const minClaim = Math.max(1, Math.floor(capacity.concurrency / 2))
    const ahead = new Ahead(capacity, launch, leaseMs / 4, () => clock.unsafeCurrentTimeMillis())
    // The last claim got fewer items than it asked for: the queue had nothing more due.
    let drained = false
    // Open while the loop has something to do: claim (enough slots or room ahead), or return what `fill` could not
    // launch. `fill` runs whenever slots are freed, and opens it.
    const wake = yield* Effect.makeLatch(true)
    const wanted = () => capacity.free + target - ahead.size
    const busy = () => wanted() >= minClaim || ahead.overflowed.length > 0 || ahead.stale.length > 0
    capacity.onFreed = () => {
      ahead.fill()
      if (!ahead.stopped && busy()) wake.unsafeOpen()
    }

    /** What `fill` could not launch goes back to the queue. */
    const returnUnlaunched = Effect.gen(function*() {
      const { overflowed, stale } = ahead
      ahead.overflowed = []
      ahead.stale = []
      // Should this fail, the leases return them.
      if (overflowed.length > 0) {
        yield* rescheduleOverflow(deps, overflowed, yield* Clock.currentTimeMillis).pipe(
          Effect.catchAllCause((cause) =>
            Effect.logWarning("Dispatcher: rescheduling claimed deliveries failed", cause)
          )
        )
      }
      if (stale.length > 0) yield* deps.release(stale.map((job) => job.item))
    })

    /**
     * Starts the claimed deliveries; `loaded` holds their contexts when the queue loaded them with the claim. Should a
     * step fail, only the items not yet handed to the line ahead go back to the queue: an item whose attempt runs (or
     * will) stays leased until its result is written or its lease expires, or it would be claimed and sent again
     * while the first send runs.
     */
    const dispatch = (
      items: ReadonlyArray<ClaimedItem>,
      now: number,
      loaded: ReadonlyArray<ClaimedForDispatch> | undefined
    ) => {
      const handedOff = new Set<ClaimedItem>()
      // Claimed too often without a result: never released (that would reset their count), whatever fails below;
      // their leases expire and the next claim fails them again (see claimCap.ts).
      for (const item of items) if (claimCap.exceeded(item, deps.maxClaims)) handedOff.add(item)
      return Effect.gen(function*() {
        const contexts = new Map<string, Model.DispatchContext>()
        if (loaded === undefined) {
          for (const ctx of yield* storage.loadForDispatch(items.map((i) => i.id))) contexts.set(ctx.delivery.id, ctx)
        } else {
          for (const { context } of loaded) if (context !== undefined) contexts.set(context.delivery.id, context)
        }
        yield* updateEach(items, (item) => Math.max(0, now - item.runAt))
        // The claim's span, when one was made (`Effect.currentSpan` would build an exception per claim when not):
        // each attempt's span is its child.
        const parent = Option.getOrUndefined(yield* Effect.serviceOption(Tracer.ParentSpan))
        const sorted = yield* classify(deps, items, now, contexts, parent)
        for (const job of sorted.ready) handedOff.add(job.item)
        if (!ahead.stopped) ahead.push(sorted.ready)
        if (sorted.failedDisabled.length > 0) yield* failDisabled(deps, sorted.failedDisabled, now)
        if (sorted.exhausted.length > 0) {
          yield* claimCap.fail(deps, sorted.exhausted, now)
          for (const { item } of sorted.exhausted) sorted.done.push(item)
        }
        if (sorted.done.length > 0) yield* queue.complete(sorted.done)
        if (sorted.later.length > 0) yield* queue.reschedule(sorted.later)
      }).pipe(
        Effect.tapErrorCause((cause) => {
          const unstarted = items.filter((item) => !handedOff.has(item))
          return Effect.zipRight(
            Effect.logWarning(
              `Dispatcher: dispatching claimed deliveries failed; ${unstarted.length} not started return to the queue`,
              cause
            ),
            unstarted.length === 0 ? Effect.void : deps.release(unstarted)
          )
        })
      )
    }

    const claimLoop = Effect.gen(function*() {
      while (true) {
        yield* wake.await
        if (ahead.overflowed.length > 0 || ahead.stale.length > 0) yield* returnUnlaunched
        if (wanted() < minClaim) {
          // Checked and closed in one step: `fill` (which reopens it) cannot run in between.
          wake.unsafeClose()
          continue
        }
        if (ahead.size === 0 && capacity.free < minClaim) {
          // Slots free up one response at a time: rather than claiming (and loading, and tracing) one delivery per
          // freed slot, let the responses already read in this turn of the event loop free theirs, and claim them
          // together. One macrotask, not a timer: a millisecond without claiming would leave slots idle.
          yield* nextMacrotask
        }
        let now = yield* Clock.currentTimeMillis
        if (drained) {
          // The last claim took everything that was due: rather than claim again (a write, in a database), ask the
          // queue when work is next due — at once, if more came meanwhile.
          drained = false
          yield* queue.awaitWork({ now, maxWaitMs: pollMs })
          now = yield* Clock.currentTimeMillis
        }
        const max = wanted()
        if (max <= 0) continue
        const loaded = queue.claimForDispatch === undefined
          ? undefined
          : yield* queue.claimForDispatch({ max, leaseMs, now })
        const items = loaded === undefined ? yield* queue.claim({ max, leaseMs, now }) : loaded.map((c) => c.item)
        if (items.length === 0) {
          yield* queue.awaitWork({ now, maxWaitMs: pollMs })
          continue
        }
        drained = items.length < max
        // `traced`: the span `Effect.withSpan` would make, in fewer runtime steps (a claim per message at low load).
        yield* attemptInternal.traced(dispatch(items, now, loaded), "Dispatcher.claim", {
          attributes: { "hookwire.claimed": items.length }
        })
      }
    })

    // Supervised: a defect is logged with its cause and the fiber restarts; the scope interrupts it when it closes.
    const fiber = yield* supervise.supervised("Dispatcher.claimLoop", claimLoop)
    return {
      stop: Effect.suspend(() => {
        ahead.stopped = true
        return Fiber.interrupt(fiber)
      }),
      takeAhead: () => {
        const all = [...ahead.takeAll(), ...ahead.overflowed, ...ahead.stale]
        ahead.overflowed = []
        ahead.stale = []
        return all
      },
      dropAhead: (endpointId) => ahead.drop(endpointId)
    } satisfies Claimer
  })
