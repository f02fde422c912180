/**
 * One HTTP attempt for a delivery: sign with every active secret, send through the Transport, and describe what
 * happened as an `AttemptRecord` plus a `RetryPolicy.Outcome`. Shared by the Dispatcher (scheduled attempts) and
 * `Webhooks.deliveries.retry` (manual attempts), so both sign and record exactly alike.
 */
import type * as Verify from "@hookwire/verify"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import type * as MetricLabel from "effect/MetricLabel"
import * as Tracer from "effect/Tracer"
import * as Id from "../Id.js"
import type * as Model from "../Model.js"
import type * as RetryPolicy from "../RetryPolicy.js"
import type * as Settings from "../Settings.js"
import type { Transport } from "../Transport.js"

const noTime = BigInt(0)

/**
 * Updates metrics with the fiber's metric labels, in one step: what `Metric.update` does per metric (read the labels,
 * then update), for several metrics at once.
 */
export const updateMetrics = (update: (labels: ReadonlyArray<MetricLabel.MetricLabel>) => void): Effect.Effect<void> =>
  FiberRef.getWith(FiberRef.currentMetricLabels, (labels) => Effect.sync(() => update(labels)))

/**
 * `Effect.withSpan(self, name, options)` for the paths that run once per message (every publish, every attempt), in
 * one uninterruptible region instead of two nested ones (`withSpan`'s `onExit` and its `provideService`'s
 * acquire/release): the span is made with `Effect.makeSpan`, is the parent span while `self` runs, and ends with
 * `self`'s exit, as with `Effect.withSpan`. `finalizer`, when given, runs in the same region before the span ends,
 * however `self` ends — like an `Effect.onExit` inside the span. About half the runtime steps of `withSpan` + `onExit`.
 * Call-site stack traces are not captured (an `Error` per call).
 */
export const traced = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  name: string,
  options: {
    readonly parent?: Tracer.AnySpan | undefined
    readonly attributes?: Record<string, unknown> | undefined
  },
  finalizer?: (exit: Exit.Exit<A, E>) => Effect.Effect<void>
): Effect.Effect<A, E, R> =>
  Effect.flatMap(
    Effect.makeSpan(name, { parent: options.parent, attributes: options.attributes, captureStackTrace: false }),
    (span) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.withFiberRuntime<A, E, R>((fiber) => {
          const previous = fiber.currentContext
          const close = (exit: Exit.Exit<A, E>): Effect.Effect<A, E> => {
            const end = Effect.zipRight(
              Effect.sync(() => {
                if (span.status._tag === "Ended") return
                const timed = fiber.getFiberRef(FiberRef.currentTracerTimingEnabled)
                span.end(
                  timed ? Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeNanos() : noTime,
                  exit
                )
              }),
              Effect.zipRight(FiberRef.set(FiberRef.currentContext, previous), exit)
            )
            return finalizer === undefined ? end : Effect.zipRight(finalizer(exit), end)
          }
          return Effect.zipRight(
            FiberRef.set(FiberRef.currentContext, Context.add(previous, Tracer.ParentSpan, span)),
            Effect.matchCauseEffect(restore(self), {
              onFailure: (cause) => close(Exit.failCause(cause)),
              onSuccess: (a) => close(Exit.succeed(a))
            })
          )
        })
      )
  )

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
): Effect.Effect<AttemptOutcome> => {
  const { delivery, endpoint, message } = ctx
  const startedAt = clock.unsafeCurrentTimeMillis()
  const id = Id.make("atm", startedAt)
  // Spelled out rather than `{ ...base, durationMs, … }`: V8 (Node 20) takes a slow path, microseconds each, for
  // object spreads that add new properties, and this runs for every attempt.
  const record = (
    durationMs: number,
    responseStatus: number | null,
    responseBody: string | null,
    errorKind: Model.AttemptRecord["errorKind"],
    errorMessage: string | null
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
    errorMessage
  })
  let signature: Readonly<Record<string, string>>
  try {
    signature = schemeFor(settings, endpoint).sign({
      id: settings.signatureId === "delivery" ? delivery.id : message.id,
      timestamp: Math.floor(startedAt / 1000),
      body: message.body,
      secrets: activeSecrets(settings, endpoint, startedAt)
    })
  } catch (error) {
    // Never include the secret: the scheme's errors describe the problem without it.
    const message = `signing failed: ${error instanceof Error ? error.message : String(error)}`
    return Effect.succeed(
      {
        record: record(0, null, null, "unknown", message),
        outcome: { _tag: "TransportError", kind: "unknown" }
      } satisfies AttemptOutcome
    )
  }
  const headers: Record<string, string> = {
    ...endpoint.headers,
    "content-type": "application/json",
    "user-agent": settings.userAgent,
    ...signature
  }
  return Effect.match(
    transport.send({
      url: endpoint.url,
      headers,
      body: message.body,
      timeoutMs: Math.min(endpoint.timeoutMs ?? settings.timeoutMs, maxTimeoutMs),
      maxResponseBytes: settings.maxResponseBytes
    }),
    {
      onFailure: (error): AttemptOutcome => ({
        record: record(clock.unsafeCurrentTimeMillis() - startedAt, null, null, error.reason, error.message),
        outcome: { _tag: "TransportError", kind: error.reason }
      }),
      onSuccess: (response): AttemptOutcome => {
        return {
          record: record(clock.unsafeCurrentTimeMillis() - startedAt, response.status, response.body, null, null),
          outcome: { _tag: "Response", status: response.status, retryAfter: response.headers["retry-after"] }
        }
      }
    }
  )
}
