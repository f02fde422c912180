/**
 * A receiver's dedup store on PostgreSQL, for the `dedup` option of `@hookwire/express` and `@hookwire/fastify`
 * (any `DedupStore` from `@hookwire/verify`): `claim(id, ttlSeconds)` is true the first time an id is seen within
 * its time to live, false for a duplicate — across every process that shares the database. A claim is one
 * `INSERT … ON CONFLICT DO UPDATE … WHERE expired` statement, so it is atomic: two concurrent claims of one id give
 * one `true`; `release(id)` forgets a claim whose handling failed, so the sender's retry is handled. Expiry uses the database's clock, so receivers on machines with skewed clocks agree. Each claim also
 * deletes a couple of expired rows, so the table follows the live set without a cleaning job.
 *
 * `pgDedupStore({ url })` (or `{ pool }`) is the Promise-friendly constructor; Effect programs use `layer` and
 * `dedupStore`.
 *
 * @since 0.1.0
 */
import type { MigrationError } from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as EnvConfig from "@hookwire/core/EnvConfig"
import { invalidOption, StorageError, type ValidationError } from "@hookwire/core/Errors"
import type { DedupStore } from "@hookwire/verify"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as internalConfig from "./internal/config.js"
import { mapStorage, storageError } from "./internal/errors.js"
import * as rows from "./internal/rows.js"
import * as schema from "./internal/schema.js"
import * as tables from "./internal/tables.js"
import * as PgAdapter from "./PgAdapter.js"
import * as PgMigrator from "./PgMigrator.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PgMigrator.Options {
  /** Create the dedup table if it is missing (advisory-locked). Default true. */
  readonly migrate?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class PgDedupStore extends Context.Tag("@hookwire/postgres/PgDedupStore")<PgDedupStore, {
  /** True the first time `id` is claimed within `ttlSeconds`; false for a duplicate. */
  readonly claim: (id: string, ttlSeconds: number) => Effect.Effect<boolean, StorageError>
  /** Forgets a claimed id (its handling failed: the sender's retry must be handled). Unknown ids: nothing. */
  readonly release: (id: string) => Effect.Effect<void, StorageError>
  /** Deletes up to `limit` expired ids (default 10,000); returns how many. */
  readonly purgeExpired: (limit?: number) => Effect.Effect<number, StorageError>
}>() {}

const NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

/**
 * Builds the store (creating its table unless `migrate: false`). Requires a `SqlClient`. A bad table name fails it
 * with a `ValidationError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  Context.Tag.Service<typeof PgDedupStore>,
  MigrationError | SqlError | ValidationError,
  SqlClient.SqlClient
> =>
  Effect.gen(function*() {
    const t = yield* tables.checked(options)
    if (options.migrate !== false) {
      yield* PgMigrator.runMigrations(t, schema.dedupMigrations(t), t.dedupMigrations, "dedup")
    }
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    // The claim, plus a little housekeeping: up to two other expired ids go, skipping rows another claim holds.
    const claimText = [
      `with purged as (`,
      `  delete from ${t.dedup} where id in (select id from ${t.dedup} where expires_at <= ${NOW_MS} and id <> $1`,
      `    order by expires_at limit 2 for update skip locked)`,
      `)`,
      `insert into ${t.dedup} as d (id, expires_at) values ($1, ${NOW_MS} + $2::bigint)`,
      `on conflict (id) do update set expires_at = excluded.expires_at where d.expires_at <= ${NOW_MS}`,
      `returning 1 as claimed`
    ].join("\n")
    const purgeText = `delete from ${t.dedup} where id in (select id from ${t.dedup} where expires_at <= ${NOW_MS} ` +
      `order by expires_at limit $1::bigint for update skip locked)`
    return PgDedupStore.of({
      claim: (id, ttlSeconds) =>
        sql.unsafe<rows.Row>(claimText, [id, Math.max(0, Math.round(ttlSeconds * 1000))]).pipe(
          Effect.map((claimed) => claimed.length > 0),
          mapStorage("PgDedupStore.claim")
        ),
      release: (id) =>
        sql.unsafe(`delete from ${t.dedup} where id = $1`, [id]).pipe(
          Effect.asVoid,
          mapStorage("PgDedupStore.release")
        ),
      purgeExpired: (limit = 10_000) =>
        sql.unsafe(`with gone as (${purgeText} returning 1) select count(*)::int as n from gone`, [limit]).pipe(
          Effect.map(([row]) => rows.num((row as rows.Row | undefined)?.n ?? 0)),
          mapStorage("PgDedupStore.purgeExpired")
        )
    })
  })

/**
 * The store over a `SqlClient`. A bad table name fails it with a `ValidationError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<PgDedupStore, MigrationError | SqlError | ValidationError, SqlClient.SqlClient> =>
  Layer.effect(PgDedupStore, make(options))

/**
 * Where the table is and whether to create it, from the environment: `HOOKWIRE_DATABASE_SCHEMA`,
 * `HOOKWIRE_TABLE_PREFIX` and `HOOKWIRE_MIGRATE` (true/false, default true). A bad value is a `ConfigError` naming the
 * variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = Config.map(
  Config.all([internalConfig.tableOptions, internalConfig.migrate]),
  ([where, migrate]) => ({ ...where, migrate })
)

/**
 * The store with its options read from `Config` (by default `defaultConfig`). Requires a `SqlClient`. A bad table
 * name, from any `Config`, fails the layer with a `ConfigError`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<PgDedupStore, MigrationError | SqlError | ConfigError.ConfigError, SqlClient.SqlClient> =>
  Layer.effect(
    PgDedupStore,
    Effect.flatMap(internalConfig.unwrap(config), (options) => EnvConfig.asConfigError(make(options)))
  )

/**
 * The store as a plain `DedupStore` (Promise-returning `claim`) for the receiver middleware, running on the current
 * runtime.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dedupStore: Effect.Effect<DedupStore, never, PgDedupStore> = Effect.gen(function*() {
  const store = yield* PgDedupStore
  const runtime = yield* Effect.runtime<never>()
  const run = Runtime.runPromiseExit(runtime)
  const promise = <A>(effect: Effect.Effect<A, StorageError>) =>
    run(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })
  return {
    claim: (id: string, ttlSeconds: number) => promise(store.claim(id, ttlSeconds)),
    release: (id: string) => promise(store.release(id))
  }
})

/**
 * A `DedupStore` with Promise methods and its own connection, plus `close()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromiseDedupStore extends DedupStore {
  claim(id: string, ttlSeconds: number): Promise<boolean>
  release(id: string): Promise<void>
  /** Deletes up to `limit` expired ids; returns how many. */
  purgeExpired(limit?: number): Promise<number>
  /** Closes the connection (not a pool you passed in). */
  close(): Promise<void>
}

/**
 * The Promise-friendly constructor: `webhookMiddleware({ secret, dedup: pgDedupStore({ url }) })`. It connects
 * (and creates the table) on the first claim, and again on a later claim if that failed; every failure rejects the
 * claim with a `StorageError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const pgDedupStore = (
  options: Options & Pick<PgAdapter.PostgresOptions, "url" | "pool" | "client" | "applicationName">
): PromiseDedupStore => {
  tables.make(options)
  // Checked at once, like the table names: a missing connection is a mistake in code, not a failing claim.
  if (options.url === undefined && options.pool === undefined && options.client === undefined) {
    throw invalidOption(
      "url",
      "pgDedupStore: give a connection: { url: \"postgres://…\" }, an existing { pool }, or { client }"
    )
  }
  const storeLayer = Layer.provide(layer(options), PgAdapter.clientLayer(options))
  let ready:
    | Promise<{ readonly store: Context.Tag.Service<typeof PgDedupStore>; readonly scope: Scope.CloseableScope }>
    | undefined
  let closed = false

  const connect = () =>
    ready ??= Effect.runPromiseExit(
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(storeLayer, scope).pipe(
          Effect.onError(() => Scope.close(scope, Exit.void)),
          Effect.mapError((error): StorageError =>
            error._tag === "SqlError"
              ? storageError("PgDedupStore: connecting")(error)
              : new StorageError({ code: "unknown", message: `PgDedupStore: ${error.message}`, cause: error })
          )
        )
        return { store: Context.get(context, PgDedupStore), scope }
      })
    ).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      // Let the next claim try again (the database may be back).
      ready = undefined
      throw Cause.squash(exit.cause)
    })

  const run = async <A>(f: (store: Context.Tag.Service<typeof PgDedupStore>) => Effect.Effect<A, StorageError>) => {
    if (closed) throw new Error("This PgDedupStore is closed")
    const { store } = await connect()
    const exit = await Effect.runPromiseExit(f(store))
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }

  return {
    claim: (id, ttlSeconds) => run((store) => store.claim(id, ttlSeconds)),
    release: (id) => run((store) => store.release(id)),
    purgeExpired: (limit) => run((store) => store.purgeExpired(limit)),
    close: async () => {
      closed = true
      const current = ready
      ready = undefined
      if (current === undefined) return
      const { scope } = await current.catch(() => ({ scope: undefined }))
      if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
}
