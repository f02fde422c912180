/**
 * The dispatcher's graceful shutdown, run by its scope's finalizer: stop claiming, return deliveries waiting for
 * their endpoint, let in-flight attempts finish within the grace period (interrupting and releasing the rest), then
 * write every result there is. All of it within one deadline: a queue or storage call that never answers (a
 * `release` to a dead Redis) must not hold `Scope.close` forever. Whatever the deadline cuts short is left to the
 * leases: those deliveries are claimed again once their leases expire (at-least-once).
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type { ClaimedItem } from "../../Queue.js"
import * as supervise from "./supervise.js"

/** The dispatcher's state and handles that shutdown needs (it owns none of them). */
export interface Stopping {
  readonly claimFiber: Fiber.Fiber<unknown, unknown>
  readonly writerFiber: Fiber.Fiber<unknown, unknown>
  readonly graceMs: number
  readonly deadlineMs: number
  /** Takes the deliveries waiting for their endpoint's in-flight cap (they were never started). */
  readonly takeWaiting: () => ReadonlyArray<ClaimedItem>
  /** Open while no attempt is in flight. */
  readonly idle: Effect.Latch
  /** Stops the worker fibers (interrupting attempts still in flight: each releases its delivery). */
  readonly stopWorkers: Effect.Effect<void>
  /** Takes the deliveries handed to no worker yet. */
  readonly takeUnstarted: () => ReadonlyArray<ClaimedItem>
  /** Asks the writer to stop once the results are written; true when it is idle with nothing to write. */
  readonly stopWriter: Effect.Effect<boolean>
  readonly takeUnwritten: Effect.Effect<Iterable<unknown>>
  /** Returns items to the queue, best effort (never fails). */
  readonly release: (items: ReadonlyArray<ClaimedItem>) => Effect.Effect<void>
}

const steps = (s: Stopping) =>
  Effect.gen(function*() {
    // 1. Stop claiming (the claim loop is interruptible between its steps).
    yield* Fiber.interrupt(s.claimFiber)
    // 2. Deliveries waiting for their endpoint go back to the queue untouched.
    yield* s.release(s.takeWaiting())
    // 3. Let in-flight attempts finish within the grace period; interrupt (and release) the rest.
    yield* s.idle.await.pipe(Effect.timeout(s.graceMs), Effect.ignore)
    yield* s.stopWorkers
    // Jobs no worker started (their fibers would have been interrupted before running): back to the queue at once.
    yield* s.release(s.takeUnstarted())
    // 4. Write every result we have: an idle writer is stopped, a busy one drains the queue and stops. `await`, not
    // `join`: whatever ended the writer is not this finalizer's failure.
    if (!(yield* s.stopWriter)) {
      yield* Fiber.await(s.writerFiber).pipe(Effect.timeout(Math.max(s.graceMs, 1000)), Effect.ignore)
    }
    yield* Fiber.interrupt(s.writerFiber)
    const unwritten = Array.from(yield* s.takeUnwritten)
    if (unwritten.length > 0) {
      yield* Effect.logWarning(
        `Dispatcher: ${unwritten.length} results could not be written before shutdown; their leases will expire and ` +
          `they will be attempted again`
      )
    }
  })

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
