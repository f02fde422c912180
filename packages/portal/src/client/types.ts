/**
 * The management API's JSON shapes as the portal reads them (packages/api/ROUTES.md is the truth). Plain types, no
 * runtime: the portal talks to the API with `fetch` and never bundles Effect. Times are ISO-8601 UTC strings.
 */

/** @since 0.1.0 @category models */
export type Scope = "read" | "manage"

/** What `GET /session` answers: who the token speaks for and what it may do. @since 0.1.0 @category models */
export interface Session {
  readonly tenant: string
  readonly scope: Scope
  readonly expiresAt: string | null
}

/**
 * What `GET /config` answers: what the host uses. `channels` false: the portal shows no channels.
 * @since 0.1.0 @category models
 */
export interface Config {
  readonly channels: boolean
}

/**
 * How an endpoint's deliveries are signed: its own scheme, else the host's default, with the header names (lower
 * case) a receiver reads.
 * @since 0.1.0 @category models
 */
export interface Signature {
  readonly scheme: string
  readonly signatureHeader: string
  readonly timestampHeader: string | null
  readonly idHeader: string | null
}

/** A cursor page. @since 0.1.0 @category models */
export interface Page<A> {
  readonly data: ReadonlyArray<A>
  readonly nextCursor: string | null
}

/** One type of the event catalog. @since 0.1.0 @category models */
export interface EventType {
  readonly name: string
  readonly description: string
  readonly deprecated: boolean
  readonly schema: unknown
  readonly examples: ReadonlyArray<unknown>
}

/** @since 0.1.0 @category models */
export type CircuitState = "closed" | "open" | "half_open"

/** @since 0.1.0 @category models */
export interface Endpoint {
  readonly id: string
  readonly url: string
  readonly name: string | null
  readonly description: string | null
  readonly eventTypes: ReadonlyArray<string>
  readonly channels: ReadonlyArray<string>
  readonly headers: Readonly<Record<string, string>>
  /** The names of the endpoint's sensitive headers; their values are never sent to the portal. */
  readonly sensitiveHeaders?: Readonly<Record<string, "<redacted>">> | undefined
  /** The host's named egress proxy deliveries go through (static source addresses); null: the default. */
  readonly proxy?: string | null | undefined
  /** Mutual TLS: the client certificate the host presents (never its key), and whether the endpoint pins a CA. */
  readonly tls?:
    | {
      readonly certificate: {
        readonly subject: string
        readonly issuer: string
        readonly fingerprint256: string
        readonly validTo: string
      } | null
      readonly customCa: boolean
    }
    | null
    | undefined
  /** OAuth2 client credentials the host authenticates with (never the secret). */
  readonly oauth2?:
    | {
      readonly tokenUrl: string
      readonly clientId: string
      readonly scopes: ReadonlyArray<string>
      readonly clientAuth: "basic" | "body"
    }
    | null
    | undefined
  readonly metadata: Readonly<Record<string, string>>
  readonly disabled: boolean
  readonly disabledReason: string | null
  readonly disabledAt: string | null
  /** The endpoint's own scheme; null: the host's default (see `signature` for the one in effect). */
  readonly scheme: string | null
  readonly signature: Signature
  readonly health: {
    readonly failingSince: string | null
    readonly consecutiveFailures: number
    readonly circuit: {
      readonly state: CircuitState
      readonly openedAt: string | null
      readonly retryAt: string | null
    }
  }
  readonly createdAt: string
  readonly updatedAt: string
}

/** The body of create (all of it) and update (any part of it). @since 0.1.0 @category models */
export interface EndpointInput {
  readonly url: string
  readonly name?: string | null
  readonly description?: string | null
  readonly eventTypes?: ReadonlyArray<string>
  readonly channels?: ReadonlyArray<string>
}

/** @since 0.1.0 @category models */
export type DeliveryStatus = "pending" | "delivered" | "failed" | "cancelled"

/** @since 0.1.0 @category models */
export interface Delivery {
  readonly id: string
  readonly messageId: string
  readonly endpointId: string
  readonly status: DeliveryStatus
  readonly attempts: number
  readonly nextAttemptAt: string | null
  readonly lastAttemptAt: string | null
  readonly lastResponseStatus: number | null
  readonly lastError: ErrorKind | null
  readonly createdAt: string
  readonly updatedAt: string
}

/** @since 0.1.0 @category models */
export type ErrorKind =
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
 * One HTTP try of a delivery. The request and response headers are shown when the API records them (optional
 * fields); the request body is the message's payload, the same bytes for every attempt.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attempt {
  readonly id: string
  readonly deliveryId: string
  readonly messageId: string
  readonly endpointId: string
  readonly attempt: number
  readonly trigger: "scheduled" | "manual" | "test"
  readonly url: string
  readonly startedAt: string
  readonly durationMs: number
  readonly responseStatus: number | null
  readonly responseBody: string | null
  readonly errorKind: ErrorKind | null
  readonly errorMessage: string | null
  readonly requestHeaders?: Readonly<Record<string, string>> | null
  readonly responseHeaders?: Readonly<Record<string, string>> | null
}

/** `GET /deliveries/{id}`: the delivery and its attempts, newest first. @since 0.1.0 @category models */
export interface DeliveryDetail extends Delivery {
  readonly attemptLog: ReadonlyArray<Attempt>
}

/** One window of `GET /endpoints/{id}/stats`. @since 0.1.0 @category models */
export interface StatsWindow {
  readonly attempts: { readonly total: number; readonly succeeded: number; readonly failed: number }
  readonly deliveries: {
    readonly pending: number
    readonly delivered: number
    readonly failed: number
    readonly cancelled: number
  }
}

/** @since 0.1.0 @category models */
export interface EndpointStats {
  readonly windows: { readonly hour: StatsWindow; readonly day: StatsWindow; readonly week: StatsWindow }
  readonly lastAttempt:
    | { readonly at: string; readonly responseStatus: number | null; readonly errorKind: ErrorKind | null }
    | null
  readonly disabled: boolean
  readonly disabledReason: string | null
}

/** What `POST /endpoints/{id}/test` answers. @since 0.1.0 @category models */
export interface TestSend {
  readonly messageId: string
  readonly deliveryId: string
}

/** @since 0.1.0 @category models */
export interface Message {
  readonly id: string
  readonly type: string
  readonly channels: ReadonlyArray<string>
  readonly idempotencyKey: string | null
  readonly createdAt: string
  /** Only on `GET /messages/{id}`: the JSON body sent to endpoints. */
  readonly payload?: unknown
}

/** RFC 9457 problem document. @since 0.1.0 @category models */
export interface Problem {
  readonly type?: string
  readonly title?: string
  readonly status: number
  readonly detail?: string
  readonly code?: string
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>
}
