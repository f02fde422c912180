/**
 * The Queue port on PostgreSQL: a table of live work (`<prefix>queue`: id, run_at, lease_until, lease_token,
 * claims) that any number of worker processes share. A claim is one statement — an `UPDATE … FROM (SELECT … ORDER
 * BY due time LIMIT n FOR UPDATE SKIP LOCKED) RETURNING` — so concurrent workers never block on, or double-claim,
 * each other's rows; the claimed rows get a lease and a fresh token, and a row whose lease has passed is simply due
 * again. Completing, rescheduling and releasing match on (id, token), so a worker whose lease expired cannot undo
 * the work of the one that claimed the item after it.
 *
 * Idle workers do not poll: `awaitWork` sleeps until the earliest run time or lease expiry in the table, and
 * `enqueue`, `reschedule` and `release` send a `pg_notify` in the same statement (delivered at commit, so an
 * enqueue inside a host transaction wakes nobody until it commits, and nobody if it rolls back). A dedicated
 * LISTEN connection per process wakes the waiters; `maxWaitMs` (the dispatcher's poll interval) is only the
 * fallback while that connection is being re-established.
 *
 * In `PgAdapter`, where Storage shares the database, the queue also has `claimForDispatch`: the claim and the claimed
 * deliveries' dispatch contexts in one statement.
 *
 * The service is composed from one module per job under `internal/queue/`: `statements.ts` (the SQL), `items.ts`
 * (enqueue, remove, has), `claim.ts` (claim, claimById), `leases.ts` (complete, reschedule, release) and `wakeUps.ts` (awaitWork).
 *
 * @since 0.1.0
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as EnvConfig from "@hookwire/core/EnvConfig"
import type { ValidationError } from "@hookwire/core/Errors"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as internalConfig from "./internal/config.js"
import * as listener from "./internal/listener.js"
import * as claim from "./internal/queue/claim.js"
import * as items from "./internal/queue/items.js"
import * as leases from "./internal/queue/leases.js"
import * as statements from "./internal/queue/statements.js"
import * as wakeUps from "./internal/queue/wakeUps.js"
import type * as rows from "./internal/rows.js"
import * as tables from "./internal/tables.js"
import type * as PgMigrator from "./PgMigrator.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PgMigrator.Options {}

/** @internal */
export interface InternalOptions {
  /**
   * Storage shares the database (`PgAdapter`): `claimForDispatch` loads the claimed deliveries' dispatch contexts in
   * the claim's own statement.
   */
  readonly sharedStorage: boolean
  /** The wake-up line, when the adapter shares it with its Storage; made here otherwise. */
  readonly wakeUps?: listener.Listener | undefined
}

/**
 * The wake-up line of the queue's channel, on its own connection configured like the `PgClient`'s, in the current
 * scope.
 *
 * @internal
 */
export const listen = (t: tables.Tables): Effect.Effect<listener.Listener, never, PgClient.PgClient | Scope.Scope> =>
  Effect.flatMap(PgClient.PgClient, (client) => listener.make(listener.clientConfig(client.config), t.channel))

/**
 * Builds the Queue service in the current scope (which owns its LISTEN connection). Requires a `PgClient`; the
 * tables must exist (see `PgMigrator`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>,
  ValidationError,
  PgClient.PgClient | Scope.Scope
> => Effect.flatMap(tables.checked(options), (t) => makeWith(t, { sharedStorage: false }))

/** @internal */
export const makeWith = (
  t: tables.Tables,
  internal: InternalOptions
): Effect.Effect<Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>, never, PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = (yield* PgClient.PgClient).withoutTransforms()
    const queue: statements.Queue = {
      query: (text, params) => sql.unsafe<rows.Row>(text, params),
      statements: statements.make(t),
      channel: t.channel,
      wakeUps: internal.wakeUps ?? (yield* listen(t))
    }
    const waiting = wakeUps.make(queue)
    return DeliveryQueue.DeliveryQueue.of({
      ...items.make(queue),
      claim: claim.claim(queue),
      claimById: claim.claimById(queue),
      // Only where Storage is in the same database: otherwise the dispatcher loads through its own Storage.
      ...(internal.sharedStorage ? { claimForDispatch: claim.claimForDispatch(queue, waiting.remember) } : {}),
      ...leases.make(queue),
      awaitWork: waiting.awaitWork
    })
  })

/**
 * The Queue service as a layer. Requires a `PgClient` and migrated tables; use `PgAdapter.layer` for Storage and
 * Queue together with migrations.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<DeliveryQueue.DeliveryQueue, ValidationError, PgClient.PgClient> =>
  Layer.scoped(DeliveryQueue.DeliveryQueue, make(options))

/**
 * Where the tables are, from the environment: `HOOKWIRE_DATABASE_SCHEMA` and `HOOKWIRE_TABLE_PREFIX` (both
 * optional). A bad name is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = internalConfig.tableOptions

/**
 * The Queue with its options read from `Config` (by default `defaultConfig`). A bad table name, from any `Config`,
 * fails the layer with a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<DeliveryQueue.DeliveryQueue, ConfigError.ConfigError, PgClient.PgClient> =>
  Layer.scoped(
    DeliveryQueue.DeliveryQueue,
    Effect.flatMap(internalConfig.unwrap(config), (options) => EnvConfig.asConfigError(make(options)))
  )
