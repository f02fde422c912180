/**
 * The management API's server side in Effect: the handlers of `Api.ManagementApi` over the `Webhooks` service,
 * authentication (access tokens and the host's `authenticate`), scope checks, `Idempotency-Key` replay, and every
 * failure as an RFC 9457 problem document. `toWebHandler` gives the bare `Request → Response` handler; the mounts
 * (`Mount`) run the same app (`appLayer`, internal/app.ts) behind the mount path, body limits, CORS, the OpenAPI
 * document and the portal.
 *
 * @since 0.3.0
 */
import {
  HttpApiBuilder,
  HttpApiError,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import * as EnvConfig from "@hookwire/core/EnvConfig"
import type { Settings } from "@hookwire/core/Settings"
import type { Webhooks } from "@hookwire/core/Webhooks"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "./AccessToken.js"
import { Authorization, ManagementApi } from "./Api.js"
import * as App from "./internal/app.js"
import * as FastRoutes from "./internal/fastRoutes.js"
import * as handlers from "./internal/handlers.js"
import { hashOf, IdempotencyStore } from "./internal/idempotency.js"
import * as Problem from "./Problem.js"

/**
 * What the host's `authenticate` returns for a request it accepts (`scope` defaults to `manage`).
 *
 * @since 0.3.0
 * @category models
 */
export interface Authenticated {
  readonly tenant: string
  readonly scope?: AccessToken.Scope | undefined
  readonly expiresAt?: Date | null | undefined
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Options {
  /**
   * The host's own authentication: the tenant (and scope) of a request, or null / undefined to refuse it with 401.
   * Called with the Web `Request` as the host received it (headers, and the URL with the mount path; the body is read
   * by the API). Tried after access tokens.
   */
  readonly authenticate?:
    | ((request: Request) => Authenticated | null | undefined | Promise<Authenticated | null | undefined>)
    | undefined
  /** Built-in access tokens (`AccessToken.make`): a `Bearer hwt_…` header is checked with them. */
  readonly tokens?: AccessToken.AccessTokens | undefined
  /**
   * Whether this host publishes with channels (default true). `false`: `GET /config` says so, the portal shows no
   * channels, and creating or updating an endpoint with channels is refused (400 `channels_not_used`).
   */
  readonly channels?: boolean | undefined
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

const refusals: Record<AccessToken.Refusal, string> = {
  malformed: "The access token is malformed; ask the host for a new one",
  bad_signature: "The access token is not valid (tampered, or its signing key was rotated); ask for a new one",
  expired: "The access token has expired; ask the host for a new one"
}

const checkAuthenticated = (value: Authenticated): AccessToken.Caller | undefined =>
  typeof value.tenant === "string" && value.tenant.length > 0 &&
    (value.scope === undefined || value.scope === "read" || value.scope === "manage")
    ? { tenant: value.tenant, scope: value.scope ?? "manage", expiresAt: value.expiresAt ?? null }
    : undefined

const authenticator = (options: Options) =>
(
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<AccessToken.Caller, Problem.Unauthorized | Problem.Internal> => {
  const header = request.headers.authorization ?? ""
  const bearer = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, "").trim() : undefined
  if (options.tokens !== undefined && bearer?.startsWith("hwt_")) {
    const verified = options.tokens.verify(bearer)
    return verified.ok
      ? Effect.succeed(verified.caller)
      : Effect.fail(Problem.make(401, "unauthorized", refusals[verified.reason]))
  }
  const authenticate = options.authenticate
  if (authenticate === undefined) {
    return Effect.fail(
      Problem.make(401, "unauthorized", "Send an access token as `Authorization: Bearer hwt_…`")
    )
  }
  const source = request.source instanceof Request ? request.source : new Request(`http://localhost${request.url}`)
  return Effect.tryPromise({
    try: async () => await authenticate(source),
    catch: (error) => error
  }).pipe(
    Effect.catchAll((error) =>
      Effect.zipRight(
        Effect.logError("@hookwire/api: authenticate threw", error),
        Effect.fail(Problem.make(500, "internal", "Authentication failed on the server"))
      )
    ),
    Effect.flatMap((result) => {
      const caller = result === null || result === undefined ? undefined : checkAuthenticated(result)
      return caller === undefined
        ? Effect.fail(Problem.make(401, "unauthorized", "The request's credentials were refused"))
        : Effect.succeed(caller)
    })
  )
}

const respond = (problem: Problem.Problem) =>
  HttpServerResponse.unsafeJson(problem, {
    status: problem.status,
    contentType: "application/problem+json",
    headers: problem.status === 401 ? { "www-authenticate": "Bearer" } : undefined
  })

const isProblem = (u: unknown): u is Problem.Problem =>
  u instanceof Problem.BadRequest || u instanceof Problem.Unauthorized || u instanceof Problem.Forbidden ||
  u instanceof Problem.NotFound || u instanceof Problem.Conflict || u instanceof Problem.PayloadTooLarge ||
  u instanceof Problem.Internal

/** Every failure of a request as a problem response. */
const toResponse = (cause: Cause.Cause<unknown>) => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (isProblem(error)) return Effect.succeed(respond(error))
    if (error instanceof HttpApiError.HttpApiDecodeError) {
      // One entry per field: a union (e.g. an optional field) reports each of its members' mismatches.
      const byPath = new Map<string, string>()
      for (const issue of error.issues) {
        const path = issue.path.map(String).join(".")
        if (!byPath.has(path)) byPath.set(path, issue.message)
      }
      const errors = [...byPath].map(([path, message]) => ({ path, message }))
      return Effect.succeed(
        respond(Problem.make(400, "invalid_request", "The request does not match the API's schema", errors))
      )
    }
    if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound") {
      return Effect.succeed(respond(Problem.make(404, "not_found", "No such route; see GET /openapi.json")))
    }
  }
  const defect = Cause.squash(cause)
  if (HttpServerError.isServerError(defect) && defect._tag === "RequestError" && defect.reason === "Decode") {
    return Effect.succeed(respond(Problem.make(400, "malformed_json", "The request body is not valid JSON")))
  }
  // An interrupted request (the client went away) stays interrupted.
  if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
  return Effect.as(
    Effect.logError("@hookwire/api: request failed", cause),
    respond(Problem.make(500, "internal", "The request failed on the server"))
  )
}

const withIdempotency = (
  store: IdempotencyStore,
  caller: AccessToken.Caller,
  request: HttpServerRequest.HttpServerRequest,
  key: string,
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, HttpServerRequest.HttpServerRequest>
) =>
  Effect.gen(function*() {
    if (key.length === 0 || key.length > 255) {
      return yield* Effect.fail(Problem.make(400, "invalid_request", "Idempotency-Key must be 1 to 255 characters"))
    }
    const storeKey = `${caller.tenant}\u0000${request.method}\u0000${request.url}\u0000${key}`
    const bodyHash = hashOf(yield* Effect.orElseSucceed(request.text, () => ""))
    const now = Date.now()
    const seen = store.get(storeKey, now)
    if (seen !== undefined) {
      if (seen.bodyHash !== bodyHash) {
        return yield* Effect.fail(
          Problem.make(409, "idempotency_key_reused", "This Idempotency-Key was used with another body")
        )
      }
      if (seen.response === undefined) {
        return yield* Effect.fail(
          Problem.make(409, "idempotency_key_in_use", "A request with this Idempotency-Key is running")
        )
      }
      return HttpServerResponse.setHeader(seen.response, "idempotent-replayed", "true")
    }
    store.begin(storeKey, bodyHash, now)
    const response = yield* Effect.catchAllCause(app, toResponse).pipe(
      Effect.onExit((exit) => Effect.sync(() => exit._tag === "Failure" && store.abandon(storeKey)))
    )
    if (response.status >= 500) store.abandon(storeKey)
    else store.finish(storeKey, bodyHash, response, Date.now())
    return response
  })

/**
 * The caller the guard resolved for each request, for the declared middleware to hand to the handlers: a lookup
 * instead of the guard providing `CurrentCaller` itself (the middleware provides it anyway: a second fiber-ref swap
 * in an acquire/use/release region on every request).
 */
const callers = new WeakMap<HttpServerRequest.HttpServerRequest, AccessToken.Caller>()

/** Authentication, scope, idempotency and problem responses around every route. */
const guard = (options: Options) => {
  const authenticate = authenticator(options)
  const store = new IdempotencyStore()
  // A pipe, not Effect.gen: this runs on every request (no generator, fewer runtime steps).
  return HttpApiBuilder.middleware((app) =>
    HttpServerRequest.HttpServerRequest.pipe(
      Effect.flatMap((request) =>
        Effect.flatMap(authenticate(request), (caller) => {
          if (!READ_METHODS.has(request.method) && caller.scope !== "manage") {
            return Effect.fail(
              Problem.make(403, "forbidden", "This credential has read scope: it cannot change anything")
            )
          }
          callers.set(request, caller)
          const key = request.method === "POST" ? request.headers["idempotency-key"] : undefined
          return key === undefined ? app : withIdempotency(store, caller, request, key, app)
        })
      ),
      Effect.catchAllCause(toResponse)
    )
  )
}

// The guard resolved the caller before any route runs; the declared middleware hands it to the handlers.
const authorization = Layer.succeed(Authorization, {
  bearer: () =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const caller = callers.get(request)
      return caller === undefined
        ? Effect.fail(Problem.make(401, "unauthorized", "Not authenticated"))
        : Effect.succeed(caller)
    })
})

/**
 * The API as a Layer for `HttpApiBuilder` (serve it with `HttpApiBuilder.serve` or `toWebHandler`). Requires the
 * Webhooks service and the engine's Settings.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (options: Options) =>
  HttpApiBuilder.api(ManagementApi).pipe(
    Layer.provide(handlers.layer({ channels: options.channels ?? true })),
    Layer.provide(authorization),
    Layer.provide(guard(options))
  )

/**
 * What `layerConfig` reads from `Config`.
 *
 * @since 0.3.0
 * @category models
 */
export interface ConfigOptions {
  /** The signing keys of the built-in access tokens (`AccessToken.make`): the first signs, every one verifies. */
  readonly tokenKeys?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** The longest ttl tokens are minted with (`AccessToken.Options.maxTtl`). Default 30 days. */
  readonly tokenMaxTtl?: Duration.DurationInput | undefined
  /** See `Options.channels`. */
  readonly channels?: boolean | undefined
}

// Checked as AccessToken.make checks them, so that a short key is this variable's ConfigError; no message shows a key.
const tokenKeys = (text: string): Either.Either<ReadonlyArray<Redacted.Redacted<string>>, string> => {
  const keys = text.split(",").map((key) => key.trim()).filter((key) => key.length > 0).map((key) => Redacted.make(key))
  try {
    AccessToken.make({ keys })
    return Either.right(keys)
  } catch (error) {
    return Either.left(
      `Expected comma-separated signing keys of at least 32 bytes each (values not shown): ${
        error instanceof Error ? error.message : String(error)
      }`
    )
  }
}

/**
 * The environment's API settings, each optional: `HOOKWIRE_TOKEN_KEYS` (the access tokens' signing keys,
 * comma-separated, at least 32 bytes each, the first signs; kept `Redacted`), `HOOKWIRE_TOKEN_MAX_TTL` (a duration
 * such as "7 days") and `HOOKWIRE_API_CHANNELS` (true/false). A bad value is a `ConfigError` naming the variable,
 * never showing a key.
 *
 * @since 0.3.0
 * @category config
 */
export const defaultConfig: Config.Config<ConfigOptions> = Config.all({
  tokenKeys: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_TOKEN_KEYS", tokenKeys)),
  tokenMaxTtl: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_TOKEN_MAX_TTL", { min: Duration.seconds(1) })),
  channels: EnvConfig.optional(EnvConfig.boolean("HOOKWIRE_API_CHANNELS"))
})

/**
 * `layer`, with the settings of `config` (by default `defaultConfig`: `HOOKWIRE_TOKEN_KEYS`,
 * `HOOKWIRE_TOKEN_MAX_TTL`, `HOOKWIRE_API_CHANNELS`) used where `options` does not give them: with signing keys and
 * no `options.tokens`, access tokens are checked with `AccessToken.make({ keys, maxTtl })`. `authenticate` can only
 * come from `options`. A bad value, from any `Config`, fails the layer with a `ConfigError`.
 *
 * @since 0.3.0
 * @category layers
 */
export const layerConfig = (options: Options = {}, config: Config.Config.Wrap<ConfigOptions> = defaultConfig) =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const read = yield* Config.unwrap(config)
      const keys = read.tokenKeys
      const tokens = options.tokens ?? (keys === undefined || keys.length === 0
        ? undefined
        : yield* EnvConfig.checkOptions(() => AccessToken.make({ keys, maxTtl: read.tokenMaxTtl })))
      return layer({ ...options, tokens, channels: options.channels ?? read.channels })
    })
  )

/**
 * The layer a mount runs: the API over the engine, with the platform's default services, and the plain router of the
 * two hottest read routes in front of it (internal/fastRoutes.ts).
 *
 * @internal
 */
export const appLayer = (engine: Layer.Layer<Webhooks | Settings, unknown>, options: Options) =>
  Layer.mergeAll(
    Layer.mergeAll(layer(options), FastRoutes.layer({ authenticate: authenticator(options), toResponse })).pipe(
      Layer.provide(engine)
    ),
    HttpServer.layerContext
  )

/**
 * The bare Web handler (paths relative to the mount, no body limit, no CORS): `Mount` wraps it.
 *
 * @since 0.3.0
 * @category constructors
 */
export const toWebHandler = (
  engine: Layer.Layer<Webhooks | Settings, unknown>,
  options: Options
): { readonly handler: (request: Request) => Promise<Response>; readonly dispose: () => Promise<void> } => {
  const app = App.make(appLayer(engine, options))
  return {
    handler: async (request) =>
      HttpServerResponse.toWeb(
        await app.run(
          HttpServerRequest.fromWeb(request),
          (interrupt) => request.signal.addEventListener("abort", interrupt, { once: true })
        ),
        { withoutBody: request.method === "HEAD" }
      ),
    dispose: app.dispose
  }
}
