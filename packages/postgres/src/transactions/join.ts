/**
 * `publish(input, { transaction })` on the Postgres adapter: recognises the host's transaction object
 * (node-postgres, postgres.js, Kysely, Drizzle, Knex, Prisma), checks that it is inside a transaction (a savepoint
 * of the publish's own) and, once per connection, that it is on Hookwire's server, database and tables, then runs
 * the publish with that transaction as the fiber's `TransactionConnection`, so every statement of the publish (the
 * endpoints read, then the message, its deliveries, their queue rows and the workers' notification) is part of it.
 * Commit delivers (the queue rows commit with the message; `NOTIFY` is sent at commit); rollback leaves nothing; a
 * process that dies after the commit loses nothing, since no step of the publish comes after it.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { StorageError, ValidationError } from "@hookwire/core/Errors"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { mapStorage, storageError } from "../internal/errors.js"
import type * as tables from "../internal/tables.js"
import * as drizzle from "./drizzle.js"
import { connection, type Detection, driverError, type Executor, invalid } from "./executor.js"
import * as knex from "./knex.js"
import * as kysely from "./kysely.js"
import * as nodePostgres from "./nodePostgres.js"
import * as postgresJs from "./postgresJs.js"
import * as prisma from "./prisma.js"

// Functions first (Knex and postgres.js are callable), node-postgres last (its `query` is the loosest shape).
const libraries: ReadonlyArray<(value: unknown) => Detection> = [
  knex.detect,
  postgresJs.detect,
  kysely.detect,
  drizzle.detect,
  prisma.detect,
  nodePostgres.detect
]

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : typeof value === "object"
    ? `an object (${value.constructor?.name ?? "no prototype"})`
    : typeof value

/**
 * The host's transaction as an `Executor`, or the error saying what to pass instead.
 *
 * @since 0.1.0
 */
export const executorOf = (value: unknown): Executor | ValidationError => {
  for (const detect of libraries) {
    const found = detect(value)
    if (found !== undefined) return found
  }
  return invalid(
    `Cannot publish in ${describe(value)}: pass your database library's transaction — a node-postgres client ` +
      "after `BEGIN`, the `tx` of postgres.js' `sql.begin`, or the transaction of Kysely, Drizzle, Knex or Prisma."
  )
}

/** Where a connection is: server (its start time), database, and Hookwire's messages table as it resolves there. */
interface Whereabouts {
  readonly database: string
  readonly started: string
  readonly messages: string | null
}

const whereText = "select current_database() as database, " +
  "extract(epoch from pg_postmaster_start_time())::text as started, to_regclass($1)::oid::text as messages"

/**
 * The engine's side: where Hookwire's own connections are, read once per build of the adapter's layer.
 *
 * @since 0.1.0
 */
export interface Engine {
  /** Built with the adapter's layer (it needs the adapter's `SqlClient`). */
  readonly layer: Layer.Layer<never, SqlError, SqlClient.SqlClient>
  readonly whereabouts: () => Whereabouts | undefined
  /** The messages table, as the adapter names it in its statements. */
  readonly messages: string
  /** Host transaction objects already found on this engine's database (a pooled client is checked once). */
  readonly placed: WeakSet<object>
}

/**
 * @since 0.1.0
 */
export const engine = (t: tables.Tables): Engine => {
  let found: Whereabouts | undefined
  return {
    layer: Layer.effectDiscard(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) =>
          Effect.map(sql.withoutTransforms().unsafe<Whereabouts>(whereText, [t.messages]), ([row]) => {
            found = row
          })
      )
    ),
    whereabouts: () => found,
    messages: t.messages,
    placed: new WeakSet()
  }
}

const where = (executor: Executor, host: Whereabouts, ours: Whereabouts): ValidationError | undefined => {
  if (host.database !== ours.database || host.started !== ours.started) {
    return invalid(
      `This ${executor.library} transaction is on database "${host.database}" of ${
        host.started === ours.started ? "the same server" : "another server"
      }; Hookwire's tables are on database "${ours.database}". Publish with a transaction on Hookwire's database ` +
        "(or give `postgres()` that database's connection)."
    )
  }
  if (host.messages !== ours.messages) {
    return invalid(
      `This ${executor.library} transaction does not see Hookwire's tables where Hookwire does (${
        host.messages === null ? "no" : "another"
      } messages table by that name on its search_path): set the same search_path, or give \`postgres()\` the ` +
        "tables' `schema`."
    )
  }
  return undefined
}

// The publish runs under a savepoint of its own: a failed publish (the server refusing a write) is undone alone and
// leaves the host's transaction usable, as a failed statement of its own would not. `SAVEPOINT` outside a
// transaction block fails with SQLSTATE 25P01, which is how a connection not inside `BEGIN` is told apart.
const SAVEPOINT = "hookwire_publish"

const notInTransaction = (executor: Executor) =>
  invalid(
    `This ${executor.library} connection is not inside a transaction: begin one first (node-postgres: ` +
      "`await client.query(\"BEGIN\")`), publish, then commit or roll back."
  )

/**
 * Runs `effect` (a publish) inside the host's `transaction`: fails with a `ValidationError` for a value that is no
 * usable transaction, a `StorageError` when the transaction cannot take the publish (e.g. it was already aborted).
 *
 * @since 0.1.0
 */
export const inTransaction = (found: Engine) =>
<A, E, R>(
  transaction: unknown,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | ValidationError | StorageError, R> =>
  Effect.suspend((): Effect.Effect<A, E | ValidationError | StorageError, R> => {
    const executor = executorOf(transaction)
    if (!("query" in executor)) return Effect.fail(executor)
    const ours = found.whereabouts()
    // The adapter's layer is built before any call of createHookwire runs.
    if (ours === undefined) {
      return Effect.dieMessage("postgres(): a transaction was joined before the adapter was built")
    }
    const conn = connection(executor)
    const run = (text: string, params: ReadonlyArray<unknown> = []) =>
      mapStorage("publish in your transaction")(conn.executeUnprepared(text, params, undefined))
    const begin: Effect.Effect<void, ValidationError | StorageError> = conn.executeUnprepared(
      `savepoint ${SAVEPOINT}`,
      [],
      undefined
    ).pipe(
      Effect.catchIf(
        (error) => (driverError(error.cause) as { readonly code?: unknown } | null)?.code === "25P01",
        () => Effect.fail(notInTransaction(executor))
      ),
      Effect.catchTag("SqlError", (error) => Effect.fail(storageError("publish in your transaction")(error))),
      Effect.zipRight(
        found.placed.has(transaction as object) ?
          Effect.void :
          Effect.flatMap(run(whereText, [found.messages]), ([host]) => {
            const error = where(executor, host as Whereabouts, ours)
            if (error !== undefined) return Effect.fail(error)
            found.placed.add(transaction as object)
            return Effect.void
          })
      )
    )
    const joined = Effect.provideService(effect, SqlClient.TransactionConnection, [conn, 0] as const) as Effect.Effect<
      A,
      E,
      R
    >
    return Effect.zipRight(begin, Effect.exit(joined)).pipe(
      Effect.flatMap((exit): Effect.Effect<A, E | ValidationError | StorageError> =>
        Exit.isSuccess(exit)
          ? Effect.as(run(`release savepoint ${SAVEPOINT}`), exit.value)
          : Effect.zipRight(
            Effect.ignore(
              Effect.zipRight(run(`rollback to savepoint ${SAVEPOINT}`), run(`release savepoint ${SAVEPOINT}`))
            ),
            exit
          )
      )
    )
  })
