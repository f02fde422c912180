/**
 * postgres.js: the `sql` that `sql.begin(async (sql) => …)` hands its callback (or a reserved connection on which
 * the host ran `BEGIN`). The top-level `sql` is refused: it is a pool.
 *
 * @since 0.1.0
 */
import { type Detection, invalid, rowsOf, stringsAsText } from "./executor.js"

/**
 * The postgres.js `sql` the host passes: anything with postgres.js' `unsafe(text, values)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sql {
  readonly unsafe: (text: string, values: Array<any>) => PromiseLike<unknown>
}

/**
 * @since 0.1.0
 */
export const detect = (value: unknown): Detection => {
  if (typeof value !== "function") return undefined
  const candidate = value as unknown as Partial<Sql> & { readonly begin?: unknown }
  if (typeof candidate.unsafe !== "function") return undefined
  if (typeof candidate.begin === "function") {
    return invalid(
      "Got postgres.js' top-level `sql`, which is a pool: publish inside " +
        "`await sql.begin(async (tx) => { …; await hookwire.publish(message, { transaction: tx }) })`."
    )
  }
  const sql = candidate as Sql
  return {
    library: "postgres.js",
    query: (text, params) => Promise.resolve(sql.unsafe(stringsAsText(text, params), [...params])).then(rowsOf)
  }
}
