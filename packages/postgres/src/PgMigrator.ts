/**
 * Creates and upgrades Hookwire's tables with `@effect/sql`'s `Migrator`, from numbered migrations kept in code.
 * Safe with many processes starting at once: the whole run holds a transaction-scoped advisory lock, so one process
 * migrates and the others wait, then find nothing left to do. `PgAdapter.layer` runs it by default; operators who
 * migrate separately run `PgMigrator.run` (or `pnpm --filter @hookwire/postgres migrate`) and pass `migrate: false`.
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as EnvConfig from "@hookwire/core/EnvConfig"
import type { ValidationError } from "@hookwire/core/Errors"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as internalConfig from "./internal/config.js"
import * as schema from "./internal/schema.js"
import * as tables from "./internal/tables.js"

/**
 * Where the tables live. Both parts must be lower-case identifiers (letters, digits, underscores).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Prefix of every table and index. Default `hookwire_`. */
  readonly tablePrefix?: string | undefined
  /** Schema of the tables, created if missing. Default: the connection's `search_path` (usually `public`). */
  readonly schema?: string | undefined
}

/**
 * The migrations that ran: `[id, name]` pairs (empty when the schema was up to date).
 *
 * @since 0.1.0
 * @category models
 */
export type Applied = ReadonlyArray<readonly [id: number, name: string]>

const quoteDotted = (name: string) => name.split(".").map((part) => `"${part}"`).join(".")

/** @internal */
export const runMigrations = (
  t: tables.Tables,
  record: Record<string, ReadonlyArray<string>>,
  migrationsTable: string,
  lockName: string
): Effect.Effect<Applied, Migrator.MigrationError | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const loader = Migrator.fromRecord(
      Object.fromEntries(
        Object.entries(record).map(([key, statements]) => [
          key,
          Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
        ])
      )
    )
    const migrate = Migrator.make({})({ loader, table: migrationsTable })
    return yield* sql.withTransaction(
      Effect.gen(function*() {
        // One migrator at a time per schema + prefix, across every process; released at commit or rollback.
        yield* sql`select pg_advisory_xact_lock(hashtextextended(${`hookwire:${lockName}:${t.lockNamespace}`}, 0))`
        const schemaName = tables.qualifiedSchema(t)
        if (schemaName !== undefined) yield* sql.unsafe(`create schema if not exists ${schemaName}`)
        // Created here, under the lock, rather than by the Migrator: its "does it exist" probe fails inside a
        // transaction, which would abort it.
        yield* sql.unsafe(
          `create table if not exists ${quoteDotted(migrationsTable)} (
            migration_id integer primary key,
            created_at timestamptz not null default now(),
            name text not null
          )`
        )
        return yield* migrate
      })
    )
  })

/**
 * Brings the tables up to date. Requires a `SqlClient` (e.g. `PgClient.layer`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (
  options: Options = {}
): Effect.Effect<Applied, Migrator.MigrationError | SqlError | ValidationError, SqlClient.SqlClient> =>
  Effect.flatMap(tables.checked(options), (t) => runMigrations(t, schema.migrations(t), t.migrations, "migrate")).pipe(
    Effect.withSpan("PgMigrator.run")
  )

/**
 * Runs the migrations when the layer is built.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<never, Migrator.MigrationError | SqlError | ValidationError, SqlClient.SqlClient> =>
  Layer.effectDiscard(run(options))

/**
 * Where the tables are, from the environment: `HOOKWIRE_DATABASE_SCHEMA` and `HOOKWIRE_TABLE_PREFIX` (both
 * optional). A bad name is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = internalConfig.tableOptions

/**
 * The migrations with options read from `Config` (by default `defaultConfig`), e.g.
 * `{ schema: Config.string("MY_SCHEMA") }`. A bad table name, from any `Config`, is a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<never, Migrator.MigrationError | SqlError | ConfigError.ConfigError, SqlClient.SqlClient> =>
  Layer.effectDiscard(Effect.flatMap(internalConfig.unwrap(config), (options) => EnvConfig.asConfigError(run(options))))
