/**
 * Prisma: the `tx` of an interactive `prisma.$transaction(async (tx) => …)`, with a PostgreSQL driver adapter
 * (`@prisma/adapter-pg`). Statements go through `tx.$queryRawUnsafe`. The `PrismaClient` itself is refused: each of
 * its calls may take another connection.
 *
 * @since 0.1.0
 */
import { type Detection, invalid, rowsOf, stringsAsText } from "./executor.js"

/**
 * The Prisma interactive transaction the host passes (the part used here).
 *
 * @since 0.1.0
 * @category models
 */
export interface Transaction {
  readonly $queryRawUnsafe: (query: string, ...values: Array<any>) => PromiseLike<unknown>
}

/**
 * @since 0.1.0
 */
export const detect = (value: unknown): Detection => {
  if (typeof value !== "object" || value === null) return undefined
  const candidate = value as Partial<Transaction> & { readonly $disconnect?: unknown }
  if (typeof candidate.$queryRawUnsafe !== "function") return undefined
  // The transaction client has no `$connect` / `$disconnect` (it has a `$transaction`, for nesting).
  if (typeof candidate.$disconnect === "function") {
    return invalid(
      "Got a PrismaClient, not a transaction: publish inside " +
        "`await prisma.$transaction(async (tx) => { …; await hookwire.publish(message, { transaction: tx }) })`."
    )
  }
  const tx = candidate as Transaction
  return {
    library: "Prisma",
    query: (text, params) => Promise.resolve(tx.$queryRawUnsafe(stringsAsText(text, params), ...params)).then(rowsOf)
  }
}
