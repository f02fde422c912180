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
 * @since 0.1.0
 */
import type { ClaimedItem, QueueItem } from "@hookwire/core/DeliveryQueue"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type { QueueError } from "@hookwire/core/Errors"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internalConfig from "./internal/config.js"
import { queueError } from "./internal/errors.js"
import * as scripts from "./internal/scripts.js"
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
 * Checks a prefix, throwing an `Error` that says what to fix (configuration time).
 *
 * @since 0.1.0
 * @category guards
 */
export const validatePrefix = (prefix: string): string => {
  if (!/^[A-Za-z0-9_\-.:/]{1,100}$/.test(prefix)) {
    throw new Error(
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

interface QueueCommands {
  hookwireQueueEnqueue(due: string, leases: string, items: string, ...args: Array<string>): Promise<number>
  hookwireQueueEnqueueUnclaimed(
    due: string,
    leases: string,
    items: string,
    ...args: Array<string>
  ): Promise<Array<string>>
  hookwireQueueClaim(
    due: string,
    leases: string,
    items: string,
    now: string,
    leaseUntil: string,
    max: string,
    tokenBase: string
  ): Promise<Array<string>>
  hookwireQueueReschedule(due: string, leases: string, items: string, ...args: Array<string>): Promise<number>
  hookwireQueueComplete(due: string, leases: string, items: string, ...args: Array<string>): Promise<number>
  hookwireQueueRemove(due: string, leases: string, items: string, ...args: Array<string>): Promise<number>
  hookwireQueueNext(due: string, leases: string): Promise<[string, string]>
}

/** Defines the scripts on a client (idempotent: a client shared by several queues gets them once). */
const defineCommands = (client: RedisConnection.Client): RedisConnection.Client & QueueCommands => {
  const c = client as RedisConnection.Client & QueueCommands
  if (typeof c.hookwireQueueClaim !== "function") {
    client.defineCommand("hookwireQueueEnqueue", { lua: scripts.enqueue, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueEnqueueUnclaimed", { lua: scripts.enqueueUnclaimed, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueClaim", { lua: scripts.claim, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueReschedule", { lua: scripts.reschedule, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueComplete", { lua: scripts.complete, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueRemove", { lua: scripts.remove, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueNext", { lua: scripts.next, numberOfKeys: 2, readOnly: true })
  }
  return c
}

/** A number as Redis and Lua read it back exactly (shortest round-trip form; never exponent notation for ms). */
const num = (operation: string, name: string, value: number): string => {
  if (!Number.isFinite(value)) {
    throw new RangeError(`${operation}: ${name} must be a finite number of epoch milliseconds, got ${value}`)
  }
  return Number.isInteger(value) ? value.toFixed(0) : String(value)
}

interface Waiter {
  until: number
  readonly signal: Deferred.Deferred<void>
}

let instances = 0

/**
 * Builds the queue on the current `RedisConnection`, with a subscriber connection for wake-ups that lives as long as
 * the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<DeliveryQueue.DeliveryQueue["Type"], QueueError, RedisConnection.RedisConnection | Scope.Scope> =>
  Effect.gen(function*() {
    const k = keys(options.prefix ?? defaultPrefix)
    const connection = yield* RedisConnection.RedisConnection
    const where = connection.where
    const redis = defineCommands(connection.client)

    // Tokens: unique per process (random) and per claim call (counter); the script appends the item's index.
    const instance = `${Math.random().toString(36).slice(2, 10)}${(++instances).toString(36)}`
    let claims = 0

    // --- wake-ups -------------------------------------------------------------------------------------------------
    const waiters = new Set<Waiter>()
    // Wakes every waiter that would otherwise sleep past `runAt`.
    const wake = (runAt: number) => {
      for (const waiter of waiters) {
        if (!(runAt > waiter.until)) {
          waiters.delete(waiter)
          Deferred.unsafeDone(waiter.signal, Exit.void)
        }
      }
    }
    const subscriber = yield* connection.duplicate("wake")
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === k.wake) wake(Number(message))
    })
    // After a reconnection, messages published while the subscriber was away are lost: once the subscription is
    // active again (our own SUBSCRIBE is answered after ioredis's resubscription), every waiter looks again.
    subscriber.on("ready", () => {
      subscriber.subscribe(k.wake).then(() => wake(-Infinity), () => wake(-Infinity))
    })
    yield* Effect.tryPromise({
      try: () => subscriber.subscribe(k.wake),
      catch: queueError("RedisQueue.subscribe", where)
    })

    const run = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, QueueError> =>
      Effect.tryPromise({ try: f, catch: queueError(operation, where) })

    const enqueue = (items: ReadonlyArray<QueueItem>) =>
      Effect.suspend(() => {
        if (items.length === 0) return Effect.void
        const args: Array<string> = [k.wake]
        let min = Infinity
        for (const item of items) {
          args.push(item.id, num("RedisQueue.enqueue", "runAt", item.runAt))
          if (item.runAt < min) min = item.runAt
        }
        return run("RedisQueue.enqueue", () => redis.hookwireQueueEnqueue(k.due, k.leases, k.items, ...args)).pipe(
          Effect.tap(() => Effect.sync(() => wake(min)))
        )
      })

    const enqueueUnclaimed = (items: ReadonlyArray<QueueItem>, now: number) =>
      Effect.suspend(() => {
        if (items.length === 0) return Effect.succeed(new Set<string>() as ReadonlySet<string>)
        const args: Array<string> = [k.wake, num("RedisQueue.enqueueUnclaimed", "now", now)]
        for (const item of items) args.push(item.id, num("RedisQueue.enqueueUnclaimed", "runAt", item.runAt))
        return run(
          "RedisQueue.enqueueUnclaimed",
          () => redis.hookwireQueueEnqueueUnclaimed(k.due, k.leases, k.items, ...args)
        ).pipe(
          Effect.map((heldIds) => {
            const held: ReadonlySet<string> = new Set(heldIds)
            let min = Infinity
            for (const item of items) if (!held.has(item.id) && item.runAt < min) min = item.runAt
            if (min < Infinity) wake(min)
            return held
          })
        )
      })

    const claim = ({ leaseMs, max, now }: { readonly max: number; readonly leaseMs: number; readonly now: number }) =>
      Effect.suspend(() => {
        const limit = Math.floor(max)
        const base = `${instance}.${(++claims).toString(36)}`
        const nowText = num("RedisQueue.claim", "now", now)
        const until = num("RedisQueue.claim", "now + leaseMs", now + leaseMs)
        const maxText = String(limit > 0 ? limit : 0)
        return run(
          "RedisQueue.claim",
          () => redis.hookwireQueueClaim(k.due, k.leases, k.items, nowText, until, maxText, base)
        ).pipe(
          Effect.map((flat) => {
            const out: Array<ClaimedItem> = []
            for (let i = 0; i < flat.length; i += 4) {
              out.push({ id: flat[i], runAt: Number(flat[i + 1]), claims: Number(flat[i + 2]), token: flat[i + 3] })
            }
            return out
          })
        )
      })

    const moveBack = (
      operation: string,
      items: ReadonlyArray<{ readonly item: ClaimedItem; readonly runAt: number | undefined }>
    ) =>
      Effect.suspend(() => {
        if (items.length === 0) return Effect.void
        const args: Array<string> = [k.wake]
        let min = Infinity
        for (const { item, runAt } of items) {
          args.push(item.id, item.token, runAt === undefined ? "" : num(operation, "runAt", runAt))
          const at = runAt ?? item.runAt
          if (at < min) min = at
        }
        return run(operation, () => redis.hookwireQueueReschedule(k.due, k.leases, k.items, ...args)).pipe(
          Effect.tap((moved) => Effect.sync(() => moved > 0 && wake(min)))
        )
      })

    const complete = (items: ReadonlyArray<ClaimedItem>) =>
      Effect.suspend(() => {
        if (items.length === 0) return Effect.void
        const args: Array<string> = []
        for (const item of items) args.push(item.id, item.token)
        return Effect.asVoid(
          run("RedisQueue.complete", () => redis.hookwireQueueComplete(k.due, k.leases, k.items, ...args))
        )
      })

    const remove = (ids: ReadonlyArray<string>) =>
      ids.length === 0
        ? Effect.void
        : Effect.asVoid(run("RedisQueue.remove", () => redis.hookwireQueueRemove(k.due, k.leases, k.items, ...ids)))

    const has = (ids: ReadonlyArray<string>) =>
      Effect.suspend(() => {
        if (ids.length === 0) return Effect.succeed(new Set<string>())
        return run("RedisQueue.has", () => redis.hmget(k.items, ...ids)).pipe(
          Effect.map((values) => {
            const out = new Set<string>()
            for (let i = 0; i < ids.length; i++) if (values[i] !== null) out.add(ids[i])
            return out as ReadonlySet<string>
          })
        )
      })

    // When the next item becomes claimable: the earliest run time or lease expiry (Infinity when empty).
    const nextWork = run("RedisQueue.awaitWork", () => redis.hookwireQueueNext(k.due, k.leases)).pipe(
      Effect.map(([due, lease]) =>
        Math.min(due === "" ? Infinity : Number(due), lease === "" ? Infinity : Number(lease))
      )
    )

    const awaitWork = ({ maxWaitMs, now }: { readonly now: number; readonly maxWaitMs: number }) =>
      Effect.suspend(() => {
        if (!(maxWaitMs > 0)) return Effect.void
        // Registered before asking Redis: a wake-up published after the answer is computed reaches this waiter.
        const waiter: Waiter = { until: now + maxWaitMs, signal: Deferred.unsafeMake<void>(FiberId.none) }
        waiters.add(waiter)
        return nextWork.pipe(
          Effect.flatMap((next) => {
            const wait = Math.min(maxWaitMs, next - now)
            if (!(wait > 0)) return Effect.void
            waiter.until = now + wait
            return DeliveryQueue.awaitSignal(waiter.signal, wait)
          }),
          Effect.ensuring(Effect.sync(() => waiters.delete(waiter)))
        )
      })

    return DeliveryQueue.DeliveryQueue.of({
      enqueue,
      enqueueUnclaimed,
      claim,
      complete,
      reschedule: (items) => moveBack("RedisQueue.reschedule", items),
      release: (items) => moveBack("RedisQueue.release", items.map((item) => ({ item, runAt: undefined }))),
      remove,
      has,
      awaitWork
    })
  })

/**
 * The queue as a layer over a `RedisConnection`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<DeliveryQueue.DeliveryQueue, QueueError, RedisConnection.RedisConnection> =>
  Layer.scoped(DeliveryQueue.DeliveryQueue, make(options))

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
 * for other Redis services (the rate limiter) to share.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions> = defaultConfig
): Layer.Layer<
  DeliveryQueue.DeliveryQueue | RedisConnection.RedisConnection,
  QueueError | RedisConnection.RedisConnectionError | ConfigError.ConfigError
> =>
  Layer.unwrapEffect(
    Effect.map(Config.unwrap(config), (options) =>
      layer(options).pipe(Layer.provideMerge(RedisConnection.layer(options.url, options))))
  )
