/**
 * The public views of Hookwire's records as Schemas: an endpoint (never with its secrets), a message, a delivery, an
 * attempt, and an endpoint's statistics. Their `Type` side is exactly what the `Webhooks` operations return (times as
 * `Date`); their `Encoded` side is JSON (times as ISO-8601 strings), which is what the management HTTP API
 * (`@hookwire/api`) sends and its OpenAPI document describes. The tenant is left out of the HTTP forms: every API
 * call is already scoped to one tenant.
 *
 * @since 0.3.0
 */
import * as Schema from "effect/Schema"
import type * as Webhooks from "./Webhooks.js"

const NullableDate = Schema.NullOr(Schema.Date)

/**
 * @since 0.3.0
 * @category models
 */
export const TransportErrorKind = Schema.Literal(
  "timeout",
  "connect",
  "dns",
  "tls",
  "blocked",
  "protocol",
  "unknown",
  "claims_exhausted"
)

/**
 * @since 0.3.0
 * @category models
 */
export const DeliveryStatus = Schema.Literal("pending", "delivered", "failed", "cancelled")

/**
 * @since 0.3.0
 * @category models
 */
export const AttemptTrigger = Schema.Literal("scheduled", "manual", "test")

/**
 * @since 0.3.0
 * @category models
 */
export const CircuitState = Schema.Literal("closed", "open", "half_open")

/**
 * @since 0.3.0
 * @category models
 */
export const EndpointHealth = Schema.Struct({
  failingSince: NullableDate,
  consecutiveFailures: Schema.Number,
  circuit: Schema.Struct({ state: CircuitState, openedAt: NullableDate, retryAt: NullableDate })
}).annotations({ identifier: "EndpointHealth" })

/**
 * @since 0.3.0
 * @category models
 */
export const RetryPolicySpec = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("standard") }),
  Schema.Struct({ _tag: Schema.Literal("none") }),
  Schema.Struct({
    _tag: Schema.Literal("fixed"),
    delaysMs: Schema.Array(Schema.Number),
    jitter: Schema.optionalWith(Schema.Number, { exact: true })
  }),
  Schema.Struct({
    _tag: Schema.Literal("exponential"),
    baseMs: Schema.Number,
    factor: Schema.Number,
    maxDelayMs: Schema.Number,
    maxAttempts: Schema.Number,
    jitter: Schema.optionalWith(Schema.Number, { exact: true })
  })
).annotations({ identifier: "RetryPolicySpec" })

/**
 * @since 0.3.0
 * @category models
 */
export const CircuitBreakerSpec = Schema.Struct({
  failureThreshold: Schema.Number,
  failureRatio: Schema.NullOr(Schema.Number),
  minimumAttempts: Schema.Number,
  windowMs: Schema.Number,
  coolDownMs: Schema.Number
}).annotations({ identifier: "CircuitBreakerSpec" })

const endpointFields = {
  id: Schema.String,
  url: Schema.String,
  name: Schema.NullOr(Schema.String),
  description: Schema.NullOr(Schema.String),
  eventTypes: Schema.Array(Schema.String),
  channels: Schema.Array(Schema.String),
  headers: Schema.Record({ key: Schema.String, value: Schema.String }),
  metadata: Schema.Record({ key: Schema.String, value: Schema.String }),
  disabled: Schema.Boolean,
  disabledReason: Schema.NullOr(Schema.String),
  disabledAt: NullableDate,
  timeoutMs: Schema.NullOr(Schema.Number),
  retryPolicy: Schema.NullOr(RetryPolicySpec),
  scheme: Schema.NullOr(Schema.String),
  rateLimit: Schema.NullOr(Schema.Struct({ perSecond: Schema.Number, burst: Schema.Number })),
  fifo: Schema.Boolean,
  circuitBreaker: Schema.NullOr(Schema.Union(CircuitBreakerSpec, Schema.Literal(false))),
  health: EndpointHealth,
  createdAt: Schema.Date,
  updatedAt: Schema.Date
}

/**
 * An endpoint as the API shows it to its tenant: no tenant, never a secret.
 *
 * @since 0.3.0
 * @category models
 */
export const Endpoint = Schema.Struct(endpointFields).annotations({ identifier: "Endpoint" })

/**
 * `Webhooks.Endpoint`: an endpoint with its tenant.
 *
 * @since 0.3.0
 * @category models
 */
export const TenantEndpoint = Schema.Struct({ ...endpointFields, tenant: Schema.String })

const messageFields = {
  id: Schema.String,
  type: Schema.String,
  channels: Schema.Array(Schema.String),
  idempotencyKey: Schema.NullOr(Schema.String),
  createdAt: Schema.Date
}

/**
 * A message in a list: no payload.
 *
 * @since 0.3.0
 * @category models
 */
export const MessageSummary = Schema.Struct(messageFields).annotations({ identifier: "MessageSummary" })

/**
 * A message with its payload: the JSON body every endpoint received.
 *
 * @since 0.3.0
 * @category models
 */
export const Message = Schema.Struct({ ...messageFields, payload: Schema.Unknown }).annotations({
  identifier: "Message"
})

/**
 * `Webhooks.Message`: the stored message with its tenant and exact body.
 *
 * @since 0.3.0
 * @category models
 */
export const TenantMessage = Schema.Struct({ ...messageFields, tenant: Schema.String, body: Schema.String })

const deliveryFields = {
  id: Schema.String,
  messageId: Schema.String,
  endpointId: Schema.String,
  status: DeliveryStatus,
  attempts: Schema.Number,
  nextAttemptAt: NullableDate,
  lastAttemptAt: NullableDate,
  lastResponseStatus: Schema.NullOr(Schema.Number),
  lastError: Schema.NullOr(TransportErrorKind),
  createdAt: Schema.Date,
  updatedAt: Schema.Date
}

/**
 * @since 0.3.0
 * @category models
 */
export const Delivery = Schema.Struct(deliveryFields).annotations({ identifier: "Delivery" })

/**
 * @since 0.3.0
 * @category models
 */
export const TenantDelivery = Schema.Struct({ ...deliveryFields, tenant: Schema.String })

const attemptFields = {
  id: Schema.String,
  deliveryId: Schema.String,
  messageId: Schema.String,
  endpointId: Schema.String,
  attempt: Schema.Number,
  trigger: AttemptTrigger,
  url: Schema.String,
  startedAt: Schema.Date,
  durationMs: Schema.Number,
  responseStatus: Schema.NullOr(Schema.Number),
  responseBody: Schema.NullOr(Schema.String),
  errorKind: Schema.NullOr(TransportErrorKind),
  errorMessage: Schema.NullOr(Schema.String),
  requestHeaders: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String })),
  responseHeaders: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String }))
}

/**
 * @since 0.3.0
 * @category models
 */
export const Attempt = Schema.Struct(attemptFields).annotations({ identifier: "Attempt" })

/**
 * @since 0.3.0
 * @category models
 */
export const TenantAttempt = Schema.Struct({ ...attemptFields, tenant: Schema.String })

/**
 * Counts over one window ending now: attempts by start time, deliveries by creation time.
 *
 * @since 0.3.0
 * @category models
 */
export const StatsWindow = Schema.Struct({
  attempts: Schema.Struct({ total: Schema.Number, succeeded: Schema.Number, failed: Schema.Number }),
  deliveries: Schema.Struct({
    pending: Schema.Number,
    delivered: Schema.Number,
    failed: Schema.Number,
    cancelled: Schema.Number
  })
}).annotations({ identifier: "StatsWindow" })

/**
 * @since 0.3.0
 * @category models
 */
export type StatsWindow = Schema.Schema.Type<typeof StatsWindow>

/**
 * An endpoint's recent activity and current health (`Webhooks.endpoints.stats`).
 *
 * @since 0.3.0
 * @category models
 */
export const EndpointStats = Schema.Struct({
  windows: Schema.Struct({ hour: StatsWindow, day: StatsWindow, week: StatsWindow }),
  lastAttempt: Schema.NullOr(Schema.Struct({
    at: Schema.Date,
    responseStatus: Schema.NullOr(Schema.Number),
    errorKind: Schema.NullOr(TransportErrorKind)
  })),
  health: EndpointHealth,
  disabled: Schema.Boolean,
  disabledReason: Schema.NullOr(Schema.String)
}).annotations({ identifier: "EndpointStats" })

/**
 * @since 0.3.0
 * @category models
 */
export type EndpointStats = Schema.Schema.Type<typeof EndpointStats>

/**
 * What a test send created: its message and its delivery, after the one attempt.
 *
 * @since 0.3.0
 * @category models
 */
export interface TestSendResult {
  readonly messageId: string
  readonly deliveryId: string
  readonly delivery: Webhooks.Delivery
}

// The Schemas above describe exactly the `Webhooks` views: these fail to compile when the two drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const check = <T extends true>(_: T) => _
check<Same<Schema.Schema.Type<typeof TenantEndpoint>, Webhooks.Endpoint>>(true)
check<Same<Omit<Schema.Schema.Type<typeof TenantMessage>, "payload">, Webhooks.Message>>(true)
check<Same<Schema.Schema.Type<typeof TenantDelivery>, Webhooks.Delivery>>(true)
check<Same<Schema.Schema.Type<typeof TenantAttempt>, Webhooks.Attempt>>(true)
