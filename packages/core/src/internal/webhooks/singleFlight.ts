/**
 * One run at a time per key, shared: a call made while another with the same key is running waits for that run and
 * gets its result (success or failure) instead of running again. `deliveries.retry` uses it per delivery, so two
 * concurrent retries of one delivery send it once (see recovery.ts). Should the running call be interrupted (its
 * HTTP client went away), a waiter runs the work itself, against what that interruption left.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"

/** @internal */
export interface SingleFlight {
  readonly run: <A, E, R>(key: string, work: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const make = (): SingleFlight => {
  const running = new Map<string, Deferred.Deferred<unknown, unknown>>()
  const run = <A, E, R>(key: string, work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const current = running.get(key) as Deferred.Deferred<A, E> | undefined
      if (current !== undefined) {
        return Effect.catchAllCause(
          Deferred.await(current),
          (cause) => Cause.isInterruptedOnly(cause) ? run(key, work) : Effect.failCause(cause)
        )
      }
      const done = Deferred.unsafeMake<A, E>(FiberId.none)
      running.set(key, done as Deferred.Deferred<unknown, unknown>)
      return Effect.onExit(work, (exit) =>
        Effect.sync(() => {
          if (running.get(key) === done) running.delete(key)
          Deferred.unsafeDone(done, exit)
        }))
    })
  return { run }
}
