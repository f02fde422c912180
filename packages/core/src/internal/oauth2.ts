/**
 * OAuth2 client credentials for endpoints behind an OAuth2 gateway: the token request (RFC 6749 §4.4, client
 * authentication with HTTP Basic or in the body), sent through the engine's own Transport so the token URL meets the
 * same SSRF guard, proxy and timeouts as a delivery; and the engine-wide token cache, which every worker fiber
 * shares: one fetch at a time per endpoint (the others wait for it), refreshed ahead of expiry, dropped after a 401.
 * Failures are `TransportError`s with code `oauth_token` (a refused address stays `blocked`); their messages carry
 * the token endpoint's status and OAuth `error` code, never the client secret or the response body.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import { TransportError } from "../Errors.js"
import type { Transport, TransportRequest, TransportResponse } from "../Transport.js"

/** What a token request needs (the secret opened). */
export interface Client {
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: ReadonlyArray<string>
  /** `basic` (default): HTTP Basic; `body`: `client_id` and `client_secret` in the form body. */
  readonly clientAuth: "basic" | "body"
}

export interface Token {
  readonly accessToken: string
  /** When to fetch a new one (epoch ms): ahead of its expiry. */
  readonly refreshAt: number
}

/** A token without `expires_in` is used for this long. */
const DEFAULT_LIFETIME_MS = 5 * 60_000

/** When to refresh a token that lives `lifetimeMs` from `now`: a tenth of its life early, at most a minute. */
export const refreshAt = (now: number, lifetimeMs: number): number =>
  now + lifetimeMs - Math.min(60_000, Math.floor(lifetimeMs / 10))

const failure = (message: string) => new TransportError({ code: "oauth_token", message })

/** `application/x-www-form-urlencoded`, as RFC 6749 §2.3.1 wants it for Basic credentials too. */
const form = (value: string) => encodeURIComponent(value).replace(/%20/g, "+")

/** The token request: POST, form-encoded. */
export const request = (
  client: Client,
  base: Pick<TransportRequest, "timeoutMs" | "proxy">
): TransportRequest => {
  const fields = [["grant_type", "client_credentials"]]
  if (client.scopes.length > 0) fields.push(["scope", client.scopes.join(" ")])
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json"
  }
  if (client.clientAuth === "basic") {
    headers.authorization = `Basic ${
      Buffer.from(`${form(client.clientId)}:${form(client.clientSecret)}`).toString("base64")
    }`
  } else {
    fields.push(["client_id", client.clientId], ["client_secret", client.clientSecret])
  }
  return {
    url: client.tokenUrl,
    headers,
    body: fields.map(([k, v]) => `${k}=${form(v!)}`).join("&"),
    timeoutMs: base.timeoutMs,
    maxResponseBytes: 16 * 1024,
    proxy: base.proxy
  }
}

/** The token in a 2xx answer, or the failure (status and OAuth `error` code only). */
export const parse = (status: number, body: string, now: number): Token | TransportError => {
  let json: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      json = parsed as Record<string, unknown>
    }
  } catch {
    json = undefined
  }
  if (status < 200 || status > 299) {
    const code = typeof json?.error === "string" && /^[\x20-\x7e]{1,64}$/.test(json.error) ? ` (${json.error})` : ""
    return failure(`the token endpoint answered ${status}${code}`)
  }
  if (json === undefined) return failure("the token endpoint's answer is not a JSON object")
  const accessToken = json.access_token
  if (typeof accessToken !== "string" || accessToken.length === 0 || /[^\x21-\x7e]/.test(accessToken)) {
    return failure("the token endpoint's answer has no usable access_token")
  }
  if (json.token_type !== undefined && String(json.token_type).toLowerCase() !== "bearer") {
    return failure(
      `the token endpoint issued a ${JSON.stringify(String(json.token_type))} token; only Bearer is supported`
    )
  }
  const expiresIn = typeof json.expires_in === "string" ? Number(json.expires_in) : json.expires_in
  const lifetimeMs = typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn >= 0
    ? expiresIn * 1000
    : DEFAULT_LIFETIME_MS
  return { accessToken, refreshAt: refreshAt(now, lifetimeMs) }
}

/** Fetches a token through the transport. */
export const fetch = (
  transport: Transport["Type"],
  client: Client,
  base: Pick<TransportRequest, "timeoutMs" | "proxy">
): Effect.Effect<Token, TransportError> =>
  Effect.flatMap(
    Effect.mapError(transport.send(request(client, base)), (error) =>
      error.code === "blocked" ? error : failure(`the token request failed: ${error.message}`)),
    (response) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const token = parse(response.status, response.body, now)
        return token instanceof TransportError ? Effect.fail(token) : Effect.succeed(token)
      })
  )

interface Entry {
  token: Token | undefined
  inflight: Deferred.Deferred<Token, TransportError> | undefined
}

/** The most endpoints whose tokens are kept; beyond it the cache starts again (tokens are fetched anew). */
const MAX_ENTRIES = 10_000

/** Tokens by endpoint, shared by every fiber of an engine. */
export class TokenCache {
  private readonly entries = new Map<string, Entry>()

  /**
   * The cached token of `key` while it is fresh; otherwise one `fetch` (in its own fiber, so a waiter that is
   * interrupted does not strand the others), which every concurrent caller waits for.
   */
  get(key: string, fetch: Effect.Effect<Token, TransportError>): Effect.Effect<Token, TransportError> {
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      let entry = this.entries.get(key)
      if (entry === undefined) {
        if (this.entries.size >= MAX_ENTRIES) this.entries.clear()
        entry = { token: undefined, inflight: undefined }
        this.entries.set(key, entry)
      }
      const current = entry
      if (current.token !== undefined && now < current.token.refreshAt) return Effect.succeed(current.token)
      if (current.inflight !== undefined) return Deferred.await(current.inflight)
      // Made and registered in one synchronous step: no other fiber can start a second fetch in between.
      const deferred = Deferred.unsafeMake<Token, TransportError>(FiberId.none)
      current.inflight = deferred
      const run = fetch.pipe(
        Effect.tap((token) => Effect.sync(() => (current.token = token))),
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(deferred, exit)),
        Effect.ensuring(Effect.sync(() => (current.inflight = undefined)))
      )
      return Effect.zipRight(Effect.forkDaemon(run), Deferred.await(deferred))
    })
  }

  /** Forgets `token` for `key` (the receiver answered 401 to it); a newer one is kept. */
  invalidate(key: string, token: Token): void {
    const entry = this.entries.get(key)
    if (entry?.token === token) entry.token = undefined
  }
}

const remaining = (deadline: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    deadline - now > 0
      ? Effect.succeed(deadline - now)
      : Effect.fail(new TransportError({ code: "timeout", message: "no complete response within the timeout" })))

/**
 * Sends `request` with the endpoint's Bearer token: the cached one, or a fetched one; after a 401, once more with a
 * fresh token (the 401's token is dropped from the cache first). The token request and the sends share the
 * request's one deadline, so an attempt never outlives its timeout (nor its lease).
 */
export const send = (
  cache: TokenCache,
  key: string,
  transport: Transport["Type"],
  client: Client,
  request: TransportRequest
): Effect.Effect<TransportResponse, TransportError> =>
  Effect.flatMap(Clock.currentTimeMillis, (start) => {
    const deadline = start + request.timeoutMs
    const token = Effect.flatMap(
      remaining(deadline),
      (timeoutMs) => cache.get(key, fetch(transport, client, { timeoutMs, proxy: request.proxy }))
    )
    const withToken = (current: Token) =>
      Effect.flatMap(remaining(deadline), (timeoutMs) =>
        transport.send({
          ...request,
          timeoutMs,
          headers: { ...request.headers, authorization: `Bearer ${current.accessToken}` }
        }))
    return Effect.flatMap(token, (first) =>
      Effect.flatMap(withToken(first), (response) => {
        if (response.status !== 401) return Effect.succeed(response)
        cache.invalidate(key, first)
        return Effect.flatMap(token, withToken)
      }))
  })
