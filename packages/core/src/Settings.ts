/**
 * The engine's settings, shared by `Webhooks` (validation, publish) and `Dispatcher` (signing, retries, timeouts).
 * Build them with `Settings.layer(options)`; every option has a default here and nowhere else, and the plain
 * values (timeout, http policy, limits) can also come from `HOOKWIRE_*` environment variables via `layerConfig`.
 *
 * @since 0.1.0
 */
import * as Verify from "@hookwire/verify"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Catalog from "./Catalog.js"
import * as CircuitBreaker from "./CircuitBreaker.js"
import * as EnvConfig from "./EnvConfig.js"
import * as Envelope from "./Envelope.js"
import { checkOptions, invalidOption, type ValidationError } from "./Errors.js"
import * as OAuth2 from "./internal/oauth2.js"
import * as ProxyTunnel from "./internal/proxyTunnel.js"
import * as secretsInternal from "./internal/secrets.js"
import { version } from "./internal/version.js"
import * as wholeMs from "./internal/wholeMs.js"
import type * as Model from "./Model.js"
import * as RetryPolicy from "./RetryPolicy.js"
import * as SecretBox from "./SecretBox.js"

/**
 * The per-tenant endpoint limit: a number, or a function of the tenant (e.g. its plan). `Infinity` = unlimited.
 *
 * @since 0.1.0
 * @category models
 */
export type EndpointLimit = number | ((tenant: string) => number | Promise<number> | Effect.Effect<number>)

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly catalog: Catalog.Catalog<any>
  /** Builds the body of each message. Default `{ type, timestamp, data }`. */
  readonly envelope?: Envelope.Envelope | undefined
  /** The signature scheme. Default: Standard Webhooks. */
  readonly scheme?: Verify.Scheme | undefined
  /** Further schemes endpoints may choose by name (`endpoint.scheme`). */
  readonly schemes?: Readonly<Record<string, Verify.Scheme>> | undefined
  /**
   * Named HTTP CONNECT egress proxies (`http://[user:password@]host:port`) endpoints may choose with `proxy`, e.g. one
   * in front of fixed source addresses a receiver allow-lists. Only the operator names them: a tenant picks a name,
   * never an address. (One proxy for every request: the HTTP transport's `proxy` option.)
   */
  readonly proxies?: Readonly<Record<string, string>> | undefined
  /** Makes a new endpoint secret. Default: `whsec_` + base64 of 24 random bytes. */
  readonly generateSecret?: (() => string) | undefined
  /** Default retry policy. Default: `RetryPolicy.standard`. */
  readonly retryPolicy?: RetryPolicy.RetryPolicy | undefined
  /** Request timeout. Default 15 s; at most 60 s. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Accept `http:` endpoint URLs (a warning is logged for each). Default false. */
  readonly allowHttp?: boolean | undefined
  /** Endpoints per tenant. Default unlimited. */
  readonly endpointLimit?: EndpointLimit | undefined
  /** How long the previous secret keeps signing after a rotation. Default 24 h. */
  readonly rotationGrace?: Duration.DurationInput | undefined
  /** Largest body `publish` accepts, in bytes. Default 256 KiB. */
  readonly maxPayloadBytes?: number | undefined
  /**
   * Which id the signature scheme's id header carries (`webhook-id`, `X-VQ-Webhook-Id`, …): the message id, shared
   * by every endpoint that receives the message (Standard Webhooks, Svix), or the delivery id, unique per endpoint.
   * Both are stable across retries, so receivers can deduplicate on either. Default "message".
   */
  readonly signatureId?: "message" | "delivery" | undefined
  /** After 429/502/503/504 the next attempt waits at least this long. Default 60 seconds. */
  readonly throttleMinDelay?: Duration.DurationInput | undefined
  /** A `Retry-After` longer than this is clamped to it. Default 24 hours. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /**
   * Master keys that seal endpoint secrets at rest (AES-256-GCM). The first one seals; all of them open, so a key
   * can be rotated (see `Webhooks.maintenance.resealSecrets`). Without one, secrets are stored as they are and a
   * warning is logged once at start. From the environment: `HOOKWIRE_MASTER_KEYS=id:base64key[,id:base64key…]`.
   */
  readonly masterKeys?: ReadonlyArray<SecretBox.MasterKey> | undefined
  /** Disable an endpoint that has failed continuously (no success) for this long; `false` = never. Default 5 days. */
  readonly disableAfter?: Duration.DurationInput | false | undefined
  /** A circuit breaker for every endpoint (each may override or turn it off). Default: off. */
  readonly circuitBreaker?: CircuitBreaker.Options | false | undefined
}

/**
 * Settings with every default applied.
 *
 * @since 0.1.0
 * @category models
 */
export interface Resolved {
  readonly catalog: Catalog.Catalog<any>
  readonly envelope: Envelope.Envelope
  readonly scheme: Verify.Scheme
  readonly schemes: ReadonlyMap<string, Verify.Scheme>
  /** Named egress proxies: name → proxy URL. */
  readonly proxies: ReadonlyMap<string, string>
  /** Endpoints' OAuth2 access tokens, shared by every fiber of the engine. */
  readonly tokens: OAuth2.TokenCache
  readonly generateSecret: () => string
  readonly retryPolicy: RetryPolicy.RetryPolicy
  readonly timeoutMs: number
  readonly allowHttp: boolean
  readonly endpointLimit: (tenant: string) => Effect.Effect<number>
  readonly rotationGraceMs: number
  readonly maxPayloadBytes: number
  readonly signatureId: "message" | "delivery"
  readonly throttleMinMs: number
  readonly maxRetryAfterMs: number
  readonly disableAfterMs: number | undefined
  readonly circuitBreaker: Model.CircuitBreakerSpec | undefined
  /** Seals and opens endpoint secrets. */
  readonly secrets: secretsInternal.Secrets
  /** Response bodies are kept up to this many bytes. */
  readonly maxResponseBytes: number
  readonly userAgent: string
  /** Header names (lower case) that endpoints' custom headers may not set. */
  readonly reservedHeaders: ReadonlySet<string>
}

/**
 * The largest per-engine or per-endpoint timeout, so that a lease always outlives an attempt.
 *
 * @since 0.1.0
 * @category config
 */
export const MAX_TIMEOUT_MS = 60_000

/**
 * @since 0.1.0
 * @category tags
 */
export class Settings extends Context.Tag("@hookwire/core/Settings")<Settings, Resolved>() {}

const BASE_RESERVED = [
  "host",
  "content-type",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "user-agent",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "svix-id",
  "svix-timestamp",
  "svix-signature",
  "stripe-signature",
  "x-hub-signature",
  "x-hub-signature-256",
  "x-github-delivery"
]

const signatureHeaderNames = (scheme: Verify.Scheme): Array<string> => {
  const headers = scheme.sign({ id: "msg_probe", timestamp: 0, body: "", secrets: [Verify.generateSecret()] })
  return Object.keys(headers).map((name) => name.toLowerCase())
}

/** Whole milliseconds, finite: a rotated secret's expiry (now + grace) is stored (see internal/wholeMs.ts). */
const rotationGraceMs = (input: Duration.DurationInput | undefined): number => {
  const ms = wholeMs.ceil(Duration.toMillis(input ?? Duration.hours(24)))
  if (!(ms >= 0 && Number.isFinite(ms))) {
    throw invalidOption(
      "rotationGrace",
      `Invalid rotationGrace ${ms} ms: use a finite, non-negative duration, like "24 hours"`
    )
  }
  return ms
}

const PROXY_NAME = /^[A-Za-z0-9_.-]{1,64}$/

const proxies = (given: Readonly<Record<string, string>> | undefined): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  for (const [name, url] of Object.entries(given ?? {})) {
    if (!PROXY_NAME.test(name)) {
      throw invalidOption(
        "proxies",
        `Invalid proxies name ${JSON.stringify(name)}: use 1–64 letters, digits, ".", "_" or "-"`
      )
    }
    const parsed = ProxyTunnel.parse(url)
    // The message never repeats the URL, which may carry the proxy's credentials.
    if (typeof parsed === "string") throw invalidOption(`proxies.${name}`, `Invalid proxies.${name}: ${parsed}`)
    out.set(name, url)
  }
  return out
}

// The master keys, checked: a bad one is a ValidationError (SecretBox's messages never repeat a key).
const secretBox = (keys: ReadonlyArray<SecretBox.MasterKey> | undefined): SecretBox.SecretBox | undefined => {
  if (keys === undefined || keys.length === 0) return undefined
  try {
    return SecretBox.make(keys)
  } catch (error) {
    throw invalidOption("masterKeys", error instanceof Error ? error.message : String(error))
  }
}

/**
 * Applies defaults and checks the options. Throws a `ValidationError` (`invalid_option`, naming the option) that
 * says what to fix for an invalid option: this runs once, at configuration time (`layer` fails with it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (options: Options): Resolved => {
  const timeoutMs = Duration.toMillis(options.timeout ?? Duration.seconds(15))
  if (!(timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw invalidOption(
      "timeout",
      `Invalid timeout ${timeoutMs} ms: use a duration between 1 ms and ${MAX_TIMEOUT_MS / 1000} s`
    )
  }
  const maxPayloadBytes = options.maxPayloadBytes ?? 256 * 1024
  if (!(Number.isInteger(maxPayloadBytes) && maxPayloadBytes > 0)) {
    throw invalidOption(
      "maxPayloadBytes",
      `Invalid maxPayloadBytes ${maxPayloadBytes}: use a positive whole number of bytes`
    )
  }
  const scheme = options.scheme ?? Verify.standard
  const schemes = new Map(Object.entries(options.schemes ?? {}))
  const reserved = new Set(BASE_RESERVED)
  for (const s of [scheme, ...schemes.values()]) {
    for (const name of signatureHeaderNames(s)) reserved.add(name)
  }
  const limit = options.endpointLimit ?? Infinity
  return {
    proxies: proxies(options.proxies),
    tokens: new OAuth2.TokenCache(),
    catalog: options.catalog,
    envelope: options.envelope ?? Envelope.standard,
    scheme,
    schemes,
    generateSecret: options.generateSecret ?? Verify.generateSecret,
    retryPolicy: options.retryPolicy ?? RetryPolicy.standard,
    timeoutMs,
    allowHttp: options.allowHttp ?? false,
    endpointLimit: typeof limit === "number" ?
      () => Effect.succeed(limit) :
      (tenant) =>
        Effect.suspend(() => {
          const result = limit(tenant)
          if (Effect.isEffect(result)) return result
          if (typeof result === "number") return Effect.succeed(result)
          return Effect.promise(() => result)
        }),
    rotationGraceMs: rotationGraceMs(options.rotationGrace),
    maxPayloadBytes,
    signatureId: options.signatureId ?? "message",
    throttleMinMs: Duration.toMillis(options.throttleMinDelay ?? Duration.seconds(60)),
    maxRetryAfterMs: Duration.toMillis(options.maxRetryAfter ?? Duration.hours(24)),
    disableAfterMs: options.disableAfter === false
      ? undefined
      : Duration.toMillis(options.disableAfter ?? Duration.days(5)),
    circuitBreaker: options.circuitBreaker === undefined || options.circuitBreaker === false
      ? undefined
      : CircuitBreaker.resolve(options.circuitBreaker),
    secrets: secretsInternal.make(secretBox(options.masterKeys)),
    maxResponseBytes: 16 * 1024,
    userAgent: `Hookwire/${version}`,
    reservedHeaders: reserved
  }
}

/**
 * The settings of `options`. A bad option fails the layer with a `ValidationError` (`invalid_option`) naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Settings, ValidationError> =>
  Layer.effect(Settings, checkOptions(() => resolve(options)))

/**
 * The options `layerConfig` reads from `Config`.
 *
 * @since 0.2.0
 * @category models
 */
export interface ConfigOptions {
  readonly timeout?: Duration.DurationInput | undefined
  readonly allowHttp?: boolean | undefined
  readonly maxPayloadBytes?: number | undefined
  readonly masterKeys?: ReadonlyArray<SecretBox.MasterKey> | undefined
}

const masterKeys = (text: string): Either.Either<ReadonlyArray<SecretBox.MasterKey>, string> => {
  try {
    const keys = SecretBox.parseKeys(text)
    // Checked now (ids, 32-byte keys), so that a bad key is this variable's ConfigError, not a defect at start.
    if (keys.length > 0) SecretBox.make(keys)
    return Either.right(keys)
  } catch (error) {
    // SecretBox's messages never repeat a key.
    return Either.left(`${error instanceof Error ? error.message : String(error)}`)
  }
}

/**
 * The environment's settings, each optional: `HOOKWIRE_TIMEOUT` (a duration up to 60 s, e.g. "10 seconds"),
 * `HOOKWIRE_ALLOW_HTTP` (true/false), `HOOKWIRE_MAX_PAYLOAD_BYTES` (a positive whole number) and
 * `HOOKWIRE_MASTER_KEYS` (`id:base64key[,id:base64key…]`). A bad value is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<ConfigOptions> = Config.all({
  timeout: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_TIMEOUT", { min: Duration.millis(1), max: MAX_TIMEOUT_MS })),
  allowHttp: EnvConfig.optional(EnvConfig.boolean("HOOKWIRE_ALLOW_HTTP")),
  maxPayloadBytes: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_MAX_PAYLOAD_BYTES", { min: 1 })),
  masterKeys: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_MASTER_KEYS", masterKeys))
})

/**
 * Like `layer`, with the settings of `config` (by default `defaultConfig`: `HOOKWIRE_TIMEOUT`,
 * `HOOKWIRE_ALLOW_HTTP`, `HOOKWIRE_MAX_PAYLOAD_BYTES`, `HOOKWIRE_MASTER_KEYS`) used where `options` does not give
 * them. A bad value fails the layer with a `ConfigError` that names the variable and what it accepts.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options: Options,
  config: Config.Config.Wrap<ConfigOptions> = defaultConfig
): Layer.Layer<Settings, ConfigError.ConfigError> =>
  Layer.effect(
    Settings,
    Effect.flatMap(withEnvironment(options, config), (options) => EnvConfig.checkOptions(() => resolve(options)))
  )

/**
 * `options` completed from `config` (by default `defaultConfig`, the `HOOKWIRE_*` environment of the current
 * `ConfigProvider`) where `options` does not give a value. `layerConfig` and `createHookwire` both use it.
 *
 * @since 0.1.0
 * @category config
 */
export const withEnvironment = <O extends Options>(
  options: O,
  config: Config.Config.Wrap<ConfigOptions> = defaultConfig
): Effect.Effect<O, ConfigError.ConfigError> =>
  Effect.map(
    Config.unwrap(config),
    (env): O => ({
      ...options,
      timeout: options.timeout ?? env.timeout,
      allowHttp: options.allowHttp ?? env.allowHttp,
      maxPayloadBytes: options.maxPayloadBytes ?? env.maxPayloadBytes,
      masterKeys: options.masterKeys ?? env.masterKeys
    })
  )
