/**
 * `Storage.transaction` on PostgreSQL: `sql.withTransaction`, whose statements take their connection from the
 * context, so every storage and queue statement inside runs in the one transaction (nested calls are savepoints).
 * `@effect/sql` makes a failed `COMMIT` or `ROLLBACK` a defect (the connection died under it: a crash, a terminated
 * backend); here it is a `StorageError` (code `connection` when it is one) like any failed statement.
 *
 * @internal
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import type { StorageError } from "@hookwire/core/Errors"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { storageError } from "./errors.js"

const failed = storageError("transaction")

/** @internal */
export const make =
  (sql: SqlClient.SqlClient) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    sql.withTransaction(effect).pipe(
      Effect.mapError((error) => error instanceof SqlError ? failed(error) : error),
      Effect.catchSomeDefect((defect) =>
        defect instanceof SqlError ? Option.some(Effect.fail(failed(defect))) : Option.none()
      )
    )
