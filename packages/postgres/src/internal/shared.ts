/**
 * What the Postgres Storage's record families (`endpoints.ts`, `messages.ts`, `deliveries.ts`, `attempts.ts`,
 * `retention.ts`, and `dispatch.ts` for the dispatch contexts) share: the client and the table names, the query
 * function, the one shape of every list query, and — when Storage and Queue share the database — the statement
 * pieces that queue what a write makes due and the local wake-up of this process's waiting workers.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Id from "@hookwire/core/Id"
import type { PageRequest } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { mapStorage } from "./errors.js"
import type * as listener from "./listener.js"
import { hot } from "./prepared.js"
import { Params } from "./query.js"
import * as queue from "./queue/statements.js"
import * as rows from "./rows.js"
import type * as tables from "./tables.js"

/** See `PgStorage.InternalOptions`. */
export interface InternalOptions {
  /**
   * Storage and Queue share the database (`PgAdapter`): writes that make a delivery due also queue it in the same
   * statement (publish, recover, retry), and writes that end it drop its queue row, so no crash between a storage
   * write and the matching queue call can lose or strand work. Publishes then also notify the workers (`queued:
   * true`: core makes no `enqueue` call), and `recordAndSettle` settles the claimed queue rows with the attempts.
   */
  readonly sharedQueue: boolean
  /** With a shared queue: the queue's wake-up line, to wake this process's own waiters without the NOTIFY trip. */
  readonly wakeUps?: listener.Listener | undefined
}

/** One statement: its text and parameters, its rows. */
export type Query = (text: string, params: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<rows.Row>, SqlError>

/** @internal */
export interface Shared extends InternalOptions {
  readonly t: tables.Tables
  readonly sql: SqlClient.SqlClient
  readonly query: Query
}

/** @internal */
export const CONFLICT = "a record with this id already exists; ids must be unique (create them with Id.make)"

/** The shared part, from the client of the context. */
export const make = (
  t: tables.Tables,
  internal: InternalOptions
): Effect.Effect<Shared, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (client) => {
    // Without transforms: the host's client may camelCase result names or transform JSON; these statements rely on
    // the columns exactly as written.
    const sql = client.withoutTransforms()
    return {
      ...internal,
      t,
      sql,
      query: (text, params) => sql.unsafe<rows.Row>(text, params)
    }
  })

/** With a shared queue, a delivery written as `pending` with a time is queued (see `queue.upsert`). */
export const queueDue = (s: Shared, source: string): string =>
  queue.upsert(
    s.t.queue,
    `select id, next_attempt_at from ${source} where status = 'pending' and next_attempt_at is not null`
  )

/**
 * The CTEs that follow a move of deliveries (`moved`, with `id`, `status`, `next_attempt_at`): with a shared queue, a
 * move to `pending` with a time queues the delivery, and any other move drops it. Empty otherwise.
 */
export const queueFollow = (s: Shared, moved: string): string =>
  s.sharedQueue
    ? `, queued as (${queueDue(s, moved)}), ` +
      `dequeued as (delete from ${s.t.queue} where id in (select id from ${moved} where status <> 'pending'))`
    : ""

/**
 * This process's own waiters need not wait for the NOTIFY to come back: wake them at once. Outside a transaction
 * only: inside one, the rows stay invisible until commit (the NOTIFY, delivered at commit, wakes everyone then).
 */
export const wakeLocally = (s: Shared, woke: unknown): Effect.Effect<void> => {
  const wakeUps = s.wakeUps
  if (wakeUps === undefined || woke === null || woke === undefined) return Effect.void
  return Effect.flatMap(
    Effect.serviceOption(SqlClient.TransactionConnection),
    (transaction) => Option.isNone(transaction) ? Effect.sync(() => wakeUps.wake(rows.num(woke))) : Effect.void
  )
}

/** A list request: a page, and a time window on the list's time column. */
export type ListRequest = PageRequest & { readonly since?: number | undefined; readonly until?: number | undefined }

/**
 * A family's table as its reads see it: its name, columns and decoder, its time column and the prefix of its ids —
 * and, where the family has one, its decoder of a `rows.jsonArray` (its pages are then read as one JSON value).
 */
export interface RecordsOf<A> {
  readonly table: string
  readonly columns: string
  readonly decode: (row: rows.Row) => A
  readonly timeColumn: string
  readonly prefix: Id.Prefix
  readonly fromJson?: ((values: ReadonlyArray<any>) => A) | undefined
}

/** @internal */
export const recordsOf = <A>(
  table: string,
  columns: string,
  decode: (row: rows.Row) => A,
  timeColumn: string,
  prefix: Id.Prefix,
  fromJson?: (values: ReadonlyArray<any>) => A
): RecordsOf<A> => ({ table, columns, decode, timeColumn, prefix, fromJson })

/**
 * `where` conditions shared by the list queries: tenant, cursor, and a time window on the time column. Ids never
 * sort before their record's time (core makes them from it, monotonically), so `since` also bounds the id: the
 * `(tenant, id)` indexes then serve time windows too.
 */
const listWhere = (params: Params, tenant: string, request: ListRequest, of: RecordsOf<unknown>): Array<string> => {
  const where = [`x.tenant = ${params.add(tenant)}`]
  if (request.cursor !== undefined) {
    where.push(`x.id ${request.order === "desc" ? "<" : ">"} ${params.add(request.cursor)}`)
  }
  if (request.since !== undefined && Number.isSafeInteger(request.since) && request.since >= 0) {
    where.push(`x.id >= ${params.add(Id.lowerBound(of.prefix, request.since))}`)
  }
  if (request.since !== undefined) where.push(`x.${of.timeColumn} >= ${params.add(request.since, "::bigint")}`)
  if (request.until !== undefined) where.push(`x.${of.timeColumn} < ${params.add(request.until, "::bigint")}`)
  return where
}

/**
 * One page of a tenant's records, ordered by id: the shared shape of every list query. `extra` adds the list's own
 * filters to the shared `where` (tenant, cursor, time window). Its text depends only on which filters are present
 * (every value is a parameter; `extra` writes only fixed words into it), so it is prepared once per connection
 * (internal/prepared): a log page asked again and again is no longer planned at every request — a bounded number of
 * texts per family, one per combination of filters in use.
 *
 * A family with `fromJson` gets its page as one JSON array of `rows.jsonArray`s, in page order (`json_agg`'s own
 * `order by`: the page's order as PostgreSQL sorts ids): one `JSON.parse` instead of node-postgres parsing every
 * field of every row — for a page of 50 deliveries ≈ 150 µs less of the reading process's CPU, and the same in all
 * with PostgreSQL's (see bench/README.md, "#20 eighth session").
 */
export const listPage = <A extends { readonly id: string }>(
  s: Shared,
  of: RecordsOf<A>,
  label: string,
  tenant: string,
  request: ListRequest,
  extra: (params: Params, where: Array<string>) => void = () => {}
) => {
  const params = new Params()
  const where = listWhere(params, tenant, request, of)
  extra(params, where)
  const limit = Storage.pageLimit(request)
  const order = request.order === "desc" ? " desc" : ""
  const select = `select ${of.columns} from ${of.table} as x where ${where.join(" and ")} order by x.id${order} ` +
    `limit ${params.add(limit + 1, "::bigint")}`
  const fromJson = of.fromJson
  if (fromJson === undefined) {
    return s.query(hot(select), params.values).pipe(
      Effect.map((found) => Storage.pageOf(found.map((row) => of.decode(row)), limit)),
      mapStorage(label)
    )
  }
  const text = `select coalesce(json_agg(${rows.jsonArray("x", of.columns)} order by x.id${order}), '[]')::text ` +
    `as page from (${select}) as x`
  return s.query(hot(text), params.values).pipe(
    Effect.map(([row]) => Storage.pageOf((JSON.parse(row!.page) as Array<Array<unknown>>).map(fromJson), limit)),
    mapStorage(label)
  )
}

/**
 * One record of a tenant by id (`getEndpoint`, `getMessage`, `getDelivery`), or undefined. A primary-key lookup,
 * one fixed text per table: prepared once per connection (the API's reads start with one).
 */
export const getById = <A>(
  s: Shared,
  of: RecordsOf<A>,
  label: string,
  tenant: string,
  id: string
) =>
  s.query(hot(`select ${of.columns} from ${of.table} where id = $1 and tenant = $2`), [id, tenant]).pipe(
    Effect.map(([row]) => (row === undefined ? undefined : of.decode(row))),
    mapStorage(label)
  )
