/**
 * The Promise API's runtime, made to survive a late database. `ManagedRuntime` builds its layer on first use and
 * caches the result — a failed build too: with Postgres not up yet when the host's app boots, every later call would
 * fail until a restart. Here the build is retried on a short schedule, and a build that still fails is thrown away, so
 * the next call builds again. Calls reject with the typed error itself (its `_tag` and `code` survive), never a
 * `FiberFailure`.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"

/** The layer's build, retried 4 times within about 1.5 s before the call that started it fails. */
export const buildRetry: Schedule.Schedule<unknown> = Schedule.exponential("100 millis", 2).pipe(
  Schedule.intersect(Schedule.recurs(4))
)

/**
 * @since 0.1.0
 */
export interface Resilient<R> {
  /** The runtime in use now (a new one after a failed build). */
  readonly current: () => ManagedRuntime.ManagedRuntime<R, unknown>
  /** Runs `effect`, building the layer first if needed; rejects with the typed error (or the build's). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, R>) => Promise<A>
  /** Disposes the runtime in use (never rejects because of a failed build). */
  readonly dispose: () => Promise<void>
}

/** The error a failed exit stands for: the typed failure itself, or the defect, or the interruption. */
export const errorOf = (cause: Cause.Cause<unknown>): unknown => Cause.squash(cause)

/** Resolves with the exit's value or rejects with its error. */
export const settle = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  throw errorOf(exit.cause)
}

export const make = <R>(
  layer: Layer.Layer<R, unknown>,
  schedule: Schedule.Schedule<unknown> = buildRetry
): Resilient<R> => {
  const fresh = () => ManagedRuntime.make(Layer.retry(layer, schedule))
  let runtime = fresh()

  const ready = async (): Promise<Runtime.Runtime<R>> => {
    const used = runtime
    const exit = await Effect.runPromiseExit(used.runtimeEffect)
    if (Exit.isSuccess(exit)) return exit.value
    // ManagedRuntime caches a failed build: replace it (unless another call already did) so the next call builds
    // again, and release whatever the failed build had acquired.
    if (runtime === used) runtime = fresh()
    await Effect.runPromise(used.disposeEffect)
    throw errorOf(exit.cause)
  }

  return {
    current: () => runtime,
    run: async (effect) => settle(await Runtime.runPromiseExit(await ready())(effect)),
    dispose: () => runtime.dispose()
  }
}
