/**
 * A receiver's dedup store on Redis, for the `dedup` option of `@hookwire/express` and `@hookwire/fastify` (any
 * `DedupStore` from `@hookwire/verify`): `claim(id, ttlSeconds)` is true the first time an id is seen within its
 * time to live, false for a duplicate — across every process that shares the Redis. A claim is one
 * `SET <prefix>:dedup:<id> 1 PX <ttl> NX`, atomic by construction: two concurrent claims of one id give one `true`.
 * Redis expires the keys itself (on its own clock, so receivers with skewed clocks agree); `release(id)` deletes one,
 * for when handling failed and the sender's retry must be handled rather than acknowledged as a duplicate.
 *
 * `redisDedupStore({ redis })` is the Promise-friendly constructor (no Effect needed); Effect programs use `layer`
 * and `dedupStore`.
 *
 * @since 0.1.0
 */
import * as Errors from "@hookwire/core/Errors"
import type { StorageError } from "@hookwire/core/Errors"
import type { DedupStore } from "@hookwire/verify"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import type { RedisOptions } from "ioredis"
import { storageError } from "./internal/errors.js"
import * as RedisConnection from "./RedisConnection.js"
import * as RedisQueue from "./RedisQueue.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Namespace of the keys (`<prefix>:dedup:<id>`). Default `hookwire`. */
  readonly prefix?: string | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RedisDedupStore extends Context.Tag("@hookwire/redis/RedisDedupStore")<RedisDedupStore, {
  /** True the first time `id` is claimed within `ttlSeconds`; false for a duplicate. */
  readonly claim: (id: string, ttlSeconds: number) => Effect.Effect<boolean, StorageError>
  /** Forgets `id`, so its next delivery is handled again. */
  readonly release: (id: string) => Effect.Effect<void, StorageError>
}>() {}

const checkId = (id: unknown): string => {
  if (typeof id !== "string" || id.length === 0) {
    throw new TypeError("RedisDedupStore: id must be a non-empty string (the webhook id header)")
  }
  return id
}

// PX rather than EX: a fractional TTL is honoured rather than rejected by Redis.
const ttlMs = (ttlSeconds: unknown): number => {
  if (typeof ttlSeconds !== "number" || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
    throw new TypeError(`RedisDedupStore.claim: ttlSeconds must be a positive number, got ${String(ttlSeconds)}`)
  }
  return Math.max(1, Math.round(ttlSeconds * 1000))
}

/** The two commands, shared by the Effect service and the Promise store. */
const commands = (client: RedisConnection.Client, prefix: string) => ({
  claim: async (id: string, ttlSeconds: number): Promise<boolean> =>
    (await client.set(prefix + checkId(id), "1", "PX", ttlMs(ttlSeconds), "NX")) === "OK",
  release: async (id: string): Promise<void> => {
    await client.del(prefix + checkId(id))
  }
})

const keyPrefix = (options: Options) =>
  `${RedisQueue.validatePrefix(options.prefix ?? RedisQueue.defaultPrefix)}:dedup:`

/**
 * Builds the store on the current `RedisConnection`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<RedisDedupStore["Type"], Errors.ValidationError, RedisConnection.RedisConnection> =>
  Effect.gen(function*() {
    const prefix = yield* Errors.checkOptions(() => keyPrefix(options))
    const connection = yield* RedisConnection.RedisConnection
    const c = commands(connection.client, prefix)
    return RedisDedupStore.of({
      claim: (id, ttlSeconds) =>
        Effect.tryPromise({
          try: () => c.claim(id, ttlSeconds),
          catch: (cause) =>
            cause instanceof TypeError ? cause : storageError("RedisDedupStore.claim", connection.where)(cause)
        }).pipe(Effect.catchIf((e): e is TypeError => e instanceof TypeError, Effect.die)),
      release: (id) =>
        Effect.tryPromise({
          try: () => c.release(id),
          catch: (cause) =>
            cause instanceof TypeError ? cause : storageError("RedisDedupStore.release", connection.where)(cause)
        }).pipe(Effect.catchIf((e): e is TypeError => e instanceof TypeError, Effect.die))
    })
  })

/**
 * The store over a `RedisConnection`. A bad prefix fails it with a `ValidationError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<RedisDedupStore, Errors.ValidationError, RedisConnection.RedisConnection> =>
  Layer.effect(RedisDedupStore, make(options))

/**
 * The store as a plain `DedupStore` (Promise-returning methods) for the receiver middleware, running on the current
 * runtime.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dedupStore: Effect.Effect<DedupStore, never, RedisDedupStore> = Effect.gen(function*() {
  const store = yield* RedisDedupStore
  const runtime = yield* Effect.runtime<never>()
  const run = Runtime.runPromiseExit(runtime)
  const unwrap = <A>(exit: Exit.Exit<A, StorageError>): A => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }
  return {
    claim: (id: string, ttlSeconds: number) => run(store.claim(id, ttlSeconds)).then(unwrap),
    release: (id: string) => run(store.release(id)).then(unwrap)
  }
})

/**
 * A `DedupStore` with Promise methods, plus `close()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromiseDedupStore extends DedupStore {
  claim(id: string, ttlSeconds: number): Promise<boolean>
  release(id: string): Promise<void>
  /** Closes the connection it made (not an ioredis instance you passed in). */
  close(): Promise<void>
}

/**
 * Options of `redisDedupStore`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromiseOptions extends Options, RedisConnection.Options {
  /** A URL, ioredis options (standalone or Sentinel) or an ioredis instance (`Redis` or `Cluster`, stays yours). */
  readonly redis: RedisConnection.Input
}

/**
 * The Promise-friendly constructor: `webhookMiddleware({ secret, dedup: redisDedupStore({ redis: url }) })`. It
 * connects in the background; while Redis is unreachable a claim fails (after two quick reconnection attempts,
 * for connections made here) with a `StorageError` of code `connection` rather than hanging the request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const redisDedupStore = (options: PromiseOptions): PromiseDedupStore => {
  const prefix = keyPrefix(options)
  const owned = !RedisConnection.isClient(options.redis)
  const where = RedisConnection.describe(options.redis)
  const client = RedisConnection.unsafeClient(options.redis, {
    connectionName: options.connectionName ?? "hookwire:dedup",
    defaults: { maxRetriesPerRequest: 2 } satisfies RedisOptions
  })
  // Failed commands reject with the reason; the connection's own error events would otherwise be printed by ioredis.
  if (owned) client.on("error", () => {})
  const c = commands(client, prefix)
  let closed = false
  const guard = <A>(operation: string, f: () => Promise<A>): Promise<A> => {
    if (closed) return Promise.reject(new Error(`This RedisDedupStore is closed (${operation})`))
    return f().catch((cause: unknown) => {
      if (cause instanceof TypeError) throw cause
      throw storageError(operation, where)(cause)
    })
  }
  return {
    claim: (id, ttlSeconds) => guard("RedisDedupStore.claim", () => c.claim(id, ttlSeconds)),
    release: (id) => guard("RedisDedupStore.release", () => c.release(id)),
    close: async () => {
      if (closed) return
      closed = true
      if (!owned) return
      await client.quit().catch(() => client.disconnect())
    }
  }
}
