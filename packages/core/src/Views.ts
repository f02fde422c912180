/**
 * The public views of Hookwire's records as Schemas: an endpoint (never with its secrets), a message, a delivery, an
 * attempt, and an endpoint's statistics. Their `Type` side is exactly what the `Webhooks` operations return (times as
 * `Date`); their `Encoded` side is JSON (times as ISO-8601 strings), which is what the management HTTP API
 * (`@hookwire/api`) sends and its OpenAPI document describes. The tenant is left out of the HTTP forms: every API
 * call is already scoped to one tenant. `EndpointCreate` and `EndpointUpdate` are the JSON inputs of endpoint creation
 * and update, as the API takes them. These Schemas are the one source of the views: `Webhooks.Endpoint`,
 * `Webhooks.Message`, `Webhooks.Delivery` and `Webhooks.Attempt` are their `Type`s.
 *
 * One module past 400 lines: the views share their field Schemas (times, health, retry policy, filters), and the
 * API's OpenAPI document and the portal read them together; each field is one line plus its description.
 *
 * @since 0.3.0
 */
import * as Schema from "effect/Schema"
import { PayloadFilterSchema } from "./PayloadFilter.js"
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
  "claims_exhausted",
  "tls_handshake",
  "oauth_token"
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
  /** When the current run of failures began; null when its last attempt succeeded. */
  failingSince: NullableDate,
  consecutiveFailures: Schema.Number,
  /** `retryAt`: while open, when the next probe may go. */
  circuit: Schema.Struct({ state: CircuitState, openedAt: NullableDate, retryAt: NullableDate })
}).annotations({ identifier: "EndpointHealth" })

/**
 * @since 0.4.0
 * @category models
 */
export interface EndpointHealth extends Schema.Schema.Type<typeof EndpointHealth> {}

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
  /** The names of the endpoint's sensitive headers, each with `"<redacted>"`: their values are never shown. */
  sensitiveHeaders: Schema.Record({ key: Schema.String, value: Schema.Literal("<redacted>") }),
  /** The engine's named egress proxy deliveries go through; null = the transport's default. */
  proxy: Schema.NullOr(Schema.String),
  /** Mutual TLS: the client certificate described (never its key), and whether the endpoint pins its own CA. */
  tls: Schema.NullOr(Schema.Struct({
    certificate: Schema.NullOr(Schema.Struct({
      subject: Schema.String,
      issuer: Schema.String,
      fingerprint256: Schema.String,
      validTo: Schema.Date
    })),
    customCa: Schema.Boolean
  })),
  /** OAuth2 client credentials, without the secret. */
  oauth2: Schema.NullOr(Schema.Struct({
    tokenUrl: Schema.String,
    clientId: Schema.String,
    scopes: Schema.Array(Schema.String),
    clientAuth: Schema.Literal("basic", "body")
  })),
  metadata: Schema.Record({ key: Schema.String, value: Schema.String }),
  disabled: Schema.Boolean,
  disabledReason: Schema.NullOr(Schema.String),
  disabledAt: NullableDate,
  timeoutMs: Schema.NullOr(Schema.Number),
  retryPolicy: Schema.NullOr(RetryPolicySpec),
  scheme: Schema.NullOr(Schema.String),
  rateLimit: Schema.NullOr(Schema.Struct({ perSecond: Schema.Number, burst: Schema.Number })),
  fifo: Schema.Boolean,
  /** The endpoint's circuit breaker override: null = the engine's, false = off. */
  circuitBreaker: Schema.NullOr(Schema.Union(CircuitBreakerSpec, Schema.Literal(false))),
  /** Only messages whose payload matches it are delivered; null = all. */
  filter: Schema.NullOr(PayloadFilterSchema),
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

/**
 * @since 0.4.0
 * @category models
 */
export interface TenantEndpoint extends Schema.Schema.Type<typeof TenantEndpoint> {}

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
export const TenantMessage = Schema.Struct({
  ...messageFields,
  tenant: Schema.String,
  /** The exact body sent to every endpoint. */
  body: Schema.String
})

/**
 * @since 0.4.0
 * @category models
 */
export interface TenantMessage extends Schema.Schema.Type<typeof TenantMessage> {}

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

/**
 * @since 0.4.0
 * @category models
 */
export interface TenantDelivery extends Schema.Schema.Type<typeof TenantDelivery> {}

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
  /** The request's headers without the signature (see `Model.AttemptRecord`); null on older records. */
  requestHeaders: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String })),
  /** The response's headers; null when there was no response (or on older records). */
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
 * @since 0.4.0
 * @category models
 */
export interface TenantAttempt extends Schema.Schema.Type<typeof TenantAttempt> {}

const strict = { parseOptions: { onExcessProperty: "error", errors: "all" } } as const
const Names = Schema.Array(Schema.String.pipe(Schema.maxLength(256))).pipe(Schema.maxItems(100))
const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })
const OAuth2Input = Schema.Struct({
  tokenUrl: Schema.String,
  clientId: Schema.String,
  clientSecret: Schema.String,
  scopes: Schema.optional(Schema.Array(Schema.String)),
  clientAuth: Schema.optional(Schema.Literal("basic", "body"))
})
const TlsInput = Schema.Struct({
  cert: Schema.optional(Schema.String),
  key: Schema.optional(Schema.String),
  ca: Schema.optional(Schema.String)
})
const RateLimitInput = Schema.Struct({
  perSecond: Schema.Number.pipe(Schema.positive()),
  burst: Schema.optional(Schema.Int.pipe(Schema.positive()))
})

/**
 * The JSON input of endpoint creation (`Webhooks.endpoints.create` without the tenant, which the API takes from the
 * caller): unknown fields are refused.
 *
 * @since 0.4.0
 * @category models
 */
export const EndpointCreate = Schema.Struct({
  url: Schema.String,
  name: Schema.optional(Schema.String.pipe(Schema.maxLength(256))),
  description: Schema.optional(Schema.String.pipe(Schema.maxLength(2048))),
  eventTypes: Schema.optional(Names),
  channels: Schema.optional(Names),
  headers: Schema.optional(StringMap),
  /** Credentials the receiver wants (`authorization`, API keys): sealed at rest, never shown again. */
  sensitiveHeaders: Schema.optional(StringMap),
  /** One of the host's named egress proxies (static source addresses). */
  proxy: Schema.optional(Schema.NullOr(Schema.String)),
  /** Mutual TLS (PEM): client certificate and key (sealed, never shown again), CA certificates to trust instead. */
  tls: Schema.optional(Schema.NullOr(TlsInput)),
  /** OAuth2 client credentials: a token from tokenUrl on every request (the secret sealed, never shown again). */
  oauth2: Schema.optional(Schema.NullOr(OAuth2Input)),
  metadata: Schema.optional(StringMap),
  disabled: Schema.optional(Schema.Boolean),
  timeoutMs: Schema.optional(Schema.Int),
  fifo: Schema.optional(Schema.Boolean),
  rateLimit: Schema.optional(Schema.NullOr(RateLimitInput)),
  filter: Schema.optional(Schema.NullOr(PayloadFilterSchema))
}).annotations({ identifier: "EndpointCreate", ...strict })

/**
 * @since 0.4.0
 * @category models
 */
export interface EndpointCreate extends Schema.Schema.Type<typeof EndpointCreate> {}

/**
 * The JSON input of endpoint update (`Webhooks.endpoints.update` without tenant and id): `null` clears a field;
 * unknown fields are refused.
 *
 * @since 0.4.0
 * @category models
 */
export const EndpointUpdate = Schema.Struct({
  url: Schema.optional(Schema.String),
  name: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(256)))),
  description: Schema.optional(Schema.NullOr(Schema.String.pipe(Schema.maxLength(2048)))),
  eventTypes: Schema.optional(Names),
  channels: Schema.optional(Names),
  headers: Schema.optional(StringMap),
  /** Merged into the stored sensitive headers: a value sets one, `null` removes it, unnamed ones stay. */
  sensitiveHeaders: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) })),
  proxy: Schema.optional(Schema.NullOr(Schema.String)),
  tls: Schema.optional(Schema.NullOr(TlsInput)),
  oauth2: Schema.optional(Schema.NullOr(OAuth2Input)),
  metadata: Schema.optional(StringMap),
  timeoutMs: Schema.optional(Schema.NullOr(Schema.Int)),
  fifo: Schema.optional(Schema.Boolean),
  rateLimit: Schema.optional(Schema.NullOr(RateLimitInput)),
  filter: Schema.optional(Schema.NullOr(PayloadFilterSchema))
}).annotations({ identifier: "EndpointUpdate", ...strict })

/**
 * @since 0.4.0
 * @category models
 */
export interface EndpointUpdate extends Schema.Schema.Type<typeof EndpointUpdate> {}

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

// Every decoded API input is a valid engine input: these fail to compile when the two drift apart.
const accepts = <_Input extends Output, Output>() => true
accepts<EndpointCreate & { readonly tenant: string }, Webhooks.CreateEndpoint>()
accepts<EndpointUpdate & { readonly tenant: string; readonly id: string }, Webhooks.UpdateEndpoint>()
