/**
 * The records Hookwire keeps, in their *encoded* form: plain JSON with times as epoch milliseconds (UTC). This is
 * the surface the Storage and Queue adapters see; Schema decoding, filtering, retry maths and signing stay in core.
 * Public views (an endpoint without its secrets, a delivery, an attempt) are derived from these records.
 *
 * One module past 400 lines: it is the one place every record's fields are declared and documented for adapter
 * authors (what each field means, what an adapter must store); the records refer to each other, and a field added
 * to one shows here in one diff.
 *
 * @since 0.1.0
 */
import type { PayloadFilter } from "./PayloadFilter.js"

/**
 * A tenant is the host's customer: a string the host owns. Every record belongs to exactly one.
 *
 * @since 0.1.0
 * @category models
 */
export type Tenant = string

/**
 * One signing secret of an endpoint. `expiresAt` is set on the previous secrets after a rotation: they keep signing
 * until then so receivers can switch without downtime.
 *
 * @since 0.1.0
 * @category models
 */
export interface SecretRecord {
  readonly value: string
  readonly createdAt: number
  readonly expiresAt: number | null
}

/**
 * Per-endpoint retry policy override, serialisable. See `RetryPolicy.fromSpec`.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryPolicySpec =
  | { readonly _tag: "standard" }
  | { readonly _tag: "none" }
  | { readonly _tag: "fixed"; readonly delaysMs: ReadonlyArray<number>; readonly jitter?: number }
  | {
    readonly _tag: "exponential"
    readonly baseMs: number
    readonly factor: number
    readonly maxDelayMs: number
    readonly maxAttempts: number
    readonly jitter?: number
  }

/**
 * A circuit breaker's settings. It opens after `failureThreshold` consecutive failures, or when at least
 * `minimumAttempts` attempts within `windowMs` failed in a proportion of at least `failureRatio` (when set); while
 * open, deliveries wait without spending attempts; after `coolDownMs` one probe decides whether it closes.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreakerSpec {
  readonly failureThreshold: number
  readonly failureRatio: number | null
  readonly minimumAttempts: number
  readonly windowMs: number
  readonly coolDownMs: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type CircuitState = "closed" | "open" | "half_open"

/**
 * What the engine tracks about an endpoint's recent deliveries.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointHealth {
  /** When the current run of failures began (no success since); null when the last attempt succeeded. */
  readonly failingSince: number | null
  readonly consecutiveFailures: number
  readonly circuit: CircuitState
  /** When the circuit last opened. */
  readonly circuitOpenedAt: number | null
  /** While open: when a probe may be sent. */
  readonly circuitRetryAt: number | null
}

/**
 * The health of a new endpoint.
 *
 * @since 0.1.0
 * @category constructors
 */
export const healthy: EndpointHealth = {
  failingSince: null,
  consecutiveFailures: 0,
  circuit: "closed",
  circuitOpenedAt: null,
  circuitRetryAt: null
}

/**
 * Per-endpoint delivery options, stored as one value.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointOptions {
  /** At most `perSecond` attempts per second (with `burst`), across every worker sharing a rate limiter. */
  readonly rateLimit: { readonly perSecond: number; readonly burst: number } | null
  /** Deliver in publish order: the next message only after the previous one is delivered or finally failed. */
  readonly fifo: boolean
  /** Circuit breaker override: null = the engine's; `false` = off for this endpoint. */
  readonly circuitBreaker: CircuitBreakerSpec | false | null
  /**
   * Only messages whose payload matches this filter are delivered (see `PayloadFilter`); null or absent = all.
   * Absent on records stored before filters existed.
   */
  readonly filter?: PayloadFilter | null | undefined
}

/**
 * The options of a new endpoint.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultOptions: EndpointOptions = { rateLimit: null, fifo: false, circuitBreaker: null }

/**
 * How the engine reaches an endpoint beyond its URL and plain headers. Its secret parts are sealed at rest like the
 * endpoint's secrets (see `SecretBox`; plain without a master key) and never leave core unopened.
 *
 * @since 0.5.0
 * @category models
 */
export interface EndpointTransport {
  /**
   * Header name (lower case) → sealed value: credentials the receiver wants (`authorization`, API keys). Sent with
   * every attempt; shown to nobody (views and the attempt log carry the name and a redaction marker).
   */
  readonly sensitiveHeaders: Readonly<Record<string, string>>
  /** The name of one of the engine's `proxies` to send through; null or absent = the transport's default. */
  readonly proxy?: string | null | undefined
  /**
   * Mutual TLS: a client certificate and its key (PEM; the key sealed), and CA certificates trusted instead of the
   * public roots for this endpoint. Null or absent = none.
   */
  readonly tls?: EndpointTls | null | undefined
  /** OAuth2 client credentials: a Bearer token from `tokenUrl` on every request. Null or absent = none. */
  readonly oauth2?: EndpointOAuth2 | null | undefined
}

/**
 * An endpoint's OAuth2 client credentials (see `EndpointTransport.oauth2`).
 *
 * @since 0.5.0
 * @category models
 */
export interface EndpointOAuth2 {
  readonly tokenUrl: string
  readonly clientId: string
  /** Sealed. */
  readonly clientSecret: string
  readonly scopes: ReadonlyArray<string>
  /** How the client authenticates to the token endpoint: HTTP Basic (default) or in the form body. */
  readonly clientAuth: "basic" | "body"
}

/**
 * An endpoint's TLS settings (see `EndpointTransport.tls`).
 *
 * @since 0.5.0
 * @category models
 */
export interface EndpointTls {
  /** Client certificate chain (PEM), or null. */
  readonly cert: string | null
  /** Its private key (PEM), sealed; null exactly when `cert` is. */
  readonly key: string | null
  /** CA certificates (PEM) that verify the receiver instead of the public roots, or null. */
  readonly ca: string | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface EndpointRecord {
  readonly id: string
  readonly tenant: Tenant
  readonly url: string
  readonly name: string | null
  readonly description: string | null
  /** Exact event type names and `prefix.*` wildcards; empty = every type. */
  readonly eventTypes: ReadonlyArray<string>
  /** With channels, the endpoint only receives messages carrying at least one of them. */
  readonly channels: ReadonlyArray<string>
  readonly headers: Readonly<Record<string, string>>
  readonly metadata: Readonly<Record<string, string>>
  readonly disabled: boolean
  readonly disabledReason: string | null
  readonly disabledAt: number | null
  /** Per-endpoint overrides; null = the engine's. */
  readonly timeoutMs: number | null
  readonly retryPolicy: RetryPolicySpec | null
  /** Name of a scheme registered with the engine; null = the engine's default scheme. */
  readonly scheme: string | null
  readonly secrets: ReadonlyArray<SecretRecord>
  readonly options: EndpointOptions
  /** Sealed credentials and connection settings; null or absent = none. */
  readonly transport?: EndpointTransport | null | undefined
  readonly health: EndpointHealth
  readonly createdAt: number
  readonly updatedAt: number
}

/**
 * Some fields of an endpoint, written without touching the others, so that no writer undoes another's concurrent
 * change: the engine patches health and the disabled state, `update` only the fields it was given, a rotation only
 * the secrets (compare-and-set, see `Storage.patchEndpoint`). Absent fields are left as they are.
 *
 * @since 0.1.0
 * @category models
 */
export interface EndpointPatch {
  readonly health?: EndpointHealth | undefined
  readonly disabled?: boolean | undefined
  readonly disabledReason?: string | null | undefined
  readonly disabledAt?: number | null | undefined
  readonly url?: string | undefined
  readonly name?: string | null | undefined
  readonly description?: string | null | undefined
  readonly eventTypes?: ReadonlyArray<string> | undefined
  readonly channels?: ReadonlyArray<string> | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly metadata?: Readonly<Record<string, string>> | undefined
  readonly timeoutMs?: number | null | undefined
  readonly retryPolicy?: RetryPolicySpec | null | undefined
  readonly scheme?: string | null | undefined
  readonly options?: EndpointOptions | undefined
  readonly transport?: EndpointTransport | null | undefined
  readonly secrets?: ReadonlyArray<SecretRecord> | undefined
  readonly updatedAt: number
}

/**
 * A published event. `body` holds the exact bytes (as a string) sent to every endpoint on every attempt: built once.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageRecord {
  readonly id: string
  readonly tenant: Tenant
  readonly type: string
  readonly body: string
  readonly channels: ReadonlyArray<string>
  readonly idempotencyKey: string | null
  readonly createdAt: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type DeliveryStatus = "pending" | "delivered" | "failed" | "cancelled"

/**
 * Why an attempt got no HTTP response. `claims_exhausted` is the dispatcher's, not a transport's: nothing was sent,
 * because the delivery was claimed more than `maxClaims` times without a result being recorded (its worker died
 * mid-send each time, or its result could not be written), and it failed rather than be sent again.
 * `tls_handshake`: the receiver refused the TLS handshake (a TLS alert from its side: most often a client
 * certificate it did not get or does not accept); `tls` is Hookwire refusing the receiver's certificate.
 * `oauth_token`: no OAuth2 access token could be had for the endpoint (its token endpoint failed or refused).
 *
 * @since 0.1.0
 * @category models
 */
export type TransportErrorKind =
  | "timeout"
  | "connect"
  | "dns"
  | "tls"
  | "blocked"
  | "protocol"
  | "unknown"
  | "claims_exhausted"
  | "tls_handshake"
  | "oauth_token"

/**
 * A message × endpoint pair.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeliveryRecord {
  readonly id: string
  readonly tenant: Tenant
  readonly messageId: string
  readonly endpointId: string
  readonly status: DeliveryStatus
  readonly attempts: number
  readonly nextAttemptAt: number | null
  readonly lastAttemptAt: number | null
  readonly lastResponseStatus: number | null
  readonly lastError: TransportErrorKind | null
  readonly createdAt: number
  readonly updatedAt: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type AttemptTrigger = "scheduled" | "manual" | "test"

/**
 * One HTTP try. `responseBody` is cut at 16 KiB.
 *
 * @since 0.1.0
 * @category models
 */
export interface AttemptRecord {
  readonly id: string
  readonly tenant: Tenant
  readonly deliveryId: string
  readonly messageId: string
  readonly endpointId: string
  readonly attempt: number
  readonly trigger: AttemptTrigger
  readonly url: string
  readonly startedAt: number
  readonly durationMs: number
  readonly responseStatus: number | null
  readonly responseBody: string | null
  readonly errorKind: TransportErrorKind | null
  readonly errorMessage: string | null
  /**
   * The request's headers, without the signature and its timestamp (the endpoint's own headers, content type, user
   * agent, the id header). Absent on records stored before headers were kept, and for attempts that never signed.
   */
  readonly requestHeaders?: Readonly<Record<string, string>> | null | undefined
  /** The response's headers (lower-case names); null when there was no response. */
  readonly responseHeaders?: Readonly<Record<string, string>> | null | undefined
}

/**
 * A page of results and the cursor of the next page (`null` on the last page).
 *
 * @since 0.1.0
 * @category models
 */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

/**
 * Cursor pagination: items are ordered by id (which is time-ordered); `cursor` is the last id of the previous page.
 *
 * @since 0.1.0
 * @category models
 */
export interface PageRequest {
  readonly limit: number
  readonly cursor?: string | undefined
  /**
   * `asc` (default): oldest first, the page holds ids after `cursor`. `desc`: newest first, ids before `cursor`.
   */
  readonly order?: "asc" | "desc" | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface DeliveryFilter extends PageRequest {
  readonly endpointId?: string | undefined
  readonly messageId?: string | undefined
  readonly status?: DeliveryStatus | undefined
  /** Created at or after (epoch ms). */
  readonly since?: number | undefined
  /** Created before (epoch ms). */
  readonly until?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AttemptFilter extends PageRequest {
  readonly deliveryId?: string | undefined
  readonly endpointId?: string | undefined
  readonly messageId?: string | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MessageFilter extends PageRequest {
  readonly type?: string | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
}

/**
 * What the dispatcher needs for one claimed delivery, loaded in one batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface DispatchContext {
  readonly delivery: DeliveryRecord
  readonly message: MessageRecord
  readonly endpoint: EndpointRecord
}

/**
 * Counts over one time window of an endpoint (`Storage.endpointStats`): attempts that started at or after `since`,
 * and deliveries created at or after `since`, by outcome.
 *
 * @since 0.3.0
 * @category models
 */
export interface EndpointStatsWindow {
  readonly since: number
  readonly attempts: {
    readonly total: number
    /** Attempts answered with a 2xx status. */
    readonly succeeded: number
  }
  readonly deliveries: {
    readonly pending: number
    readonly delivered: number
    readonly failed: number
    readonly cancelled: number
  }
}

/**
 * What `Storage.endpointStats` returns: one entry per asked window (same order) and the endpoint's latest attempt.
 *
 * @since 0.3.0
 * @category models
 */
export interface EndpointStatsRecord {
  readonly windows: ReadonlyArray<EndpointStatsWindow>
  readonly lastAttempt: {
    readonly startedAt: number
    readonly responseStatus: number | null
    readonly errorKind: TransportErrorKind | null
  } | null
}
