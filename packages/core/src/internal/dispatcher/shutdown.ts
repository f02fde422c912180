/**
 * The dispatcher's graceful shutdown, run by its scope's finalizer: stop claiming, return deliveries waiting for
 * their endpoint, let in-flight attempts finish within the grace period (interrupting and releasing the rest), then
 * write every result there is. All of it within one deadline: a queue or storage call that never answers (a
 * `release` to a dead Redis) must not hold `Scope.close` forever. Whatever the deadline cuts short is left to the
 * leases: those deliveries are claimed again once their leases expire (at-least-once).
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { ClaimedItem, DeliveryQueue } from "../../DeliveryQueue.js"
import * as supervise from "./supervise.js"

/** The steps of each part of the dispatcher that shutdown runs in order (each part owns what it stops). */
export interface Stopping {
  readonly graceMs: number
  readonly deadlineMs: number
  /** Stops the claim loop (the claimer). */
  readonly stopClaiming: Effect.Effect<void>
  /** Takes the deliveries waiting for their endpoint's in-flight cap (they were never started). */
  readonly takeWaiting: () => ReadonlyArray<ClaimedItem>
  /** Open while no attempt is in flight. */
  readonly idle: Effect.Latch
  /** Stops the worker fibers (interrupting attempts still in flight: each releases its delivery). */
  readonly stopWorkers: Effect.Effect<void>
  /** Takes the deliveries handed to no worker yet. */
  readonly takeUnstarted: () => ReadonlyArray<ClaimedItem>
  /** Writes what the result writer holds and stops it; returns how many results were left unwritten. */
  readonly drainWriter: (graceMs: number) => Effect.Effect<number>
  /** Returns items to the queue, best effort (never fails). */
  readonly release: (items: ReadonlyArray<ClaimedItem>) => Effect.Effect<void>
}

const steps = (s: Stopping) =>
  Effect.gen(function*() {
    // 1. Stop claiming (the claim loop is interruptible between its steps).
    yield* s.stopClaiming
    // 2. Deliveries waiting for their endpoint go back to the queue untouched.
    yield* s.release(s.takeWaiting())
    // 3. Let in-flight attempts finish within the grace period; interrupt (and release) the rest.
    yield* s.idle.await.pipe(Effect.timeout(s.graceMs), Effect.ignore)
    yield* s.stopWorkers
    // Jobs no worker started (their fibers would have been interrupted before running): back to the queue at once.
    yield* s.release(s.takeUnstarted())
    // 4. Write every result we have.
    const unwritten = yield* s.drainWriter(s.graceMs)
    if (unwritten > 0) {
      yield* Effect.logWarning(
        `Dispatcher: ${unwritten} results could not be written before shutdown; their leases will expire and ` +
          `they will be attempted again`
      )
    }
  })

/** Returns claimed items to the queue; once shutdown has begun (`begin`), every release ends by its deadline. */
export interface Releaser {
  readonly begin: () => void
  readonly release: (items: ReadonlyArray<ClaimedItem>) => Effect.Effect<void>
}

/**
 * Best effort and bounded, even inside an uninterruptible finalizer (an interrupted attempt's): a release that never
 * answers must not hold shutdown; the lease returns the item anyway.
 */
export const releaser = (queue: DeliveryQueue["Type"], clock: Clock.Clock, deadlineMs: number): Releaser => {
  // When shutdown began: every release from then on ends by the shutdown's deadline.
  let shutdownAt: number | undefined
  return {
    begin: () => {
      shutdownAt = clock.unsafeCurrentTimeMillis()
    },
    release: (items) =>
      items.length === 0 ?
        Effect.void :
        Effect.suspend(() =>
          supervise.bestEffort("Dispatcher: releasing claimed deliveries")(
            supervise.bounded(
              queue.release(items),
              shutdownAt === undefined
                ? deadlineMs
                : Math.max(0, shutdownAt + deadlineMs - clock.unsafeCurrentTimeMillis())
            )
          )
        )
  }
}

/**
 * Runs the shutdown within its deadline. Finalizers run uninterruptibly: the steps are made interruptible (so their
 * timeouts fire) and disconnected (so the deadline does not wait for a step that cannot be interrupted, such as an
 * attempt's own release in its finalizer): see `supervise.bounded`. Never fails: a defect is logged.
 */
export const stop = (s: Stopping): Effect.Effect<void> =>
  supervise.bounded(steps(s), s.deadlineMs).pipe(
    Effect.catchAllCause((cause) =>
      Effect.logWarning(
        `Dispatcher: shutdown did not finish within ${s.deadlineMs} ms (or failed); what is left returns to the ` +
          `queue when its leases expire`,
        cause
      )
    )
  )
