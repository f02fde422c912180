/**
 * The Transport port: send one HTTP request and return the response, or fail with a `TransportError` when there
 * is no response (timeout, connect, dns, tls, blocked, protocol). A receiver's 4xx/5xx is a response, not an error.
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
 * @since 0.1.0
 * @category tags
 */
export class Transport extends Context.Tag("@hookwire/core/Transport")<Transport, {
  /** Always POST. */
  readonly send: (request: TransportRequest) => Effect.Effect<TransportResponse, TransportError>
}>() {}
