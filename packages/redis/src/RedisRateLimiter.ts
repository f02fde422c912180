/**
 * The RateLimiter port on Redis: one limit held across every worker process that shares the Redis. Each `take` is
 * one Lua script (GCRA, decision for decision the `gcra` function of `@hookwire/core/RateLimiter`) over one key that
 * stores the theoretical arrival time, so concurrent takes from any number of processes never overrun the limit. The
 * key expires shortly after that time has passed, so idle limits cost nothing.
 *
 * Keys are `<prefix>:rate:<key>` (default prefix `hookwire`). They carry no hash tag: the limits of different
 * endpoints spread over a Redis Cluster's nodes.
 *
 * @since 0.1.0
 */
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Errors from "@hookwire/core/Errors"
import * as RateLimiter from "@hookwire/core/RateLimiter"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as internalConfig from "./internal/config.js"
import { rateLimiterError } from "./internal/errors.js"
import * as scripts from "./internal/scripts.js"
import * as RedisConnection from "./RedisConnection.js"
import * as RedisQueue from "./RedisQueue.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Namespace of the keys (`<prefix>:rate:<key>`). Default `hookwire`. */
  readonly prefix?: string | undefined
}

interface RateCommands {
  hookwireGcra(key: string, perSecond: string, burst: string, now: string): Promise<number>
}

/**
 * Builds the limiter on the current `RedisConnection`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<RateLimiter.RateLimiter["Type"], Errors.ValidationError, RedisConnection.RedisConnection> =>
  Effect.gen(function*() {
    const prefix = `${yield* Errors.checkOptions(() =>
      RedisQueue.validatePrefix(options.prefix ?? RedisQueue.defaultPrefix)
    )}:rate:`
    const connection = yield* RedisConnection.RedisConnection
    const redis = connection.client as RedisConnection.Client & RateCommands
    if (typeof redis.hookwireGcra !== "function") {
      connection.client.defineCommand("hookwireGcra", { lua: scripts.gcra, numberOfKeys: 1 })
    }
    const onError = rateLimiterError("RedisRateLimiter.take", connection.where)
    return RateLimiter.RateLimiter.of({
      take: (key, limit, now) =>
        Effect.suspend(() => {
          if (!(limit.perSecond > 0 && Number.isFinite(limit.perSecond) && Number.isFinite(limit.burst))) {
            return Effect.fail(
              new RateLimiter.RateLimiterError({
                code: "unknown",
                message: `RedisRateLimiter.take: invalid limit for ${JSON.stringify(key)} (perSecond ` +
                  `${limit.perSecond}, burst ${limit.burst}); check it with RateLimiter.validate when configuring`
              })
            )
          }
          if (!Number.isFinite(now)) {
            return Effect.die(new RangeError(`RedisRateLimiter.take: now must be epoch milliseconds, got ${now}`))
          }
          // String(x) is the shortest text that reads back as exactly x, so Lua computes on the same doubles.
          return Effect.tryPromise({
            try: () => redis.hookwireGcra(prefix + key, String(limit.perSecond), String(limit.burst), String(now)),
            catch: onError
          })
        })
    })
  })

/**
 * The limiter over a `RedisConnection`. A bad prefix fails it with a `ValidationError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<RateLimiter.RateLimiter, Errors.ValidationError, RedisConnection.RedisConnection> =>
  Layer.effect(RateLimiter.RateLimiter, make(options))

/**
 * What `layerConfig` reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigOptions extends Options, RedisConnection.ConfigOptions {}

/**
 * `HOOKWIRE_REDIS_URL` (required), `HOOKWIRE_REDIS_PREFIX`, `HOOKWIRE_REDIS_CONNECTION_NAME`.
 *
 * @since 0.1.0
 * @category config
 */
export const defaultConfig: Config.Config<ConfigOptions> = internalConfig.withPrefix

/**
 * The limiter with its own connection, configured from the environment by default. A bad value, from any `Config`,
 * fails it with a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions> = defaultConfig
): Layer.Layer<RateLimiter.RateLimiter, RedisConnection.RedisConnectionError | ConfigError.ConfigError> =>
  Layer.scoped(
    RateLimiter.RateLimiter,
    Effect.gen(function*() {
      const options = yield* Config.unwrap(config)
      const connection = yield* EnvConfig.asConfigError(RedisConnection.make(options.url, options))
      return yield* EnvConfig.asConfigError(
        Effect.provideService(make(options), RedisConnection.RedisConnection, connection)
      )
    })
  )
