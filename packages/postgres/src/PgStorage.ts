/**
 * The Storage port on PostgreSQL, through `@effect/sql`'s `SqlClient`. It uses the client from the context of each
 * call, so a `publish` made inside the host's own `sql.withTransaction(...)` joins that transaction: the host's
 * business write and the webhook commit or roll back together. Every operation is one statement (one round trip):
 * a fan-out to 10,000 endpoints inserts the message and its deliveries with one `unnest`-based statement (and a batch
 * of messages, `insertMessages`, with one statement too), a batch of attempt results is written with one statement,
 * and dispatch context is loaded with one join. The exceptions: an insert that finds an idempotency key taken reads
 * the message that holds it with a second statement, and `insertEndpointWithin` serialises a tenant's inserts with a
 * transaction-scoped advisory lock so that concurrent creations never exceed the limit.
 *
 * The tables come from `PgMigrator`. Times are stored as `bigint` epoch milliseconds (UTC).
 *
 * This module holds the options and the layers; the statements live with their record family under `internal/`
 * (`endpoints`, `messages`, `deliveries`, `attempts`, `retention`, and `dispatch` for the dispatch contexts), each
 * holding its rows' mapping and building its slice of the port over what they share (`internal/shared.ts`).
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as EnvConfig from "@hookwire/core/EnvConfig"
import type { ValidationError } from "@hookwire/core/Errors"
import * as Storage from "@hookwire/core/Storage"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as attempts from "./internal/attempts.js"
import * as internalConfig from "./internal/config.js"
import * as deliveries from "./internal/deliveries.js"
import * as dispatch from "./internal/dispatch.js"
import * as endpoints from "./internal/endpoints.js"
import * as messages from "./internal/messages.js"
import * as retention from "./internal/retention.js"
import * as shared from "./internal/shared.js"
import * as tables from "./internal/tables.js"
import * as transaction from "./internal/transaction.js"
import type * as PgMigrator from "./PgMigrator.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PgMigrator.Options {}

/** @internal */
export type InternalOptions = shared.InternalOptions

/**
 * Builds the Storage service. Requires a `SqlClient`; the tables must exist (see `PgMigrator`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Context.Tag.Service<typeof Storage.Storage>, ValidationError, SqlClient.SqlClient> =>
  Effect.flatMap(tables.checked(options), (t) => makeWith(t, { sharedQueue: false }))

/**
 * The service composed from one slice per record family, over the client of the context and the tables.
 *
 * @internal
 */
export const makeWith = (
  t: tables.Tables,
  internal: InternalOptions
): Effect.Effect<Context.Tag.Service<typeof Storage.Storage>, never, SqlClient.SqlClient> =>
  Effect.map(shared.make(t, internal), (s) =>
    Storage.Storage.of({
      ...retention.make(s),
      ...endpoints.make(s),
      ...messages.make(s),
      ...deliveries.make(s),
      ...dispatch.make(s),
      ...attempts.make(s),
      transaction: transaction.make(s.sql)
    }))

/**
 * The Storage service as a layer. Requires a `SqlClient` and migrated tables; use `PgAdapter.layer` for Storage and
 * Queue together with migrations.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Storage.Storage, ValidationError, SqlClient.SqlClient> =>
  Layer.effect(Storage.Storage, make(options))

/**
 * Where the tables are, from the environment: `HOOKWIRE_DATABASE_SCHEMA` and `HOOKWIRE_TABLE_PREFIX` (both
 * optional). A bad name is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = internalConfig.tableOptions

/**
 * The Storage with its options read from `Config` (by default `defaultConfig`). A bad table name, from any `Config`,
 * fails the layer with a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<Storage.Storage, ConfigError.ConfigError, SqlClient.SqlClient> =>
  Layer.effect(
    Storage.Storage,
    Effect.flatMap(internalConfig.unwrap(config), (options) => EnvConfig.asConfigError(make(options)))
  )
