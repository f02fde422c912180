/**
 * One HTTP attempt for a delivery: sign with every active secret, send through the Transport, and describe what
 * happened as an `AttemptRecord` plus a `RetryPolicy.Outcome`. Shared by the Dispatcher (scheduled attempts) and
 * `Webhooks.deliveries.retry` (manual attempts), so both sign and record exactly alike. The hot path's spans and
 * metric updates are in `telemetry/hotPath.ts`.
 */
import type * as Verify from "@hookwire/verify"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { TransportError } from "../Errors.js"
import * as Id from "../Id.js"
import type * as Model from "../Model.js"
import type * as RetryPolicy from "../RetryPolicy.js"
import type * as Settings from "../Settings.js"
import type { Transport, TransportRequest, TransportResponse } from "../Transport.js"
import * as defect from "./defect.js"
import * as openedTransport from "./webhooks/openedTransport.js"

// The dispatcher and publish reach these through this module (`attemptInternal.traced`); they live in
// internal/telemetry/hotPath.ts.
export { traced, updateMetrics } from "./telemetry/hotPath.js"

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
 * An attempt signed and ready to send (`begin`): its request, and what its record needs once the send ends.
 */
export interface Begun {
  readonly started: Started
  readonly request: TransportRequest
  /** The endpoint's `transport` settings opened, when it has them (the send then goes through `openedTransport`). */
  readonly opened: openedTransport.Opened | undefined
  /** The plain secrets that signed (scrubbed from a defect's description). */
  readonly secrets: ReadonlyArray<string>
}

/**
 * Starts an attempt, synchronously: reads the start time, opens the endpoint's transport settings, signs, and builds
 * the request — or, when opening or signing fails, the attempt's outcome at once (error kind `unknown`). Shared by
 * `performThen` and the dispatcher's direct sends (`dispatcher/direct.ts`), so both sign and record exactly alike.
 */
export const begin = (
  clock: Clock.Clock,
  settings: Settings.Resolved,
  ctx: Model.DispatchContext,
  trigger: Model.AttemptTrigger,
  maxTimeoutMs: number
): Begun | AttemptOutcome => {
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
      return unknownOutcome(started, error instanceof Error ? error.message : String(error))
    }
  }
  const scheme = schemeFor(settings, endpoint)
  try {
    secrets = activeSecrets(settings, endpoint, startedAt)
    signature = scheme.sign({
      id: settings.signatureId === "delivery" ? delivery.id : message.id,
      timestamp: Math.floor(startedAt / 1000),
      body: message.body,
      secrets
    })
  } catch (error) {
    // Never include the secret: the scheme's errors describe the problem without it.
    return unknownOutcome(started, `signing failed: ${error instanceof Error ? error.message : String(error)}`)
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
    scheme,
    signature
  )
  const request: TransportRequest = {
    url: endpoint.url,
    headers,
    body: message.body,
    timeoutMs: Math.min(endpoint.timeoutMs ?? settings.timeoutMs, maxTimeoutMs),
    maxResponseBytes: settings.maxResponseBytes,
    proxy: opened?.proxy,
    tls: opened?.tls
  }
  return { started, request, opened, secrets }
}

/** Whether `begin` gave an outcome at once (opening or signing failed) rather than a request to send. */
export const isOutcome = (begun: Begun | AttemptOutcome): begun is AttemptOutcome => "outcome" in begun

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
  const begun = begin(clock, settings, ctx, trigger, maxTimeoutMs)
  if (isOutcome(begun)) return then(begun)
  const { opened, request, secrets, started } = begun
  let sent: Effect.Effect<TransportResponse, TransportError>
  try {
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
        ? then(failedOutcome(started, error.value))
        : then(diedOutcome(started, cause, opened === undefined ? secrets : [...secrets, ...opened.values]))
    },
    onSuccess: (response) => then(answeredOutcome(started, response))
  })
}

/** What an attempt's record needs from its start. */
export interface Started {
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

/** An attempt that could not be sent (opening the endpoint's settings or signing failed): error kind `unknown`. */
const unknownOutcome = (started: Started, message: string): AttemptOutcome => ({
  record: record(started, 0, null, null, "unknown", message),
  outcome: { _tag: "TransportError", kind: "unknown" }
})

/** The outcome of an attempt whose send failed with `error` (no response). */
export const failedOutcome = (started: Started, error: TransportError): AttemptOutcome => ({
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

/** The outcome of an attempt whose transport died (a defect): error kind `unknown`, described without `secrets`. */
export const diedOutcome = (
  started: Started,
  cause: Cause.Cause<unknown>,
  secrets: ReadonlyArray<string>
): AttemptOutcome => ({
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

/** The outcome of an attempt the receiver answered. */
export const answeredOutcome = (started: Started, response: TransportResponse): AttemptOutcome => ({
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
