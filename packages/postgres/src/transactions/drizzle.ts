/**
 * Drizzle: the `tx` of `db.transaction(async (tx) => …)`, on node-postgres or postgres.js. Statements go through
 * `tx.execute`, with a statement object that is already compiled (so Drizzle is not imported at run time).
 *
 * @since 0.1.0
 */
import { type Detection, invalid, rowsOf, stringsAsText } from "./executor.js"

/**
 * The Drizzle transaction the host passes (the parts used here).
 *
 * @since 0.1.0
 * @category models
 */
export interface Transaction {
  readonly execute: (query: any) => PromiseLike<unknown>
  readonly rollback: () => unknown
}

/** What `tx.execute` takes: an `SQLWrapper`, whose `getSQL()` Drizzle compiles with `toQuery`. */
const compiled = (sql: string, params: ReadonlyArray<unknown>) => {
  const statement = { toQuery: () => ({ sql, params: [...params] }) }
  return { getSQL: () => statement }
}

/**
 * @since 0.1.0
 */
export const detect = (value: unknown): Detection => {
  if (typeof value !== "object" || value === null) return undefined
  const candidate = value as Partial<Transaction> & { readonly transaction?: unknown; readonly select?: unknown }
  if (
    typeof candidate.execute !== "function" || typeof candidate.transaction !== "function" ||
    typeof candidate.select !== "function"
  ) return undefined
  if (typeof candidate.rollback !== "function") {
    return invalid(
      "Got a Drizzle database, not a transaction: publish inside " +
        "`await db.transaction(async (tx) => { …; await hookwire.publish(message, { transaction: tx }) })`."
    )
  }
  const tx = candidate as Transaction
  return {
    library: "Drizzle",
    query: (text, params) => Promise.resolve(tx.execute(compiled(stringsAsText(text, params), params))).then(rowsOf)
  }
}
