/**
 * node-postgres: a `pg.PoolClient` (or `pg.Client`) on which the host ran `BEGIN`. A `pg.Pool` is refused: each of
 * its queries may take another connection, so it cannot hold a transaction.
 *
 * @since 0.1.0
 */
import { type Detection, invalid, rowsOf } from "./executor.js"

/**
 * The node-postgres client the host passes: anything with node-postgres' `query(text, values)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Client {
  readonly query: (text: string, values: Array<unknown>) => Promise<unknown>
}

/**
 * @since 0.1.0
 */
export const detect = (value: unknown): Detection => {
  if (typeof value !== "object" || value === null) return undefined
  const candidate = value as Partial<Client> & { readonly connect?: unknown; readonly totalCount?: unknown }
  if (typeof candidate.query !== "function") return undefined
  if (typeof candidate.connect === "function" && typeof candidate.totalCount === "number") {
    return invalid(
      "Got a node-postgres Pool: a transaction lives on one connection. Take a client and begin: " +
        "`const client = await pool.connect(); await client.query(\"BEGIN\")`, publish with " +
        "`{ transaction: client }`, then `COMMIT` (or `ROLLBACK`) and `client.release()`."
    )
  }
  const client = candidate as Client
  return {
    library: "node-postgres",
    query: (text, params) => client.query(text, [...params]).then(rowsOf)
  }
}
