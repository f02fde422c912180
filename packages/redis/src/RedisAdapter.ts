/**
 * Two systems as one adapter: records in a Storage (PostgreSQL, typically) and deliveries queued in Redis, plus the
 * core `Sweeper` that closes the gap between them. `publish` writes the deliveries, then enqueues them; a crash
 * between the two writes — or a Redis that restarted without persistence, or failed over and lost its last writes —
 * would leave pending deliveries no worker will ever claim. The sweeper periodically lists deliveries that are due
 * in storage (past a grace period), asks the queue which of them it holds, and enqueues the rest. It is safe to run
 * in every worker process.
 *
 * `redisQueue({ storage, redis })` is the adapter for `createHookwire`; Effect programs use `layer` over their own
 * Storage and `RedisConnection` layers.
 *
 * @since 0.1.0
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type { QueueError, ValidationError } from "@hookwire/core/Errors"
import type { Adapter } from "@hookwire/core/Hookwire"
import * as Storage from "@hookwire/core/Storage"
import * as Sweeper from "@hookwire/core/Sweeper"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RedisConnection from "./RedisConnection.js"
import * as RedisQueue from "./RedisQueue.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions extends RedisQueue.Options {
  /**
   * The sweeper that re-enqueues deliveries due in storage but missing from the queue (every 30 s, for deliveries
   * due for over a minute, by default), or `false` for none (e.g. when a separate process sweeps).
   */
  readonly sweeper?: Sweeper.Options | false | undefined
}

/**
 * The Redis queue and the sweeper, over a Storage and a `RedisConnection` you provide. A bad option (the prefix, the
 * sweeper's) fails it with a `ValidationError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: LayerOptions = {}
): Layer.Layer<
  DeliveryQueue.DeliveryQueue,
  QueueError | ValidationError,
  RedisConnection.RedisConnection | Storage.Storage
> => {
  const queue = RedisQueue.layer(options)
  if (options.sweeper === false) return queue
  return Layer.provideMerge(Sweeper.layer(options.sweeper ?? {}), queue)
}

/**
 * Options of `redisQueue`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends LayerOptions, RedisConnection.Options {
  /**
   * Where records live: a layer providing only Storage, or `{ layer }` of one. For PostgreSQL, the storage alone
   * (not `postgres(...)`, whose storage also writes to its own queue table):
   * `Layer.provide(Layer.merge(PgStorage.layer(), PgMigrator.layer()), PgAdapter.clientLayer({ url }))`.
   */
  readonly storage:
    | Layer.Layer<Storage.Storage, unknown>
    | { readonly layer: Layer.Layer<Storage.Storage, unknown> }
  /** A URL, ioredis options (standalone or Sentinel), or an ioredis instance (`Redis` or `Cluster`, stays yours). */
  readonly redis: RedisConnection.Input
}

/**
 * A layer that provides both Storage and a Queue would have its Queue silently replaced by this one; with
 * `postgres(...)`, its Storage also writes every delivery to the Postgres queue table, where nothing would ever
 * consume it. Refuse it, and say what to pass instead.
 */
const storageOnly = (storage: Layer.Layer<Storage.Storage, unknown>): Layer.Layer<Storage.Storage, unknown> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      const context = yield* Layer.build(storage)
      if (Option.isSome(Context.getOption(context as Context.Context<unknown>, DeliveryQueue.DeliveryQueue))) {
        return yield* Effect.fail(
          new Error(
            "redisQueue: `storage` also provides a DeliveryQueue (e.g. postgres(...) or memory()); give it a Storage alone: " +
              "PgStorage.layer() with PgMigrator.layer() and PgAdapter.clientLayer({ url }) from @hookwire/postgres, " +
              "or MemoryStorage.layer() from @hookwire/memory"
          )
        )
      }
      return Context.make(Storage.Storage, Context.get(context, Storage.Storage))
    })
  )

/**
 * Storage plus the Redis queue (and the sweeper) for the Promise API:
 * `createHookwire({ adapter: redisQueue({ storage, redis: "redis://127.0.0.1:6379" }), catalog })`. Options are
 * checked at once: a bad one throws here. The connection is made when Hookwire starts and closed when it closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const redisQueue = (options: Options): Adapter => {
  RedisQueue.keys(options.prefix)
  const storage = Layer.isLayer(options.storage)
    ? options.storage as Layer.Layer<Storage.Storage, unknown>
    : (options.storage as { readonly layer: Layer.Layer<Storage.Storage, unknown> }).layer
  const connection = RedisConnection.layer(options.redis, { connectionName: options.connectionName })
  return {
    layer: layer(options).pipe(
      Layer.provideMerge(storageOnly(storage)),
      Layer.provide(connection)
    )
  }
}
