/**
 * How the engine runs its long-lived fibers (the dispatcher's claim loop and result writer, the sweeper) and retries
 * its storage writes: as `SqlPersistedQueue`'s poll loop and `Sharding`'s fibers do in Effect's own packages. A typed
 * failure and a defect (`Effect.die`: a corrupt row through hand-written decoding, a host's Transport or RateLimiter
 * that throws) are treated alike — logged with their cause and retried on a schedule — so one unexpected error never
 * stops delivery for good. Interruption is never retried: it is how a scope stops its fibers.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"

/** Storage, queue or fiber trouble: retried with a backoff from 50 ms, capped at 5 s, forever. */
export const backoff: Schedule.Schedule<unknown> = Schedule.exponential("50 millis", 2).pipe(
  Schedule.union(Schedule.spaced("5 seconds"))
)

/** Whether a cause is worth retrying: anything but an interruption (a scope stopping the fiber). */
const retryable = (cause: Cause.Cause<unknown>): boolean => !Cause.isInterruptedOnly(cause)

/**
 * `self`, retried on `schedule` after any failure or defect (never after an interruption), with the schedule's
 * driver built only once `self` has failed: almost every write succeeds at once, and at low load building the driver
 * for every write cost a third of a message's runtime steps. The first failure is replayed as the retry's first
 * attempt, so the delays between attempts are exactly the schedule's. What still fails (an interruption) keeps its
 * cause.
 */
export const retrying =
  (schedule: Schedule.Schedule<unknown> = backoff) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.catchAllCause(self, (first) => {
      if (!retryable(first)) return Effect.failCause(first)
      let replay = true
      return Effect.unsandbox(
        Effect.retry(
          Effect.sandbox(Effect.suspend(() => {
            if (!replay) return self
            replay = false
            return Effect.failCause(first)
          })),
          { schedule, while: retryable }
        )
      )
    })

/** Logs every failure and defect of `self` (not interruptions) as a warning that says what is retried. */
export const logRetry = (what: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tapErrorCause(
    self,
    (cause) => retryable(cause) ? Effect.logWarning(`${what} failed; retrying`, cause) : Effect.void
  )

/**
 * Runs `self` and logs whatever it fails or dies with, never failing itself: for best-effort work whose failure must
 * not stop what follows (returning items to the queue at shutdown, where the lease covers a lost release).
 */
export const bestEffort = (what: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  Effect.catchAllCause(
    Effect.asVoid(self),
    (cause) => retryable(cause) ? Effect.logWarning(`${what} failed`, cause) : Effect.void
  )

/**
 * Forks `self` into the current scope as a supervised fiber: sandboxed (defects are seen as failures), logged with
 * its cause, restarted on `schedule` after every failure, interruptible, and interrupted when the scope closes. It
 * ends only when `self` succeeds (a loop that returns when asked to stop) or is interrupted, so `Fiber.await` on it
 * never re-raises a defect into the scope's finalizer.
 */
export const supervised = <A, E, R>(
  name: string,
  self: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<unknown> = backoff
): Effect.Effect<Fiber.RuntimeFiber<A, never>, never, R | Scope.Scope> =>
  self.pipe(
    Effect.sandbox,
    Effect.tapError((cause) => Effect.logError(`${name} stopped unexpectedly; restarting it`, cause)),
    Effect.retry({ schedule, while: retryable }),
    // Only an interruption gets here (retry gives up on nothing else): the fiber ends interrupted.
    Effect.catchAll((cause) => Effect.failCause(Cause.map(cause, () => undefined as never))),
    Effect.annotateLogs({ fiber: name }),
    Effect.interruptible,
    Effect.forkScoped
  )

/**
 * `self` within `ms`, failing with a `TimeoutException` past it — also inside an uninterruptible region (a
 * finalizer): `self` runs disconnected (the timeout does not wait for it to stop, should it be uninterruptible
 * itself) and the wait for it is interruptible (or the timeout could not end it).
 */
export const bounded = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  ms: number
): Effect.Effect<A, E | Cause.TimeoutException, R> =>
  self.pipe(Effect.interruptible, Effect.disconnect, Effect.interruptible, Effect.timeout(ms))
