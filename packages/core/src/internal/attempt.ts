/**
 * One HTTP attempt for a delivery: sign with every active secret, send through the Transport, and describe what
 * happened as an `AttemptRecord` plus a `RetryPolicy.Outcome`. Shared by the Dispatcher (scheduled attempts) and
 * `Webhooks.deliveries.retry` (manual attempts), so both sign and record exactly alike.
 */
import type * as Verify from "@hookwire/verify"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Id from "../Id.js"
import type * as Model from "../Model.js"
import type * as RetryPolicy from "../RetryPolicy.js"
import type * as Settings from "../Settings.js"
import type { Transport } from "../Transport.js"

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
  const attemptNumber = delivery.attempts + 1
  const base = {
    id: Id.make("atm", startedAt),
    tenant: delivery.tenant,
    deliveryId: delivery.id,
    messageId: message.id,
    endpointId: endpoint.id,
    attempt: attemptNumber,
    trigger,
    url: endpoint.url,
    startedAt
  }
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
    const record: Model.AttemptRecord = {
      ...base,
      durationMs: 0,
      responseStatus: null,
      responseBody: null,
      errorKind: "unknown",
      errorMessage: `signing failed: ${error instanceof Error ? error.message : String(error)}`
    }
    return Effect.succeed({ record, outcome: { _tag: "TransportError", kind: "unknown" } } satisfies AttemptOutcome)
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
      onFailure: (error): AttemptOutcome => {
        const record: Model.AttemptRecord = {
          ...base,
          durationMs: clock.unsafeCurrentTimeMillis() - startedAt,
          responseStatus: null,
          responseBody: null,
          errorKind: error.reason,
          errorMessage: error.message
        }
        return { record, outcome: { _tag: "TransportError", kind: error.reason } }
      },
      onSuccess: (response): AttemptOutcome => {
        const record: Model.AttemptRecord = {
          ...base,
          durationMs: clock.unsafeCurrentTimeMillis() - startedAt,
          responseStatus: response.status,
          responseBody: response.body,
          errorKind: null,
          errorMessage: null
        }
        return {
          record,
          outcome: { _tag: "Response", status: response.status, retryAfter: response.headers["retry-after"] }
        }
      }
    }
  )
}
