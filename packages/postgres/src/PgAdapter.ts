/**
 * Storage and Queue on one PostgreSQL database, as one layer (with migrations, by default), and `postgres(...)`
 * for the Promise API: `createHookwire({ adapter: postgres({ url }), ... })`.
 *
 * Sharing the database lets the two ports write together: inserting a message also queues its deliveries and notifies
 * the workers in the same statement, and moving deliveries back to `pending` (recover, retry) queues them in the same
 * statement too. So a publish is atomic even outside a host transaction, a crash between two calls cannot strand a
 * delivery, and no sweeper is needed. The Queue calls that core makes after a recover or retry (`enqueue` at the same
 * run time) change nothing and only send the wake-up notification. It also saves round trips on the worker path: a
 * claim loads the dispatch contexts in its own statement (`claimForDispatch`), and a batch of attempt results is
 * recorded and its queue rows completed or rescheduled in one statement (`recordAndSettle`).
 *
 * @since 0.1.0
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type { MigrationError } from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Errors from "@hookwire/core/Errors"
import * as Storage from "@hookwire/core/Storage"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import pg from "pg"
import * as internalConfig from "./internal/config.js"
import * as environment from "./internal/environment.js"
import * as prepared from "./internal/prepared.js"
import * as tables from "./internal/tables.js"
import * as PgMigrator from "./PgMigrator.js"
import * as PgQueue from "./PgQueue.js"
import * as PgStorage from "./PgStorage.js"
import * as join from "./transactions/join.js"

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
 * `postgres` to have one made from a URL. A bad table name fails it with a `ValidationError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  Storage.Storage | DeliveryQueue.DeliveryQueue,
  MigrationError | SqlError | Errors.ValidationError,
  PgClient.PgClient | SqlClient.SqlClient
> =>
  Layer.unwrapEffect(
    Effect.map(tables.checked(options), (t) => {
      const services = Layer.scopedContext(
        Effect.gen(function*() {
          // One LISTEN connection for both: the Storage's publishes wake this process's waiters directly.
          const wakeUps = yield* PgQueue.listen(t)
          const storage = yield* PgStorage.makeWith(t, { sharedQueue: true, wakeUps })
          const queue = yield* PgQueue.makeWith(t, { sharedStorage: true, wakeUps })
          return Context.make(Storage.Storage, storage).pipe(Context.add(DeliveryQueue.DeliveryQueue, queue))
        })
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
  Storage.Storage | DeliveryQueue.DeliveryQueue | PgClient.PgClient | SqlClient.SqlClient,
  MigrationError | SqlError | ConfigError.ConfigError
> =>
  Layer.unwrapEffect(
    Effect.map(internalConfig.unwrap(config), (options) =>
      layer(options).pipe(
        Layer.provideMerge(
          clientLayer({
            url: options.url,
            applicationName: options.applicationName,
            client: { maxConnections: options.maxConnections }
          })
        ),
        Layer.mapError(EnvConfig.toConfigError)
      ))
  )

/**
 * `HOOKWIRE_DATABASE_URL` (required, a `postgres://` or `postgresql://` URL), `HOOKWIRE_DATABASE_SCHEMA`,
 * `HOOKWIRE_TABLE_PREFIX`, `HOOKWIRE_DATABASE_MAX_CONNECTIONS` (a whole number of at least 1), `HOOKWIRE_MIGRATE`
 * (true/false, default true). A bad value is a `ConfigError` naming the variable (the URL's value is never shown).
 *
 * @since 0.1.0
 * @category config
 */
export const defaultConfig: Config.Config<ConfigOptions> = Config.all({
  url: EnvConfig.redactedUrl("HOOKWIRE_DATABASE_URL", ["postgres:", "postgresql:"]),
  schema: Config.map(internalConfig.tableOptions, (t) => t.schema),
  tablePrefix: Config.map(internalConfig.tableOptions, (t) => t.tablePrefix),
  maxConnections: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_DATABASE_MAX_CONNECTIONS", { min: 1 })),
  migrate: internalConfig.migrate
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
 * The client layer `postgres` builds from its options. Given no connection (no `url`, `pool` or `client`), it fails
 * with a `ValidationError` (`invalid_option`, field `url`) that says what to give.
 *
 * @since 0.1.0
 * @category layers
 */
export const clientLayer = (
  options: Pick<PostgresOptions, "url" | "pool" | "client" | "applicationName">
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError | Errors.ValidationError> => {
  const applicationName = options.applicationName ?? options.client?.applicationName ?? "hookwire"
  if (options.pool !== undefined) {
    const pool = options.pool
    return PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName })
  }
  const url = options.url ?? options.client?.url
  if (url === undefined && options.client === undefined) {
    return Layer.fail(Errors.invalidOption(
      "url",
      "PgAdapter.clientLayer: give a connection: { url: \"postgres://…\" }, an existing { pool }, or " +
        "{ client: { host, … } }"
    ))
  }
  const config: PgClient.PgClientConfig = {
    ...options.client,
    url: url === undefined ? undefined : Redacted.isRedacted(url) ? url : Redacted.make(url),
    applicationName
  }
  // Our own pool (not `PgClient.layer`'s) so that its clients prepare the hot statements.
  return PgClient.layerFromPool({
    acquire: makePool(config),
    applicationName,
    spanAttributes: config.spanAttributes,
    transformResultNames: config.transformResultNames,
    transformQueryNames: config.transformQueryNames,
    transformJson: config.transformJson,
    types: config.types
  })
}

/** The node-postgres pool `PgClient.layer` would make from `config`, with the preparing client; checked at once. */
const makePool = (config: PgClient.PgClientConfig): Effect.Effect<pg.Pool, SqlError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const pool = new pg.Pool({
        // Hot statements prepared once per connection, under the session settings that keep their plans index
        // lookups whatever the statistics (see internal/prepared).
        Client: prepared.Client,
        options: prepared.sessionOptions,
        connectionString: config.url === undefined ? undefined : Redacted.value(config.url),
        user: config.username,
        host: config.host,
        database: config.database,
        password: config.password === undefined ? undefined : Redacted.value(config.password),
        ssl: config.ssl,
        port: config.port,
        ...(config.stream === undefined ? {} : { stream: config.stream }),
        connectionTimeoutMillis: config.connectTimeout === undefined
          ? undefined
          : Duration.toMillis(config.connectTimeout),
        idleTimeoutMillis: config.idleTimeout === undefined ? undefined : Duration.toMillis(config.idleTimeout),
        max: config.maxConnections,
        min: config.minConnections,
        maxLifetimeSeconds: config.connectionTTL === undefined ? undefined : Duration.toSeconds(config.connectionTTL),
        application_name: config.applicationName,
        types: config.types
      })
      // Errors of idle clients are reported on the pool; queries see their own errors.
      pool.on("error", () => {})
      return pool
    }),
    (pool) => Effect.promise(() => pool.end()).pipe(Effect.interruptible, Effect.timeoutOption(1000))
  ).pipe(
    Effect.tap((pool) =>
      Effect.tryPromise({
        try: () => pool.query("select 1"),
        catch: (cause) => new SqlError({ cause, message: "PgClient: Failed to connect" })
      }).pipe(
        Effect.timeoutFail({
          duration: config.connectTimeout ?? Duration.seconds(5),
          onTimeout: () =>
            new SqlError({ cause: new Error("Connection timed out"), message: "PgClient: Connection timed out" })
        })
      )
    )
  )

/**
 * The Postgres adapter for the Promise API: `createHookwire({ adapter: postgres({ url }), catalog })`. Migrates on
 * start unless `migrate: false`. Without `url`, `pool` or `client` it connects to `HOOKWIRE_DATABASE_URL`; the other
 * `HOOKWIRE_DATABASE_*` variables of `layerConfig` fill in what the options leave out. Options are checked at once:
 * a bad one throws here. Its `inTransaction` lets `publish(input, { transaction })` join the host's transaction.
 *
 * @since 0.1.0
 * @category constructors
 */
export const postgres = (given: PostgresOptions = {}): {
  readonly layer: Layer.Layer<
    Storage.Storage | DeliveryQueue.DeliveryQueue,
    MigrationError | SqlError | Errors.ValidationError
  >
  readonly inTransaction: ReturnType<typeof join.inTransaction>
} => {
  const options = environment.complete(given)
  const t = tables.make(options)
  // After the migrations: the engine's side of the transaction check reads where Hookwire's tables are.
  const engine = join.engine(t)
  const services = Layer.flatMap(layer(options), (context) => Layer.merge(Layer.succeedContext(context), engine.layer))
  return { layer: Layer.provide(services, clientLayer(options)), inTransaction: join.inTransaction(engine) }
}
