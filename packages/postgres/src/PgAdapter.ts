/**
 * Storage and Queue on one PostgreSQL database, as one layer (with migrations, by default), and `postgres(...)`
 * for the Promise API: `createHookwire({ adapter: postgres({ url }), ... })`.
 *
 * Sharing the database lets the two ports write together: inserting a message also queues its deliveries in the
 * same statement, and moving deliveries back to `pending` (recover, retry) queues them in the same statement too. So
 * a publish is atomic even outside a host transaction, a crash between two calls cannot strand a delivery, and no
 * sweeper is needed. The Queue calls that core makes afterwards (`enqueue` at the same run time) change nothing and
 * only send the wake-up notification.
 *
 * @since 0.1.0
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type { MigrationError } from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Queue from "@hookwire/core/Queue"
import * as Storage from "@hookwire/core/Storage"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type pg from "pg"
import * as tables from "./internal/tables.js"
import * as PgMigrator from "./PgMigrator.js"
import * as PgQueue from "./PgQueue.js"
import * as PgStorage from "./PgStorage.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PgMigrator.Options {
  /** Run the migrations when the layer is built (advisory-locked, safe with many processes). Default true. */
  readonly migrate?: boolean | undefined
}

/**
 * Storage and Queue, sharing the database. Requires a `PgClient` (e.g. `PgClient.layer`); use `layerConfig` or
 * `postgres` to have one made from a URL.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Storage.Storage | Queue.Queue, MigrationError | SqlError, PgClient.PgClient | SqlClient.SqlClient> =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const t = tables.make(options)
      const services = Layer.merge(
        Layer.effect(Storage.Storage, PgStorage.makeWith(t, { sharedQueue: true })),
        PgQueue.layerWith(t)
      )
      return options.migrate === false ? services : Layer.provide(services, PgMigrator.layer(options))
    })
  )

/**
 * What `layerConfig` reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigOptions extends Options {
  readonly url: Redacted.Redacted<string>
  readonly applicationName?: string | undefined
  readonly maxConnections?: number | undefined
}

/**
 * The adapter with its own `PgClient`, configured from the environment by default: `HOOKWIRE_DATABASE_URL`
 * (required), `HOOKWIRE_DATABASE_SCHEMA`, `HOOKWIRE_TABLE_PREFIX`, `HOOKWIRE_DATABASE_MAX_CONNECTIONS`,
 * `HOOKWIRE_MIGRATE` (default true).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ConfigOptions> = defaultConfig
): Layer.Layer<
  Storage.Storage | Queue.Queue | PgClient.PgClient | SqlClient.SqlClient,
  MigrationError | SqlError | ConfigError.ConfigError
> =>
  Layer.unwrapEffect(
    Effect.map(Config.unwrap(config), (options) =>
      layer(options).pipe(
        Layer.provideMerge(
          PgClient.layer({
            url: options.url,
            applicationName: options.applicationName ?? "hookwire",
            maxConnections: options.maxConnections
          })
        )
      ))
  )

const optional = <A>(config: Config.Config<A>) => Config.map(Config.option(config), Option.getOrUndefined)

/**
 * `HOOKWIRE_DATABASE_URL`, `HOOKWIRE_DATABASE_SCHEMA`, `HOOKWIRE_TABLE_PREFIX`, `HOOKWIRE_DATABASE_MAX_CONNECTIONS`,
 * `HOOKWIRE_MIGRATE`.
 *
 * @since 0.1.0
 * @category config
 */
export const defaultConfig: Config.Config<ConfigOptions> = Config.all({
  url: Config.redacted("HOOKWIRE_DATABASE_URL"),
  schema: optional(Config.string("HOOKWIRE_DATABASE_SCHEMA")),
  tablePrefix: optional(Config.string("HOOKWIRE_TABLE_PREFIX")),
  maxConnections: optional(Config.integer("HOOKWIRE_DATABASE_MAX_CONNECTIONS")),
  migrate: Config.withDefault(Config.boolean("HOOKWIRE_MIGRATE"), true)
})

/**
 * Options of `postgres`: a connection (`url`, an existing `pool`, or `client` settings) and where the tables are.
 *
 * @since 0.1.0
 * @category models
 */
export interface PostgresOptions extends Options {
  /** Connection string, e.g. `postgres://user:password@127.0.0.1:5432/app`. */
  readonly url?: string | Redacted.Redacted<string> | undefined
  /** An existing node-postgres pool. You keep ownership: closing Hookwire does not end it. */
  readonly pool?: pg.Pool | undefined
  /** Further `PgClient` settings (host, port, ssl, maxConnections, …). */
  readonly client?: PgClient.PgClientConfig | undefined
  /** Shown in `pg_stat_activity`. Default `hookwire`. */
  readonly applicationName?: string | undefined
}

/**
 * The client layer `postgres` builds from its options.
 *
 * @since 0.1.0
 * @category layers
 */
export const clientLayer = (
  options: Pick<PostgresOptions, "url" | "pool" | "client" | "applicationName">
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> => {
  const applicationName = options.applicationName ?? options.client?.applicationName ?? "hookwire"
  if (options.pool !== undefined) {
    const pool = options.pool
    return PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName })
  }
  const url = options.url ?? options.client?.url
  if (url === undefined && options.client === undefined) {
    throw new Error(
      "postgres(): give a connection: { url: \"postgres://…\" }, an existing { pool }, or { client: { host, … } }"
    )
  }
  return PgClient.layer({
    ...options.client,
    url: url === undefined ? undefined : Redacted.isRedacted(url) ? url : Redacted.make(url),
    applicationName
  })
}

/**
 * The Postgres adapter for the Promise API: `createHookwire({ adapter: postgres({ url }), catalog })`. Migrates on
 * start unless `migrate: false`. Options are checked at once: a bad one throws here.
 *
 * @since 0.1.0
 * @category constructors
 */
export const postgres = (options: PostgresOptions): {
  readonly layer: Layer.Layer<Storage.Storage | Queue.Queue, MigrationError | SqlError>
} => {
  tables.make(options)
  return { layer: Layer.provide(layer(options), clientLayer(options)) }
}
