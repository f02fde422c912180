/**
 * SqlError → StorageError / QueueError, with a `code` a caller can act on and a message that says what to do.
 * Messages carry PostgreSQL's own message (never the statement's parameters, which may hold secrets or payloads).
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { QueueError, StorageError } from "@hookwire/core/Errors"
import * as Effect from "effect/Effect"

interface PgErrorLike {
  readonly code?: unknown
  readonly message?: unknown
  readonly constraint?: unknown
}

const pgError = (error: SqlError): PgErrorLike =>
  typeof error.cause === "object" && error.cause !== null ? (error.cause as PgErrorLike) : {}

const CONNECTION_CODES = new Set([
  "57P01", // admin_shutdown (pg_terminate_backend)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN"
])

/** @internal */
export const isConnection = (error: SqlError): boolean => {
  const { code, message } = pgError(error)
  if (typeof code === "string" && (code.startsWith("08") || CONNECTION_CODES.has(code))) return true
  const text = typeof message === "string" ? message : error.message
  return /connection|terminat|timeout|ECONN/i.test(text) && !/violates/i.test(text)
}

/** @internal */
export const isUniqueViolation = (error: SqlError): boolean => pgError(error).code === "23505"

const describe = (operation: string, error: SqlError): string => {
  const { code, message } = pgError(error)
  const detail = typeof message === "string" ? message : error.message
  if (code === "42P01" || code === "3F000") {
    return `${operation} failed: ${detail}. The Hookwire tables are missing: run the migrations ` +
      `(PgMigrator.run, \`pnpm --filter @hookwire/postgres migrate\`, or postgres({ migrate: true })) with the same ` +
      `schema and tablePrefix`
  }
  if (isConnection(error)) {
    return `${operation} failed: ${detail}. PostgreSQL could not be reached or dropped the connection; the operation ` +
      `can be retried`
  }
  return `${operation} failed: ${detail}`
}

/** @internal */
export const storageError = (operation: string, conflict?: string) => (error: SqlError): StorageError =>
  isUniqueViolation(error) && conflict !== undefined
    ? new StorageError({ code: "conflict", message: `${operation}: ${conflict}`, cause: error })
    : new StorageError({
      code: isConnection(error) ? "connection" : "unknown",
      message: describe(operation, error),
      cause: error
    })

/** @internal */
export const queueError = (operation: string) => (error: SqlError): QueueError =>
  new QueueError({
    code: isConnection(error) ? "connection" : "unknown",
    message: describe(operation, error),
    cause: error
  })

/** @internal */
export const mapStorage =
  (operation: string, conflict?: string) =>
  <A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, StorageError, R> =>
    Effect.mapError(effect, storageError(operation, conflict))

/** @internal */
export const mapQueue =
  (operation: string) => <A, R>(effect: Effect.Effect<A, SqlError, R>): Effect.Effect<A, QueueError, R> =>
    Effect.mapError(effect, queueError(operation))
