/**
 * The Transport port: send one HTTP request and return the response, or fail with a `TransportError` when there
 * is no response (timeout, connect, dns, tls, blocked, protocol). A receiver's 4xx/5xx is a response, not an error.
 * A transport may also serve destinations other than HTTP (`destinations`: a message broker, for URLs like
 * `amqp://…`); endpoint URLs of those protocols are accepted only by an engine whose transport lists them.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { TransportError } from "./Errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface TransportRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly timeoutMs: number
  /** Read at most this many bytes of the response body; the rest is discarded. */
  readonly maxResponseBytes: number
  /**
   * Egress through this HTTP CONNECT proxy (`http://[user:password@]host:port`; the endpoint's named proxy from the
   * engine's `proxies`); absent = the transport's default. Never logged: the URL may carry credentials.
   */
  readonly proxy?: string | undefined
  /**
   * The endpoint's mutual TLS (opened): a client certificate and key and/or CAs trusted instead of the public roots.
   * `id` names this identity (connections are pooled per origin and identity). Never logged.
   */
  readonly tls?: TransportTls | undefined
}

/**
 * @since 0.5.0
 * @category models
 */
export interface TransportTls {
  readonly id: string
  readonly cert: string | undefined
  readonly key: string | undefined
  readonly ca: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TransportResponse {
  readonly status: number
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  /** The body, cut at `maxResponseBytes` (decoded as UTF-8). */
  readonly body: string
}

/**
 * A kind of destination other than HTTP that a transport serves: the URL protocols it takes and the check of such a
 * URL, run once when an endpoint is created or updated.
 *
 * @since 0.5.0
 * @category models
 */
export interface DestinationKind {
  /** The kind's name, for messages ("RabbitMQ", "NATS JetStream"). */
  readonly name: string
  /** URL protocols, with their colon: `["amqp:", "amqps:"]`. */
  readonly protocols: ReadonlyArray<string>
  /** Why `url` is not a valid destination of this kind, and what to write instead; undefined when it is valid. */
  readonly check: (url: URL) => string | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Transport extends Context.Tag("@hookwire/core/Transport")<Transport, {
  /** Always POST. */
  readonly send: (request: TransportRequest) => Effect.Effect<TransportResponse, TransportError>
  /**
   * Optional: `send` without an effect, for the dispatcher's hot path (it then runs an attempt without a fiber). Sends
   * at once and calls `done` exactly once with the response or the `TransportError` — never before `unsafeSend` has
   * returned, and never after the returned function was called (which cancels the request). Must not throw. A
   * transport without it is sent to with `send`.
   * @since 0.6.0
   */
  readonly unsafeSend?:
    | ((request: TransportRequest, done: (result: TransportResponse | TransportError) => void) => () => void)
    | undefined
  /** Destinations other than HTTP this transport serves (absent: HTTP only). */
  readonly destinations?: ReadonlyArray<DestinationKind> | undefined
}>() {}
