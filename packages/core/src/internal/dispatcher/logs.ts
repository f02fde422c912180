/**
 * The dispatcher's log lines for operators: what needs a person's attention is one line at `warn` — a delivery that
 * failed for good, an attempt the SSRF guard refused (naming the option that would allow it), an endpoint disabled,
 * a circuit opened — and a retry is one line at `debug`. Every line carries the tenant, endpoint and delivery ids as
 * annotations (`tenant`, `endpointId`, `deliveryId`), never a URL, a header or a secret: the Promise API's `logger`
 * receives them as `annotations`.
 */
import * as Effect from "effect/Effect"

/** The ids every line carries. */
export interface Ids {
  readonly tenant: string
  readonly endpointId: string
  readonly deliveryId: string
}

const annotated = (ids: Ids, extra: Record<string, unknown> = {}) =>
  Effect.annotateLogs({ tenant: ids.tenant, endpointId: ids.endpointId, deliveryId: ids.deliveryId, ...extra })

/** A delivery failed for good (retries exhausted, not retryable, 410 Gone, or its endpoint disabled). */
export const deliveryFailed = (ids: Ids, attempts: number, reason: string): Effect.Effect<void> =>
  Effect.logWarning(`Dispatcher: delivery failed for good after ${attempts} attempts: ${reason}`).pipe(
    annotated(ids, { attempts })
  )

/** The SSRF guard refused the attempt's address (this also fails the delivery for good: one line for both). */
export const blocked = (ids: Ids, attempts: number): Effect.Effect<void> =>
  Effect.logWarning(
    "Dispatcher: attempt refused by the SSRF guard (the endpoint's address is private, loopback or link-local); " +
      "the delivery failed for good. To allow such addresses (development, tests), set the transport's " +
      "`allowCidrs` (or `allowPrivateNetworks`) option: `http: { allowCidrs: [...] }` in createHookwire, or " +
      "HttpTransport.layer({ allowCidrs })"
  ).pipe(annotated(ids, { attempts }))

/** An attempt did not deliver and the delivery is retried at `runAt`. */
export const retrying = (ids: Ids, attempts: number, runAt: number, reason: string): Effect.Effect<void> =>
  Effect.logDebug(
    `Dispatcher: attempt ${attempts} did not deliver (${reason}); retrying at ${new Date(runAt).toISOString()}`
  ).pipe(annotated(ids, { attempts }))

/** The engine disabled an endpoint (410 Gone, or failing for `disableAfter`). */
export const endpointDisabled = (ids: Ids, reason: string): Effect.Effect<void> =>
  Effect.logWarning(`Dispatcher: endpoint disabled: ${reason}; its pending deliveries were ended`).pipe(annotated(ids))

/** An endpoint's circuit breaker opened: its deliveries wait until `retryAt`. */
export const circuitOpened = (ids: Ids, reason: string, retryAt: number): Effect.Effect<void> =>
  Effect.logWarning(
    `Dispatcher: circuit opened (${reason}); deliveries to this endpoint wait until ${new Date(retryAt).toISOString()}`
  ).pipe(annotated(ids))
