/**
 * Knex: the `trx` of `knex.transaction(async (trx) => …)` (or of `await knex.transaction()`), on PostgreSQL.
 * Knex takes `?` placeholders: each `$n` becomes a `?` with its value, and a literal `?` (the `jsonb` operator) is
 * escaped as Knex wants it.
 *
 * @since 0.1.0
 */
import { type Detection, invalid, rowsOf } from "./executor.js"

/**
 * The Knex transaction the host passes (the parts used here).
 *
 * @since 0.1.0
 * @category models
 */
export interface Transaction {
  readonly isTransaction?: boolean
  readonly raw: (sql: string, bindings: Array<any>) => PromiseLike<unknown>
  readonly client?: { readonly dialect?: string } | undefined
}

/** `text` with Knex's `?` placeholders, and the values in their order (a `$n` used twice is bound twice). */
const positional = (text: string, params: ReadonlyArray<unknown>): [string, Array<unknown>] => {
  const bindings: Array<unknown> = []
  const sql = text.replace(/\?/g, "\\?").replace(/\$(\d+)/g, (_, n: string) => {
    bindings.push(params[Number(n) - 1] ?? null)
    return "?"
  })
  return [sql, bindings]
}

/**
 * @since 0.1.0
 */
export const detect = (value: unknown): Detection => {
  if (typeof value !== "function") return undefined
  const candidate = value as unknown as Partial<Transaction> & { readonly transaction?: unknown }
  if (typeof candidate.raw !== "function" || typeof candidate.transaction !== "function") return undefined
  const dialect = candidate.client?.dialect
  if (dialect !== undefined && dialect !== "postgresql") {
    return invalid(`Got a Knex transaction on ${dialect}: Hookwire's tables are on PostgreSQL (Knex client "pg").`)
  }
  if (candidate.isTransaction !== true) {
    return invalid(
      "Got a Knex instance, not a transaction: publish inside " +
        "`await knex.transaction(async (trx) => { …; await hookwire.publish(message, { transaction: trx }) })`."
    )
  }
  const trx = candidate as Transaction
  return {
    library: "Knex",
    query: (text, params) => {
      const [sql, bindings] = positional(text, params)
      return Promise.resolve(trx.raw(sql, bindings)).then(rowsOf)
    }
  }
}
