/**
 * A host's transaction as an `@effect/sql` connection. The adapter's statements run on the `SqlClient`'s
 * `TransactionConnection` when the calling fiber has one (that is how `sql.withTransaction` works); giving the fiber a
 * connection that sends each statement through the host's own transaction object (a node-postgres client inside
 * `BEGIN`, a postgres.js `sql.begin` callback's `sql`, a Kysely, Drizzle or Knex transaction) makes every write of a
 * publish part of the host's transaction: commit delivers, rollback leaves nothing. Each library module turns its
 * transaction object into an `Executor`; this module does the rest, the same for all.
 *
 * @since 0.1.0
 */
import type * as SqlConnection from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { ValidationError } from "@hookwire/core/Errors"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * One statement at a time on the host's transaction: `$1`-style placeholders, values as node-postgres takes them
 * (strings, numbers, booleans, null, arrays of those); resolves with the result rows as objects.
 *
 * @since 0.1.0
 * @category models
 */
export interface Executor {
  /** The library, named in errors: "node-postgres", "postgres.js", "Kysely", "Drizzle", "Knex". */
  readonly library: string
  readonly query: (text: string, params: ReadonlyArray<unknown>) => Promise<ReadonlyArray<Record<string, unknown>>>
}

/**
 * The rows of a driver's result: node-postgres' `QueryResult` (also what Knex, Kysely and Drizzle on node-postgres
 * return) has them in `rows`; postgres.js returns them as the result itself.
 *
 * @since 0.1.0
 */
export const rowsOf = (result: unknown): ReadonlyArray<Record<string, unknown>> => {
  if (Array.isArray(result)) return result
  const rows = (result as { readonly rows?: unknown } | null | undefined)?.rows
  return Array.isArray(rows) ? rows : []
}

/**
 * `text` with every placeholder whose value is a string cast to `text` (`$3::jsonb` becomes `$3::text::jsonb`).
 * postgres.js (directly or under Kysely and Drizzle) asks the server for each parameter's type and serializes the
 * value for it: a JSON string sent for a `jsonb` parameter would be encoded a second time. Declared `text`, the value
 * goes as written and the server casts it. Harmless for node-postgres, which sends every value as text anyway.
 *
 * @since 0.1.0
 */
export const stringsAsText = (text: string, params: ReadonlyArray<unknown>): string =>
  text.replace(
    /\$(\d+)/g,
    (placeholder, n: string) => typeof params[Number(n) - 1] === "string" ? `${placeholder}::text` : placeholder
  )

/**
 * The driver's own error (with PostgreSQL's `code`) under a library's wrapper (Drizzle wraps it in a
 * `DrizzleQueryError`): what the adapter's error mapping reads.
 *
 * @since 0.1.0
 */
export const driverError = (error: unknown): unknown => {
  let current = error
  for (let depth = 0; depth < 4; depth++) {
    const { cause, code } = (current ?? {}) as { readonly cause?: unknown; readonly code?: unknown }
    if (typeof code === "string" || cause === undefined || cause === null) return current
    current = cause
  }
  return current
}

/**
 * An `@effect/sql` connection over `executor`. Savepoints (a nested `withTransaction`) go through it too, so they
 * nest inside the host's transaction; `BEGIN` / `COMMIT` are never sent: the host owns the transaction.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connection = (executor: Executor): SqlConnection.Connection => {
  const run = (text: string, params: ReadonlyArray<unknown>) =>
    Effect.tryPromise({
      try: () => executor.query(text, params),
      catch: (cause) =>
        new SqlError({
          cause: driverError(cause),
          message: `Failed to execute statement on the ${executor.library} transaction: ${
            cause instanceof Error ? cause.message : String(cause)
          }`
        })
    })
  const execute = (
    text: string,
    params: ReadonlyArray<unknown>,
    transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined
  ) => transformRows === undefined ? run(text, params) : Effect.map(run(text, params), transformRows)
  return {
    execute,
    executeRaw: run,
    executeStream: (text, params, transformRows) =>
      Stream.flatMap(Stream.fromEffect(execute(text, params, transformRows)), Stream.fromIterable),
    executeValues: (text, params) => Effect.map(run(text, params), (rows) => rows.map((row) => Object.values(row))),
    executeUnprepared: execute
  }
}

/**
 * The error for a `transaction` option this adapter cannot use, saying what to pass instead.
 *
 * @since 0.1.0
 * @category errors
 */
export const invalid = (message: string): ValidationError =>
  new ValidationError({ code: "invalid_option", field: "transaction", message })

/**
 * What a library module says about a value: its `Executor`, the error for a misuse it recognises (a pool, a database
 * handle instead of a transaction), or `undefined` when the value is not that library's.
 *
 * @since 0.1.0
 * @category models
 */
export type Detection = Executor | ValidationError | undefined
