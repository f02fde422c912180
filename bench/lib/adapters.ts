/**
 * The storage/queue adapters the engine benches run against, by name (`--adapter memory`), and a counter of
 * recorded deliveries that works with any of them.
 *
 * Adding an adapter (the extension point): add its name to `ADAPTER_NAMES` and an entry to `openers` that returns a
 * fresh, empty store and a `close` that releases it. Postgres runs in a fresh schema per run (URL from
 * `HOOKWIRE_BENCH_DATABASE_URL`, else `HOOKWIRE_TEST_DATABASE_URL`); Redis is a Redis queue (fresh key prefix, from
 * `HOOKWIRE_BENCH_REDIS_URL` / `HOOKWIRE_TEST_REDIS_URL`) over Postgres storage. Both are dropped in `close`.
 * Nothing else in the benches changes: they only see `Adapter` (a Layer providing Storage and DeliveryQueue).
 *
 * Each adapter's packages are imported when it is opened, not with this module: a process running Hookwire on one
 * adapter loads only that adapter's code (and drivers), as an application using it would — the contenders' RSS
 * counts no other adapter's modules.
 */
import { DeliveryQueue } from "@hookwire/core/DeliveryQueue"
import type { Adapter } from "@hookwire/core/Hookwire"
import { type AttemptResult, Storage, type SyncableWrite } from "@hookwire/core/Storage"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { databaseUrl, redisUrl, runTag } from "./stores.js"

export const ADAPTER_NAMES = ["memory", "postgres", "redis"] as const
export type AdapterName = typeof ADAPTER_NAMES[number]

/** A fresh, empty store for one run, and how to release it afterwards. */
export interface OpenedAdapter {
  readonly name: AdapterName
  readonly adapter: Adapter
  readonly close: () => Promise<void>
}

/** A client of the bench database (for helpers that query it directly). */
export const benchClient = async () =>
  (await modules.postgres()).clientLayer({ url: databaseUrl(), applicationName: "hookwire-bench" })

const dropSchema = async (schema: string): Promise<void> => {
  const { SqlClient } = await import("@effect/sql/SqlClient")
  const client = await benchClient()
  await Effect.runPromise(
    Effect.flatMap(SqlClient, (sql) => sql.unsafe(`drop schema if exists "${schema}" cascade`)).pipe(
      Effect.provide(client),
      Effect.scoped,
      Effect.ignore
    )
  )
}

/** Each adapter's modules, imported on first use (ES modules are imported once: later calls reuse them). */
const modules = {
  memory: () => import("@hookwire/memory"),
  postgres: () => import("@hookwire/postgres/PgAdapter"),
  redis: () =>
    Promise.all([
      import("@hookwire/postgres/PgMigrator"),
      import("@hookwire/postgres/PgStorage"),
      import("@hookwire/redis"),
      import("@hookwire/redis/RedisQueue"),
      import("ioredis")
    ])
}

/**
 * Imports the named adapter's modules without opening a store: a contender's process does it before it reports its
 * loaded RSS, so that figure still counts them.
 */
export const loadAdapter = async (name: AdapterName): Promise<void> => {
  await modules[name]()
}

const openers: Record<AdapterName, () => Promise<OpenedAdapter>> = {
  // A new Storage and DeliveryQueue per call: runs never see each other's records.
  memory: async () => {
    const { memory } = await modules.memory()
    return { name: "memory", adapter: memory(), close: async () => {} }
  },
  postgres: async () => {
    const PgAdapter = await modules.postgres()
    const schema = `bench_pg_${runTag()}`
    return {
      name: "postgres",
      adapter: PgAdapter.postgres({ url: databaseUrl(), schema }),
      close: () => dropSchema(schema)
    }
  },
  redis: async () => {
    const [PgMigrator, PgStorage, { redisQueue }, RedisQueue, { Redis }] = await modules.redis()
    const url = redisUrl()
    const tag = runTag()
    const schema = `bench_redis_${tag}`
    const prefix = `bench:${tag}`
    const client = await benchClient()
    await Effect.runPromise(PgMigrator.run({ schema }).pipe(Effect.provide(client), Effect.scoped))
    return {
      name: "redis",
      adapter: redisQueue({ storage: Layer.provide(PgStorage.layer({ schema }), client), redis: url, prefix }),
      close: async () => {
        await dropSchema(schema)
        const r = new Redis(url)
        const k = RedisQueue.keys(prefix)
        await r.unlink(k.due, k.leases, k.items)
        r.disconnect()
      }
    }
  }
}

/** The adapter named by the `--adapter` flag (default "memory"). */
export const adapterName = (flag: string | boolean | undefined): AdapterName => {
  const name = flag === undefined ? "memory" : flag
  if (typeof name !== "string" || !(ADAPTER_NAMES as ReadonlyArray<string>).includes(name)) {
    throw new Error(`--adapter must be one of ${ADAPTER_NAMES.join(", ")}, got ${String(flag)}`)
  }
  return name as AdapterName
}

/** Opens a fresh store of the named adapter. */
export const openAdapter = (name: AdapterName): Promise<OpenedAdapter> => openers[name]()

/**
 * Counts the attempt results Storage has recorded, by the delivery status they set. A delivery counts as delivered
 * once `recordAttempts` has returned for it: the engine's own notion of "recorded delivered", on any adapter. With
 * `watch`, only deliveries to those endpoints count as delivered (benches that watch some endpoints among others);
 * `claimed` / `rescheduled` are filled by `instrumented` (lib/endpoint-counter.ts).
 */
export class DeliveryCounter {
  delivered = 0
  /** Results that were not a delivery (a retry scheduled, a failure): a healthy bench run has none. */
  notDelivered = 0
  /** Those results by error kind (or `HTTP <status>`), any endpoint. */
  readonly failures = new Map<string, number>()
  /** Items the dispatcher claimed from the queue, and gave back with a new time (any endpoint). */
  claimed = 0
  rescheduled = 0
  /** Claims made, and the time they took in all (ms), when instrumented. */
  claims = 0
  claimMs = 0
  /** `performance.now()` when `delivered` reached the target. */
  reachedAt: number | undefined = undefined
  private watched: ReadonlySet<string> | undefined = undefined
  private target = Infinity
  private resolve: (() => void) | undefined = undefined

  /** Only deliveries to these endpoints count as delivered. */
  watch(endpointIds: Iterable<string>): void {
    this.watched = new Set(endpointIds)
  }

  add(results: ReadonlyArray<AttemptResult>): void {
    for (const { attempt, delivery } of results) {
      if (delivery.status === "delivered") {
        if (this.watched === undefined || this.watched.has(delivery.endpointId)) this.delivered++
      } else {
        this.notDelivered++
        const kind = attempt.errorKind ?? `HTTP ${attempt.responseStatus}`
        this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1)
      }
    }
    if (this.delivered >= this.target && this.reachedAt === undefined) {
      this.reachedAt = performance.now()
      this.resolve?.()
    }
  }

  /** Resolves once `target` deliveries are recorded delivered; rejects after `timeoutMs`. */
  until(target: number, timeoutMs: number): Promise<number> {
    this.target = target
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.resolve = undefined
        reject(
          new Error(
            `only ${this.delivered} of ${target} deliveries were recorded delivered within ${timeoutMs} ms ` +
              `(${this.notDelivered} other results)`
          )
        )
      }, timeoutMs)
      this.resolve = () => {
        clearTimeout(timer)
        resolve(this.reachedAt!)
      }
      if (this.delivered >= target) {
        this.reachedAt ??= performance.now()
        this.resolve()
      }
    })
  }
}

/**
 * `write`, then `after` once it succeeded — as an effect and, where `write` can also be done as a plain call (the
 * memory store's: `SyncableWrite.unsafeSync`), as a plain call too, so that counting leaves the dispatcher's
 * synchronous writes as they are.
 */
export const tapWrite = <A, E>(write: SyncableWrite<A, E>, after: (input: A) => void): SyncableWrite<A, E> => {
  const tapped = (input: A) => Effect.tap(write(input), () => Effect.sync(() => after(input)))
  const unsafeSync = write.unsafeSync
  return unsafeSync === undefined ? tapped : Object.assign(tapped, {
    unsafeSync: (input: A) => {
      unsafeSync(input)
      after(input)
    }
  })
}

/**
 * The adapter with its Storage's `recordAttempts` (and `recordAndSettle`, which the dispatcher uses instead where the
 * adapter has it) reporting to `counter` after each successful write.
 */
export const counted = (adapter: Adapter, counter: DeliveryCounter): Adapter => ({
  layer: Layer.effectContext(
    Effect.gen(function*() {
      const storage = yield* Storage
      const queue = yield* DeliveryQueue
      const { recordAndSettle } = storage
      return Context.make(Storage, {
        ...storage,
        recordAttempts: tapWrite(storage.recordAttempts, (results) => counter.add(results)),
        recordAndSettle: recordAndSettle === undefined ?
          undefined :
          (results, settlement) =>
            Effect.tap(recordAndSettle(results, settlement), () =>
              Effect.sync(() => {
                counter.add(results)
                counter.rescheduled += settlement.reschedule.length
              }))
      }).pipe(Context.add(DeliveryQueue, queue))
    })
  ).pipe(Layer.provide(adapter.layer))
})
