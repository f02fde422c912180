/**
 * The API's `HttpServerRequest` made straight from a `node:http` `IncomingMessage` (the `node:http` and Express
 * mounts), as @effect/platform-node's own server request is — without that package and its peers, and without a Web
 * `Request` (its `Headers`, `AbortSignal` and URL parsing) per call. Its headers are the message's own record, and
 * its body is the one the front already read and checked (internal/body.ts), so `text`, `json`, `arrayBuffer` and
 * `stream` answer from those bytes. The host's `authenticate` still receives a Web `Request` (`source`): made only
 * when asked for, from the message's method, URL and headers.
 *
 * @internal
 */
import { Cookies, Headers, HttpIncomingMessage, HttpServerError, HttpServerRequest, UrlParams } from "@effect/platform"
import type { HttpMethod } from "@effect/platform/HttpMethod"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import type { ReadonlyRecord } from "effect/Record"
import * as Stream from "effect/Stream"
import type { IncomingMessage } from "node:http"

/** A request header's value as one string (node keeps repeated `set-cookie`s in an array). */
const headerValue = (value: string | Array<string> | undefined): string | undefined =>
  Array.isArray(value) ? value.join(", ") : value

/** The message's headers as `Headers` (its record when no value is an array, as is usual for a request). */
export const headersOf = (message: IncomingMessage): Headers.Headers => {
  const raw = message.headers
  for (const name in raw) {
    if (Array.isArray(raw[name])) {
      const joined: Record<string, string> = {}
      for (const key in raw) {
        const value = headerValue(raw[key])
        if (value !== undefined) joined[key] = value
      }
      return Headers.fromInput(joined)
    }
  }
  return raw as Headers.Headers
}

/** The URL the host received (Express keeps it as `originalUrl` when it strips its own mount path from `url`). */
const receivedUrl = (message: IncomingMessage & { readonly originalUrl?: unknown }): string =>
  typeof message.originalUrl === "string" ? message.originalUrl : message.url ?? "/"

/**
 * The Web `Request` the host's `authenticate` sees: the message's method, the URL as the host received it (mount path
 * included, under Express too) and its headers; no body (the API reads it).
 */
export const toWebRequest = (message: IncomingMessage, headers: Headers.Headers): Request => {
  const init = new globalThis.Headers()
  for (const name in headers) init.set(name, headers[name])
  return new Request(`http://${headers.host ?? "localhost"}${receivedUrl(message)}`, {
    method: message.method ?? "GET",
    headers: init
  })
}

class NodeServerRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private webRequest: Request | undefined
  private cachedCookies: ReadonlyRecord<string, string> | undefined

  constructor(
    readonly message: IncomingMessage,
    readonly url: string,
    readonly headers: Headers.Headers,
    private readonly body: Uint8Array | undefined,
    private readonly remoteAddressOverride: string | undefined
  ) {
    super()
  }

  get source(): Request {
    return this.webRequest ??= toWebRequest(this.message, this.headers)
  }
  get originalUrl(): string {
    return receivedUrl(this.message)
  }
  get method(): HttpMethod {
    return (this.message.method ?? "GET").toUpperCase() as HttpMethod
  }
  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.remoteAddressOverride ?? this.message.socket?.remoteAddress)
  }
  get cookies(): ReadonlyRecord<string, string> {
    return this.cachedCookies ??= Cookies.parseHeader(this.headers.cookie ?? "")
  }

  modify(options: { readonly url?: string; readonly headers?: Headers.Headers; readonly remoteAddress?: string }) {
    return new NodeServerRequest(
      this.message,
      options.url ?? this.url,
      options.headers ?? this.headers,
      this.body,
      options.remoteAddress ?? this.remoteAddressOverride
    )
  }

  private decodeError(cause: unknown, description?: string) {
    return new HttpServerError.RequestError({
      request: this,
      reason: "Decode",
      cause,
      ...(description === undefined ? {} : { description })
    })
  }
  get text(): Effect.Effect<string, HttpServerError.RequestError> {
    return Effect.succeed(this.body === undefined ? "" : Buffer.from(this.body).toString("utf8"))
  }
  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.tryMap(this.text, { try: (text) => JSON.parse(text) as unknown, catch: (e) => this.decodeError(e) })
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError.RequestError> {
    return Effect.tryMap(this.text, {
      try: (text) => UrlParams.fromInput(new URLSearchParams(text)),
      catch: (e) => this.decodeError(e)
    })
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError.RequestError> {
    return Effect.sync(() => (this.body === undefined ? new ArrayBuffer(0) : new Uint8Array(this.body).buffer))
  }
  get stream(): Stream.Stream<Uint8Array, HttpServerError.RequestError> {
    return this.body === undefined
      ? Stream.fail(this.decodeError(undefined, "can not create stream from empty body"))
      : Stream.make(this.body)
  }
  // No route of this API takes a multipart body or upgrades its connection.
  get multipart(): never {
    return Effect.die(this.decodeError(undefined, "multipart bodies are not read by this API")) as never
  }
  get multipartStream(): never {
    return Stream.die(this.decodeError(undefined, "multipart bodies are not read by this API")) as never
  }
  get upgrade(): Effect.Effect<never, HttpServerError.RequestError> {
    return Effect.fail(this.decodeError(undefined, "Not an upgradeable ServerRequest"))
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpServerRequest",
      method: this.method,
      url: this.originalUrl
    })
  }
}

/**
 * The API's request for a `node:http` message: `url` is its path relative to the mount (and query), `body` the bytes
 * the front read and checked (undefined for GET, HEAD and OPTIONS).
 *
 * @internal
 */
export const make = (
  message: IncomingMessage,
  url: string,
  headers: Headers.Headers,
  body: Uint8Array | undefined
): HttpServerRequest.HttpServerRequest => new NodeServerRequest(message, url, headers, body, undefined)
