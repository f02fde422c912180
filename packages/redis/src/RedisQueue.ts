/**
 * The Queue port on Redis. Each queue is three keys that share one hash tag — a sorted set of waiting ids scored by
 * run time, a sorted set of claimed ids scored by lease expiry, and a hash of id → `runAt|claims|token` — and every
 * operation is one Lua script over them (`defineCommand`, so `EVALSHA` after the first call): atomic, one round trip
 * per batch, whatever the batch size. A claim first returns expired leases to the waiting set (at their own run
 * time), then leases up to `max` due items, earliest first. Stale tokens (the item was claimed again since) make
 * `complete`, `reschedule` and `release` no-ops.
 *
 * `enqueue`, `reschedule` and `release` publish the earliest run time they queued on the queue's channel; every
 * process keeps one subscriber connection per queue and wakes its waiting dispatchers when that time is earlier
 * than what they were going to sleep until. `awaitWork` otherwise sleeps until the earliest run time or lease
 * expiry (one round trip to learn it), bounded by `maxWaitMs`: no polling.
 *
 * Keys, for prefix `hookwire` (the default): `{hookwire}:due`, `{hookwire}:leases`, `{hookwire}:items`, and the
 * channel `{hookwire}:wake`. The braces are the Redis Cluster hash tag that puts all of them in one slot.
 *
 * The service is composed from one module per job under `internal/queue/`: `commands.ts` (the scripts as commands),
 * `items.ts` (enqueue, remove, has), `claim.ts`, `leases.ts` (complete, reschedule, release) and `wakeUps.ts`
 * (the subscriber, awaitWork).
 *
 * @since 0.1.0
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Errors from "@hookwire/core/Errors"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internalConfig from "./internal/config.js"
import * as claim from "./internal/queue/claim.js"
import * as commands from "./internal/queue/commands.js"
import * as items from "./internal/queue/items.js"
import * as leases from "./internal/queue/leases.js"
import * as wakeUps from "./internal/queue/wakeUps.js"
import * as RedisConnection from "./RedisConnection.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Namespace of the queue's keys, so several applications (or several Hookwire instances) can share one Redis.
   * Letters, digits and `_ - . : /`; no braces (it becomes the hash tag). Default `hookwire`.
   */
  readonly prefix?: string | undefined
}

/**
 * The names of one queue's keys and channel.
 *
 * @since 0.1.0
 * @category models
 */
export interface Keys {
  /** Sorted set: waiting ids by run time. */
  readonly due: string
  /** Sorted set: claimed ids by lease expiry. */
  readonly leases: string
  /** Hash: id → `runAt|claims|token`. */
  readonly items: string
  /** Pub/sub channel: the earliest run time just queued. */
  readonly wake: string
}

/**
 * The default prefix.
 *
 * @since 0.1.0
 * @category models
 */
export const defaultPrefix = "hookwire"

/**
 * Checks a prefix, throwing a `ValidationError` (`invalid_option`, field `prefix`) that says what to fix
 * (configuration time; `make` and the layers fail with it).
 *
 * @since 0.1.0
 * @category guards
 */
export const validatePrefix = (prefix: string): string => {
  if (!/^[A-Za-z0-9_\-.:/]{1,100}$/.test(prefix)) {
    throw Errors.invalidOption(
      "prefix",
      `Invalid Redis key prefix ${JSON.stringify(prefix)}: use 1–100 letters, digits and _ - . : / (no braces or ` +
        `spaces: the prefix becomes the Redis Cluster hash tag {prefix})`
    )
  }
  return prefix
}

/**
 * The keys of the queue with this prefix: `{prefix}:due`, `{prefix}:leases`, `{prefix}:items`, `{prefix}:wake`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const keys = (prefix: string = defaultPrefix): Keys => {
  const tag = `{${validatePrefix(prefix)}}`
  return { due: `${tag}:due`, leases: `${tag}:leases`, items: `${tag}:items`, wake: `${tag}:wake` }
}

/**
 * Builds the queue on the current `RedisConnection`, with a subscriber connection for wake-ups that lives as long as
 * the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  DeliveryQueue.DeliveryQueue["Type"],
  Errors.QueueError | Errors.ValidationError,
  RedisConnection.RedisConnection | Scope.Scope
> =>
  Effect.gen(function*() {
    const k = yield* Errors.checkOptions(() => keys(options.prefix ?? defaultPrefix))
    const connection = yield* RedisConnection.RedisConnection
    const queue = commands.make(connection, k)
    const waiting = yield* wakeUps.make(queue, connection)
    return DeliveryQueue.DeliveryQueue.of({
      ...items.make(queue, waiting.wake),
      ...claim.make(queue),
      ...leases.make(queue, waiting.wake),
      awaitWork: waiting.awaitWork,
      // Apart from storage: publish enqueues while storage inserts (see `DeliveryQueue.enqueuesWithInsert`).
      enqueuesWithInsert: true
    })
  })

/**
 * The queue as a layer over a `RedisConnection`. A bad prefix fails it with a `ValidationError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  DeliveryQueue.DeliveryQueue,
  Errors.QueueError | Errors.ValidationError,
  RedisConnection.RedisConnection
> => Layer.scoped(DeliveryQueue.DeliveryQueue, make(options))

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
 * The queue with its own connection, configured from the environment by default. The connection is provided too,
 * for other Redis services (the rate limiter) to share. A bad value, from any `Config`, fails it with a
 * `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions> = defaultConfig
): Layer.Layer<
  DeliveryQueue.DeliveryQueue | RedisConnection.RedisConnection,
  Errors.QueueError | RedisConnection.RedisConnectionError | ConfigError.ConfigError
> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      const options = yield* Config.unwrap(config)
      const connection = yield* EnvConfig.asConfigError(RedisConnection.make(options.url, options))
      const queue = yield* EnvConfig.asConfigError(
        Effect.provideService(make(options), RedisConnection.RedisConnection, connection)
      )
      return Context.make(DeliveryQueue.DeliveryQueue, queue).pipe(
        Context.add(RedisConnection.RedisConnection, connection)
      )
    })
  )
