/**
 * The Redis connection every `@hookwire/redis` service runs on: an ioredis client made from a URL or options, or one
 * you already have (standalone, Sentinel or Cluster). Connections it makes it also closes; an instance you pass in
 * stays yours and stays open. Services that must wait on Redis (the queue's wake-ups) open a dedicated duplicate
 * connection of their own with `subscriber`.
 *
 * - **Standalone:** `"redis://user:password@host:6379/0"` (or `rediss://` for TLS), or `{ host, port, password, db }`.
 * - **Sentinel:** `{ sentinels: [{ host, port }], name: "mymaster" }`: ioredis asks the sentinels for the master and
 *   follows failovers.
 * - **Cluster:** `new Cluster([{ host, port }], options)` (`import { Cluster } from "ioredis"`). Every key of one
 *   queue carries the same hash tag, so its scripts run on one node.
 *
 * Errors never carry the password: messages name the host and port only.
 *
 * @since 0.1.0
 */
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Errors from "@hookwire/core/Errors"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { Cluster, Redis, type RedisOptions } from "ioredis"
import { describe as describeCause, isConnection } from "./internal/errors.js"

/**
 * An ioredis client: standalone (or Sentinel-managed) or Cluster.
 *
 * @since 0.1.0
 * @category models
 */
export type Client = Redis | Cluster

/**
 * Where to connect: a URL (plain or `Redacted`), ioredis options (standalone or Sentinel), or an ioredis instance
 * (`Redis` or `Cluster`) that stays yours.
 *
 * @since 0.1.0
 * @category models
 */
export type Input = string | Redacted.Redacted<string> | RedisOptions | Client

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Shown by `CLIENT LIST` (for connections made here). Default `hookwire`. */
  readonly connectionName?: string | undefined
}

/**
 * Connecting to Redis failed when a layer was built.
 *
 * @since 0.1.0
 * @category errors
 */
export class RedisConnectionError
  extends Schema.TaggedError<RedisConnectionError>("@hookwire/redis/RedisConnectionError")("RedisConnectionError", {
    code: Schema.Literal("connection", "unknown"),
    message: Schema.String,
    cause: Schema.optional(Schema.Defect)
  })
{}

/**
 * @since 0.1.0
 * @category tags
 */
export class RedisConnection extends Context.Tag("@hookwire/redis/RedisConnection")<RedisConnection, {
  /** The client commands run on. */
  readonly client: Client
  /** Where it points, without credentials, for messages: `127.0.0.1:6379`, `sentinel master "mymaster"`, … */
  readonly where: string
  /**
   * A new connection with the same settings, for blocking or subscribing, named `<connectionName>:<role>`; closed
   * when the scope closes.
   */
  readonly duplicate: (role: string) => Effect.Effect<Client, never, Scope.Scope>
}>() {}

/**
 * Whether a value is an ioredis client (rather than options or a URL).
 *
 * @since 0.1.0
 * @category guards
 */
export const isClient = (input: unknown): input is Client => input instanceof Redis || input instanceof Cluster

const hostOf = (options: RedisOptions): string => {
  if (Array.isArray(options.sentinels) && options.sentinels.length > 0) {
    return `sentinel master "${options.name ?? "mymaster"}"`
  }
  if (typeof options.path === "string") return options.path
  return `${options.host ?? "127.0.0.1"}:${options.port ?? 6379}`
}

/**
 * A description of where `input` points, without credentials.
 *
 * @since 0.1.0
 * @category constructors
 */
export const describe = (input: Input): string => {
  if (input instanceof Cluster) {
    const nodes = (input as unknown as { startupNodes?: ReadonlyArray<unknown> }).startupNodes
    return `the Redis Cluster${nodes === undefined ? "" : ` (${nodes.length} startup nodes)`}`
  }
  if (input instanceof Redis) return hostOf(input.options)
  if (typeof input === "string" || Redacted.isRedacted(input)) {
    const text = typeof input === "string" ? input : Redacted.value(input)
    try {
      const url = new URL(text)
      return `${url.protocol}//${url.hostname}:${url.port === "" ? "6379" : url.port}${
        url.pathname === "/" ? "" : url.pathname
      }`
    } catch {
      return "the configured Redis URL (unparsable)"
    }
  }
  return hostOf(input)
}

const validateName = (name: string): string => {
  if (!/^[!-~]+$/.test(name)) {
    throw Errors.invalidOption(
      "connectionName",
      `Invalid Redis connectionName ${JSON.stringify(name)}: use printable characters without spaces`
    )
  }
  return name
}

/**
 * Makes a client from a URL or options (not connected yet: ioredis connects in the background). For an instance,
 * returns it as is. Throws a `ValidationError` (`invalid_option`) for a bad URL or connection name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeClient = (input: Input, options: Options & { readonly defaults?: RedisOptions } = {}): Client => {
  if (isClient(input)) return input
  const connectionName = validateName(options.connectionName ?? "hookwire")
  if (typeof input === "string" || Redacted.isRedacted(input)) {
    const url = typeof input === "string" ? input : Redacted.value(input)
    if (!/^rediss?:\/\//.test(url)) {
      throw Errors.invalidOption(
        "url",
        `Invalid Redis URL ${describe(input)}: use redis://[user:password@]host[:port][/db] or rediss:// for TLS`
      )
    }
    return new Redis(url, { ...options.defaults, connectionName })
  }
  return new Redis({ ...options.defaults, connectionName, ...input })
}

const close = (client: Client): Effect.Effect<void> =>
  Effect.tryPromise(() => client.quit()).pipe(
    Effect.timeout("2 seconds"),
    Effect.ignore,
    Effect.ensuring(Effect.sync(() => client.disconnect()))
  )

/** Logs a connection loss once (not on every reconnection attempt), and again after the next recovery. */
const watch = (client: Client, label: string, where: string) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    let reported = false
    client.on("error", (error: unknown) => {
      if (reported) return
      reported = true
      Runtime.runFork(runtime)(
        Effect.logWarning(`${describeCause(label, where, error)} Reconnecting.`)
      )
    })
    client.on("ready", () => {
      reported = false
    })
  })

/**
 * Builds the connection service in the current scope and checks that Redis answers (`PING`), so a wrong URL fails
 * at start-up with a clear message rather than at the first delivery. A bad URL or connection name fails it with a
 * `ValidationError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  input: Input,
  options: Options = {}
): Effect.Effect<RedisConnection["Type"], RedisConnectionError | Errors.ValidationError, Scope.Scope> =>
  Effect.gen(function*() {
    const where = describe(input)
    const owned = !isClient(input)
    const client = owned
      ? yield* Effect.acquireRelease(Errors.checkOptions(() => unsafeClient(input, options)), close)
      : input as Client
    if (owned) yield* watch(client, "RedisConnection", where)
    yield* Effect.tryPromise({
      try: () => client.ping(),
      catch: (cause) =>
        new RedisConnectionError({
          code: isConnection(cause) ? "connection" : "unknown",
          message: describeCause("RedisConnection", where, cause),
          cause
        })
    })
    const baseName = options.connectionName ??
      (client instanceof Redis ? client.options.connectionName : undefined) ?? "hookwire"
    const duplicate = (role: string) =>
      Effect.acquireRelease(
        Effect.sync((): Client => {
          const name = validateName(`${baseName}:${role}`)
          return client instanceof Cluster
            ? client.duplicate(undefined, { redisOptions: { ...client.options.redisOptions, connectionName: name } })
            : client.duplicate({ connectionName: name })
        }),
        close
      ).pipe(Effect.tap((dup) => watch(dup, `RedisConnection (${role})`, where)))
    return RedisConnection.of({ client, where, duplicate })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  input: Input,
  options: Options = {}
): Layer.Layer<RedisConnection, RedisConnectionError | Errors.ValidationError> =>
  Layer.scoped(RedisConnection, Effect.suspend(() => make(input, options)))

/**
 * What `layerConfig` reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigOptions extends Options {
  readonly url: Redacted.Redacted<string>
}

const connectionName = (text: string): Either.Either<string, string> => {
  try {
    return Either.right(validateName(text))
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}

/**
 * `HOOKWIRE_REDIS_URL` (required, a `redis://` or `rediss://` URL) and `HOOKWIRE_REDIS_CONNECTION_NAME` (printable
 * characters, no spaces). A bad value is a `ConfigError` naming the variable (the URL's value is never shown).
 *
 * @since 0.1.0
 * @category config
 */
export const defaultConfig: Config.Config<ConfigOptions> = Config.all({
  url: EnvConfig.redactedUrl("HOOKWIRE_REDIS_URL", ["redis:", "rediss:"]),
  connectionName: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_REDIS_CONNECTION_NAME", connectionName))
})

/**
 * The connection configured from the environment by default (`HOOKWIRE_REDIS_URL`). A bad value, from any
 * `Config`, fails it with a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions> = defaultConfig
): Layer.Layer<RedisConnection, RedisConnectionError | ConfigError.ConfigError> =>
  Layer.scoped(
    RedisConnection,
    Effect.flatMap(Config.unwrap(config), (options) => EnvConfig.asConfigError(make(options.url, options)))
  )
