/**
 * Spans and metric updates for the paths that run once per message (every publish, every attempt): `traced`, a
 * cheaper `Effect.withSpan` that makes no span at all while nothing would export it, and `updateMetrics`, several
 * metrics updated with the fiber's labels in one step. Used by the attempt, the dispatcher and publish.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import type * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

const noTime = BigInt(0)

/**
 * Updates metrics with the fiber's metric labels, in one step: what `Metric.update` does per metric (read the labels,
 * then update), for several metrics at once.
 */
export const updateMetrics = (update: (labels: ReadonlyArray<MetricLabel.MetricLabel>) => void): Effect.Effect<void> =>
  FiberRef.getWith(FiberRef.currentMetricLabels, (labels) => Effect.sync(() => update(labels)))

/** Effect's built-in tracer: it keeps spans in memory and exports them nowhere. */
const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Whether `traced` would make spans in fibers forked from the current one: tracing on and a tracer that exports. */
export const spansMade: Effect.Effect<boolean> = Effect.zipWith(
  FiberRef.get(FiberRef.currentTracerEnabled),
  Effect.tracer,
  (enabled, tracer) => enabled && tracer !== builtInTracer
)

/**
 * `Effect.withSpan(self, name, options)` for the paths that run once per message (every publish, every attempt), in
 * one uninterruptible region instead of two nested ones (`withSpan`'s `onExit` and its `provideService`'s
 * acquire/release): the span is made as `Effect.makeSpan` makes it, is the parent span while `self` runs, and ends
 * with `self`'s exit, as with `Effect.withSpan`. `finalizer`, when given, runs in the same region before the span
 * ends, however `self` ends — like an `Effect.onExit` inside the span; it returns `undefined` when it did all its work
 * when called (the span then ends in the same step). About a third of the runtime steps of `withSpan` + `onExit`.
 * Call-site stack traces are not captured (an `Error` per call).
 *
 * No span is made while tracing is off or the tracer is Effect's built-in one, which exports nothing (install a tracer,
 * e.g. `@effect/opentelemetry`, to get them): a span nobody can see cost a copy of the fiber's context and refs per
 * attempt — measured with callgrind, ≈ 23,000 instructions per message.
 */
export const traced = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  name: string,
  options: {
    readonly parent?: Tracer.AnySpan | undefined
    readonly attributes?: Record<string, unknown> | undefined
    /**
     * Leave the span in the fiber's context after `self` (default false: the context is restored). For a fiber that
     * runs nothing else between two such calls but waits for its next one (a Dispatcher worker), which sets its own
     * span on the same base context: it saves copying the fiber's refs once per call. A finalizer that dies skips
     * the restore either way.
     */
    readonly keepContext?: boolean | undefined
    /** The span's kind (default `internal`): an attempt is a `client` span. */
    readonly kind?: Tracer.SpanKind | undefined
    /**
     * Called when a span was made, right before it ends: may add attributes learned during `self`, and returns the
     * exit the span ends with (an attempt that got a 500 succeeded as an effect, but its span ends in error).
     */
    readonly ending?: ((span: Tracer.Span, exit: Exit.Exit<A, E>) => Exit.Exit<unknown, unknown>) | undefined
  },
  finalizer?: (exit: Exit.Exit<A, E>) => Effect.Effect<void> | undefined
): Effect.Effect<A, E, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A, E, R>((fiber) => {
      if (
        !fiber.getFiberRef(FiberRef.currentTracerEnabled) ||
        Context.get(fiber.currentDefaultServices, Tracer.Tracer) === builtInTracer
      ) {
        return finalizer === undefined
          ? restore(self)
          : Effect.matchCauseEffect(restore(self), {
            onFailure: (cause) => finalized(finalizer, Exit.failCause(cause)),
            onSuccess: (a) => finalized(finalizer, Exit.succeed(a))
          })
      }
      const spanOptions = {
        parent: options.parent,
        attributes: options.attributes,
        kind: options.kind,
        captureStackTrace: false
      }
      // A child of a given parent, with tracing on (every attempt): made here, in this step. Otherwise (a root span,
      // or tracing off) by `Effect.makeSpan` itself.
      return options.parent !== undefined && fiber.getFiberRef(FiberRef.currentTracerEnabled)
        ? within(fiber, childSpan(fiber, name, options.parent, spanOptions), restore(self), finalizer, options)
        : Effect.flatMap(
          Effect.makeSpan(name, spanOptions),
          (span) => within(fiber, span, restore(self), finalizer, options)
        )
    })
  )

/** `finalizer(exit)`, then `exit`. */
const finalized = <A, E>(
  finalizer: (exit: Exit.Exit<A, E>) => Effect.Effect<void> | undefined,
  exit: Exit.Exit<A, E>
): Effect.Effect<A, E> => {
  const finalizing = finalizer(exit)
  return finalizing === undefined ? exit : Effect.zipRight(finalizing, exit)
}

/**
 * `Effect.makeSpan` for a span with a given parent, with tracing enabled: what it does, without reading the fiber's
 * refs through `getFiberRefs` (which copies them, on every span).
 */
const childSpan = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  name: string,
  parent: Tracer.AnySpan,
  options: Tracer.SpanOptions
): Tracer.Span => {
  const services = fiber.currentDefaultServices
  const clock = Context.get(services, Clock.Clock)
  const span = Context.get(services, Tracer.Tracer).span(
    name,
    Option.some(parent),
    Context.empty(),
    Chunk.toReadonlyArray(fiber.getFiberRef(FiberRef.currentTracerSpanLinks)),
    fiber.getFiberRef(FiberRef.currentTracerTimingEnabled) ? clock.unsafeCurrentTimeNanos() : noTime,
    options.kind ?? "internal",
    options
  )
  const annotations = fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations)
  if (HashMap.size(annotations) > 0) HashMap.forEach(annotations, (value, key) => span.attribute(key, value))
  if (options.attributes !== undefined) {
    for (const [key, value] of Object.entries(options.attributes)) span.attribute(key, value)
  }
  return span
}

/**
 * Runs `self` with `span` as the parent span; then the finalizer, the span's end, and the context as it was. A
 * finalizer that did all its work when called returns `undefined` rather than an effect: the span then ends in the
 * same step.
 */
const within = <A, E, R>(
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  span: Tracer.Span,
  self: Effect.Effect<A, E, R>,
  finalizer: ((exit: Exit.Exit<A, E>) => Effect.Effect<void> | undefined) | undefined,
  options: {
    readonly keepContext?: boolean | undefined
    readonly ending?: ((span: Tracer.Span, exit: Exit.Exit<A, E>) => Exit.Exit<unknown, unknown>) | undefined
  }
): Effect.Effect<A, E, R> => {
  const ending: Ending<A, E> = {
    fiber,
    span,
    finalizer,
    previous: fiber.currentContext,
    keep: options.keepContext,
    ending: options.ending
  }
  return Effect.zipRight(
    FiberRef.set(FiberRef.currentContext, Context.add(ending.previous, Tracer.ParentSpan, span)),
    // `matchCauseEffect` rather than `flatMap(exit(self), …)`: two runtime steps fewer.
    Effect.matchCauseEffect(self, { onFailure: failedWithin(ending), onSuccess: succeededWithin(ending) })
  )
}

/** What `within` needs once `self` has ended. */
interface Ending<A, E> {
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly span: Tracer.Span
  readonly finalizer: ((exit: Exit.Exit<A, E>) => Effect.Effect<void> | undefined) | undefined
  readonly previous: Context.Context<never>
  readonly keep: boolean | undefined
  readonly ending: ((span: Tracer.Span, exit: Exit.Exit<A, E>) => Exit.Exit<unknown, unknown>) | undefined
}

const failedWithin = <A, E>(ending: Ending<A, E>) => (cause: Cause.Cause<E>): Effect.Effect<A, E> =>
  end(ending, Exit.failCause(cause))

const succeededWithin = <A, E>(ending: Ending<A, E>) => (a: A): Effect.Effect<A, E> => end(ending, Exit.succeed(a))

/** The finalizer, the span's end, and the context as it was (unless kept); then `exit`. */
const end = <A, E>(
  { ending, fiber, finalizer, keep, previous, span }: Ending<A, E>,
  exit: Exit.Exit<A, E>
): Effect.Effect<A, E> => {
  const finalizing = finalizer === undefined ? undefined : finalizer(exit)
  const restored = keep === true ? exit : Effect.zipRight(FiberRef.set(FiberRef.currentContext, previous), exit)
  const spanExit = ending === undefined ? exit : ending(span, exit)
  if (finalizing === undefined) {
    endSpan(fiber, span, spanExit)
    return restored
  }
  return Effect.zipRight(finalizing, Effect.zipRight(Effect.sync(() => endSpan(fiber, span, spanExit)), restored))
}

const endSpan = (fiber: Fiber.RuntimeFiber<unknown, unknown>, span: Tracer.Span, exit: Exit.Exit<unknown, unknown>) => {
  if (span.status._tag === "Ended") return
  const timed = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
  span.end(timed ? Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeNanos() : noTime, exit)
}
