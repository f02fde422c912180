/**
 * Kysely: the `trx` of `db.transaction().execute(async (trx) => …)` (or of `db.startTransaction()`), on the
 * PostgreSQL dialect or a postgres.js one. Statements go through `trx.withoutPlugins()`: a plugin such as
 * `CamelCasePlugin` would rename the columns these statements read.
 *
 * @since 0.1.0
 */
import { type Detection, invalid, rowsOf, stringsAsText } from "./executor.js"

/**
 * The Kysely transaction the host passes (the parts used here).
 *
 * @since 0.1.0
 * @category models
 */
export interface Transaction {
  readonly isTransaction: boolean
  readonly withoutPlugins: () => { readonly executeQuery: (query: any) => Promise<unknown> }
}

/**
 * @since 0.1.0
 */
export const detect = (value: unknown): Detection => {
  if (typeof value !== "object" || value === null) return undefined
  const candidate = value as Partial<Transaction> & { readonly executeQuery?: unknown }
  if (typeof candidate.executeQuery !== "function" || typeof candidate.withoutPlugins !== "function") return undefined
  if (candidate.isTransaction !== true) {
    return invalid(
      "Got a Kysely instance, not a transaction: publish inside " +
        "`await db.transaction().execute(async (trx) => { …; await hookwire.publish(message, { transaction: trx }) })`."
    )
  }
  const executor = candidate.withoutPlugins()
  return {
    library: "Kysely",
    query: (text, params) => {
      const sql = stringsAsText(text, params)
      // A compiled raw query, as `CompiledQuery.raw` makes one (without importing Kysely at run time).
      return executor.executeQuery({
        sql,
        parameters: params,
        query: { kind: "RawNode", sqlFragments: [sql], parameters: [] },
        queryId: { queryId: "hookwire" }
      }).then(rowsOf)
    }
  }
}
