/**
 * One HTTP attempt for a delivery: sign with every active secret, send through the Transport, and describe what
 * happened as an `AttemptRecord` plus a `RetryPolicy.Outcome`. Shared by the Dispatcher (scheduled attempts) and
 * `Webhooks.deliveries.retry` (manual attempts), so both sign and record exactly alike.
 */
import type * as Verify from "@hookwire/verify"
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
import type { TransportError } from "../Errors.js"
import * as Id from "../Id.js"
import type * as Model from "../Model.js"
import type * as RetryPolicy from "../RetryPolicy.js"
import type * as Settings from "../Settings.js"
import type { Transport, TransportRequest, TransportResponse } from "../Transport.js"
import * as defect from "./defect.js"
import * as openedTransport from "./webhooks/openedTransport.js"

const noTime = BigInt(0)

/**
 * Updates metrics with the fiber's metric labels, in one step: what `Metric.update` does per metric (read the labels,
 * then update), for several metrics at once.
 */
export const updateMetrics = (update: (labels: ReadonlyArray<MetricLabel.MetricLabel>) => void): Effect.Effect<void> =>
  FiberRef.getWith(FiberRef.currentMetricLabels, (labels) => Effect.sync(() => update(labels)))

/** Effect's built-in tracer: it keeps spans in memory and exports them nowhere. */
const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

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

/** The plain secrets that sign now, newest first (single-signature schemes sign with the newest only). */
export const activeSecrets = (
  settings: Settings.Resolved,
  endpoint: Model.EndpointRecord,
  now: number
): Array<string> => {
  const out: Array<string> = []
  for (let i = endpoint.secrets.length - 1; i >= 0; i--) {
    const s = endpoint.secrets[i]!
    if (s.expiresAt === null || s.expiresAt > now) out.push(settings.secrets.open(endpoint, s.value))
  }
  return out
}

export const schemeFor = (settings: Settings.Resolved, endpoint: Model.EndpointRecord): Verify.Scheme =>
  (endpoint.scheme !== null ? settings.schemes.get(endpoint.scheme) : undefined) ?? settings.scheme

export interface AttemptOutcome {
  readonly record: Model.AttemptRecord
  readonly outcome: RetryPolicy.Outcome
}

/**
 * Signs and sends one attempt. Written as one `Effect.match` over the send rather than a generator: this runs once per
 * delivery, and every step saved here is saved on every webhook. Both times come from the fiber's `Clock` (read once
 * for the service, then synchronously), so `TestClock` drives them as before.
 */
export const perform = (
  settings: Settings.Resolved,
  transport: Transport["Type"],
  ctx: Model.DispatchContext,
  trigger: Model.AttemptTrigger,
  maxTimeoutMs: number = Infinity
): Effect.Effect<AttemptOutcome> =>
  Effect.clockWith((clock) => performWith(clock, settings, transport, ctx, trigger, maxTimeoutMs))

/**
 * `perform` with a given Clock service (the Dispatcher reads it once, not once per attempt). Not lazy: it signs and
 * reads the start time when called, so call it when the attempt starts (inside `Effect.suspend` or a `flatMap`).
 */
export const performWith = (
  clock: Clock.Clock,
  settings: Settings.Resolved,
  transport: Transport["Type"],
  ctx: Model.DispatchContext,
  trigger: Model.AttemptTrigger,
  maxTimeoutMs: number = Infinity
): Effect.Effect<AttemptOutcome> => performThen(clock, settings, transport, ctx, trigger, maxTimeoutMs, Effect.succeed)

/**
 * `Effect.flatMap(performWith(…), then)`, in one step fewer: `then` is called with the outcome where the send
 * completes. Not lazy, like `performWith`.
 */
export const performThen = <B, E, R>(
  clock: Clock.Clock,
  settings: Settings.Resolved,
  transport: Transport["Type"],
  ctx: Model.DispatchContext,
  trigger: Model.AttemptTrigger,
  maxTimeoutMs: number,
  then: (outcome: AttemptOutcome) => Effect.Effect<B, E, R>
): Effect.Effect<B, E, R> => {
  const { delivery, endpoint, message } = ctx
  const startedAt = clock.unsafeCurrentTimeMillis()
  const started: Started = { ctx, id: Id.make("atm", startedAt), trigger, startedAt, clock, requestHeaders: null }
  let signature: Readonly<Record<string, string>>
  let secrets: ReadonlyArray<string> = []
  let opened: openedTransport.Opened | undefined
  if (endpoint.transport != null) {
    try {
      opened = openedTransport.open(settings, endpoint)
    } catch (error) {
      // Never a value: opening and lookup errors describe the problem without it.
      return then({
        record: record(started, 0, null, null, "unknown", error instanceof Error ? error.message : String(error)),
        outcome: { _tag: "TransportError", kind: "unknown" }
      })
    }
  }
  try {
    secrets = activeSecrets(settings, endpoint, startedAt)
    signature = schemeFor(settings, endpoint).sign({
      id: settings.signatureId === "delivery" ? delivery.id : message.id,
      timestamp: Math.floor(startedAt / 1000),
      body: message.body,
      secrets
    })
  } catch (error) {
    // Never include the secret: the scheme's errors describe the problem without it.
    const message = `signing failed: ${error instanceof Error ? error.message : String(error)}`
    return then({
      record: record(started, 0, null, null, "unknown", message),
      outcome: { _tag: "TransportError", kind: "unknown" }
    })
  }
  const headers: Record<string, string> = {
    ...endpoint.headers,
    ...opened?.headers,
    "content-type": "application/json",
    "user-agent": settings.userAgent,
    ...signature
  }
  started.requestHeaders = loggedHeaders(
    opened === undefined ? endpoint.headers : { ...endpoint.headers, ...opened.logged },
    settings.userAgent,
    schemeFor(settings, endpoint),
    signature
  )
  let sent: Effect.Effect<TransportResponse, TransportError>
  try {
    const request: TransportRequest = {
      url: endpoint.url,
      headers,
      body: message.body,
      timeoutMs: Math.min(endpoint.timeoutMs ?? settings.timeoutMs, maxTimeoutMs),
      maxResponseBytes: settings.maxResponseBytes,
      proxy: opened?.proxy,
      tls: opened?.tls
    }
    sent = opened === undefined ? transport.send(request) : openedTransport.send(settings, transport, opened, request)
  } catch (error) {
    // A transport that throws rather than returning an effect (host code): a defect, recorded like one.
    sent = Effect.die(error)
  }
  // `matchCauseEffect` rather than `matchEffect`, at no extra step: a transport that dies is an attempt that failed
  // (error kind `unknown`), recorded and retried per policy, not a delivery sent again after every lease.
  return Effect.matchCauseEffect(sent, {
    onFailure: (cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const error = Cause.failureOption(cause)
      return error._tag === "Some"
        ? failed(started, then)(error.value)
        : died(started, then, cause, opened === undefined ? secrets : [...secrets, ...opened.values])
    },
    onSuccess: answered(started, then)
  })
}

/** What an attempt's record needs from its start. */
interface Started {
  readonly ctx: Model.DispatchContext
  readonly id: string
  readonly trigger: Model.AttemptTrigger
  readonly startedAt: number
  readonly clock: Clock.Clock
  /** The request's headers as the delivery log shows them (set once signed): see `loggedHeaders`. */
  requestHeaders: Readonly<Record<string, string>> | null
}

/**
 * The headers of an attempt's request for its log: the endpoint's own, content type, user agent and the scheme's id
 * header — without the signature and its timestamp, which say nothing to a reader and change on every attempt.
 */
const loggedHeaders = (
  own: Readonly<Record<string, string>>,
  userAgent: string,
  scheme: { readonly idHeader: string | undefined },
  signature: Readonly<Record<string, string>>
): Readonly<Record<string, string>> => {
  const out: Record<string, string> = { ...own, "content-type": "application/json", "user-agent": userAgent }
  if (scheme.idHeader !== undefined && signature[scheme.idHeader] !== undefined) {
    out[scheme.idHeader] = signature[scheme.idHeader]
  }
  return out
}

// Module-level functions, and handlers returned by them, rather than named closures declared in `performThen` on
// every attempt (each also costs a `__name` call where the source is transpiled with esbuild's `keepNames`, as tsx
// does).

const failed =
  <B, E, R>(started: Started, then: (outcome: AttemptOutcome) => Effect.Effect<B, E, R>) =>
  (error: TransportError): Effect.Effect<B, E, R> =>
    then({
      record: record(
        started,
        started.clock.unsafeCurrentTimeMillis() - started.startedAt,
        null,
        null,
        error.code,
        error.message
      ),
      outcome: { _tag: "TransportError", kind: error.code }
    })

const died = <B, E, R>(
  started: Started,
  then: (outcome: AttemptOutcome) => Effect.Effect<B, E, R>,
  cause: Cause.Cause<unknown>,
  secrets: ReadonlyArray<string>
): Effect.Effect<B, E, R> =>
  then({
    record: record(
      started,
      started.clock.unsafeCurrentTimeMillis() - started.startedAt,
      null,
      null,
      "unknown",
      defect.describe(cause, secrets)
    ),
    outcome: { _tag: "TransportError", kind: "unknown" }
  })

const answered =
  <B, E, R>(started: Started, then: (outcome: AttemptOutcome) => Effect.Effect<B, E, R>) =>
  (response: TransportResponse): Effect.Effect<B, E, R> =>
    then({
      record: record(
        started,
        started.clock.unsafeCurrentTimeMillis() - started.startedAt,
        response.status,
        response.body,
        null,
        null,
        response.headers
      ),
      outcome: { _tag: "Response", status: response.status, retryAfter: response.headers["retry-after"] }
    })

// Spelled out rather than `{ ...base, durationMs, … }`: V8 (Node 20) takes a slow path, microseconds each, for object
// spreads that add new properties, and this runs for every attempt.
const record = (
  { ctx: { delivery, endpoint, message }, id, requestHeaders, startedAt, trigger }: Started,
  durationMs: number,
  responseStatus: number | null,
  responseBody: string | null,
  errorKind: Model.AttemptRecord["errorKind"],
  errorMessage: string | null,
  responseHeaders: Readonly<Record<string, string>> | null = null
): Model.AttemptRecord => ({
  id,
  tenant: delivery.tenant,
  deliveryId: delivery.id,
  messageId: message.id,
  endpointId: endpoint.id,
  attempt: delivery.attempts + 1,
  trigger,
  url: endpoint.url,
  startedAt,
  durationMs,
  responseStatus,
  responseBody,
  errorKind,
  errorMessage,
  requestHeaders,
  responseHeaders
})
