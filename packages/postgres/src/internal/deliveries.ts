/**
 * The Postgres Storage's delivery records: their row mapping (also used by the publish write, the attempt results
 * and the dispatch contexts) and their statements — reads and lists, a delivery added to a stored message (a
 * resend), status transitions of one delivery or of an endpoint's in a time window (which, with a shared queue,
 * queue or drop the deliveries they move in the same statement), the sweeper's scan of due deliveries and an
 * endpoint's earliest pending delivery (FIFO).
 *
 * @internal
 */
import type { DeliveryFilter, DeliveryRecord, DeliveryStatus, TransportErrorKind } from "@hookwire/core/Model"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { mapStorage } from "./errors.js"
import * as prepared from "./prepared.js"
import { Params } from "./query.js"
import * as rows from "./rows.js"
import { CONFLICT, getById, listPage, queueFollow, recordsOf, type Shared } from "./shared.js"

/** @internal */
export const columns = "id, tenant, message_id, endpoint_id, status, attempts, next_attempt_at, " +
  "last_attempt_at, last_response_status, last_error, created_at, updated_at"

/** @internal */
export const decode = (row: rows.Row, prefix = ""): DeliveryRecord => ({
  id: row[prefix + "id"],
  tenant: row[prefix + "tenant"],
  messageId: row[prefix + "message_id"],
  endpointId: row[prefix + "endpoint_id"],
  status: row[prefix + "status"] as DeliveryStatus,
  attempts: rows.num(row[prefix + "attempts"]),
  nextAttemptAt: rows.numOrNull(row[prefix + "next_attempt_at"]),
  lastAttemptAt: rows.numOrNull(row[prefix + "last_attempt_at"]),
  lastResponseStatus: rows.numOrNull(row[prefix + "last_response_status"]),
  lastError: (row[prefix + "last_error"] ?? null) as TransportErrorKind | null,
  createdAt: rows.num(row[prefix + "created_at"]),
  updatedAt: rows.num(row[prefix + "updated_at"])
})

const fields: rows.Fields<DeliveryRecord> = [
  ["text", (d) => d.id],
  ["text", (d) => d.tenant],
  ["text", (d) => d.messageId],
  ["text", (d) => d.endpointId],
  ["text", (d) => d.status],
  ["integer", (d) => d.attempts],
  ["bigint", (d) => d.nextAttemptAt],
  ["bigint", (d) => d.lastAttemptAt],
  ["integer", (d) => d.lastResponseStatus],
  ["text", (d) => d.lastError],
  ["bigint", (d) => d.createdAt],
  ["bigint", (d) => d.updatedAt]
]

/**
 * Column-wise arrays of deliveries, for `unnest`: one parameter per column instead of one per value, so a
 * 10,000-row insert is one short statement with 12 parameters.
 *
 * @internal
 */
export const arrays = (deliveries: ReadonlyArray<DeliveryRecord>) => rows.arraysOf(deliveries, fields)

/**
 * `unnest(...)` of `arrays` starting at `$<from>`, with the column names of the deliveries table; with
 * `messageIndex`, also `n` from the integer array `$<from + 12>` (see `messages.indexes`).
 */
export const unnest = (from: number, messageIndex = false): string =>
  messageIndex
    ? `${rows.unnest(from, [...rows.typesOf(fields), "integer"])} as u(${columns}, n)`
    : `${rows.unnest(from, rows.typesOf(fields))} as u(${columns})`

/**
 * What recording an attempt writes to its delivery (`attempts.ts`): the columns an attempt changes, and the id and
 * tenant that find the row. Sent as one JSON parameter (`recordingJson`), without the message, endpoint and creation time that a
 * delivery never changes.
 */
const recordingFields: rows.Fields<DeliveryRecord> = [
  ["text", (d) => d.id],
  ["text", (d) => d.tenant],
  ["text", (d) => d.status],
  ["integer", (d) => d.attempts],
  ["bigint", (d) => d.nextAttemptAt],
  ["bigint", (d) => d.lastAttemptAt],
  ["integer", (d) => d.lastResponseStatus],
  ["text", (d) => d.lastError],
  ["bigint", (d) => d.updatedAt]
]

/** The deliveries' new states as one parameter (`rows.jsonRowsOf`). */
export const recordingJson = (deliveries: ReadonlyArray<DeliveryRecord>) => rows.jsonRowsOf(deliveries, recordingFields)

/** The rows of `recordingJson` in `$<param>`, as `u`, named after the deliveries table's columns. */
export const recordingRows = (param: number): string =>
  rows.jsonRows(
    param,
    recordingFields,
    "id, tenant, status, attempts, next_attempt_at, last_attempt_at, last_response_status, last_error, updated_at"
  )

/** @internal */
export const fromJson = (a: ReadonlyArray<any>): DeliveryRecord => ({
  id: a[0],
  tenant: a[1],
  messageId: a[2],
  endpointId: a[3],
  status: a[4],
  attempts: a[5],
  nextAttemptAt: a[6],
  lastAttemptAt: a[7],
  lastResponseStatus: a[8],
  lastError: a[9],
  createdAt: a[10],
  updatedAt: a[11]
})

/** @internal */
export const params = (d: DeliveryRecord): ReadonlyArray<unknown> => [
  d.id,
  d.tenant,
  d.messageId,
  d.endpointId,
  d.status,
  d.attempts,
  d.nextAttemptAt,
  d.lastAttemptAt,
  d.lastResponseStatus,
  d.lastError,
  d.createdAt,
  d.updatedAt
]

/**
 * `x.status = '<status>'` with the status written into the text when it is one of the four (it then picks the index:
 * the partial `(tenant, status, id)` index of migration 5 holds every status but `delivered`, and a plan can only use
 * it when the text shows which status is asked for); a parameter otherwise (it matches nothing).
 */
const statusCondition = (p: Params, status: string): string =>
  STATUSES.has(status) ? `x.status = '${status}'` : `x.status = ${p.add(status)}`

const STATUSES: ReadonlySet<string> = new Set<DeliveryStatus>(["pending", "delivered", "failed", "cancelled"])

/** The delivery methods of the service (`dispatch.ts` loads the dispatch contexts). */
export const make = (s: Shared): Omit<Storage.DeliveryMethods, "loadForDispatch"> => {
  const { query, t } = s
  const D = t.deliveries

  const insertText = `insert into ${D} (${columns}) values (${
    columns.split(",").map((_, i) => `$${i + 1}`).join(", ")
  })`

  // Run by every dispatcher batch (a 410, a cancelled delivery): prepared once per connection (internal/prepared).
  const transitionText = prepared.hot([
    `with moved as (`,
    `  update ${D} as x set status = $4, next_attempt_at = $5::bigint, updated_at = $6::bigint`,
    `  where x.id = $1 and x.tenant = $2 and x.status = any($3::text[])`,
    `  returning ${rows.qualified("x", columns)}`,
    `)${queueFollow(s, "moved")}`,
    `select * from moved`
  ].join("\n"))

  const transitionEndpointText = [
    `with moved as (`,
    `  update ${D} as x set status = $4, next_attempt_at = $5::bigint, updated_at = $6::bigint`,
    `  where x.tenant = $1 and x.endpoint_id = $2 and x.status = any($3::text[]) and x.created_at >= $7::bigint`,
    `    and ($8::bigint is null or x.created_at < $8::bigint)`,
    `  returning x.id, x.status, x.next_attempt_at`,
    `)${queueFollow(s, "moved")}`,
    `select id from moved`
  ].join("\n")

  const records = recordsOf(D, columns, decode, "created_at", "dlv", fromJson)

  return {
    getDelivery: (tenant, id) => getById(s, records, "PgStorage.getDelivery", tenant, id),

    listDeliveries: (tenant, filter: DeliveryFilter) =>
      listPage(s, records, "PgStorage.listDeliveries", tenant, filter, (p, where) => {
        if (filter.endpointId !== undefined) where.push(`x.endpoint_id = ${p.add(filter.endpointId)}`)
        if (filter.messageId !== undefined) where.push(`x.message_id = ${p.add(filter.messageId)}`)
        if (filter.status !== undefined) where.push(statusCondition(p, filter.status))
      }),

    insertDelivery: (delivery) =>
      query(insertText, params(delivery) as Array<unknown>).pipe(
        Effect.asVoid,
        mapStorage("PgStorage.insertDelivery", `delivery ${delivery.id}: ${CONFLICT}`)
      ),

    transitionDelivery: (tenant, id, from, to) =>
      query(transitionText, [id, tenant, from, to.status, to.nextAttemptAt, to.now]).pipe(
        Effect.map(([row]) => (row === undefined ? undefined : decode(row))),
        mapStorage("PgStorage.transitionDelivery")
      ),

    transitionEndpointDeliveries: (tenant, endpointId, options) =>
      query(transitionEndpointText, [
        tenant,
        endpointId,
        options.from,
        options.to,
        options.nextAttemptAt,
        options.now,
        options.since,
        options.until ?? null
      ]).pipe(
        Effect.map((moved) => moved.map((row) => row.id as string)),
        mapStorage("PgStorage.transitionEndpointDeliveries")
      ),

    earliestPendingDelivery: (tenant, endpointId) =>
      query(
        `select id, next_attempt_at from ${D} where endpoint_id = $1 and status = 'pending' and tenant = $2 ` +
          `order by id limit 1`,
        [endpointId, tenant]
      ).pipe(
        Effect.map(([row]) =>
          row === undefined ? undefined : { id: row.id as string, nextAttemptAt: rows.numOrNull(row.next_attempt_at) }
        ),
        mapStorage("PgStorage.earliestPendingDelivery")
      ),

    duePendingDeliveries: (before, limit, after) => {
      if (!(limit > 0)) return Effect.succeed([])
      const p = new Params([before, Math.floor(limit)])
      // Rows without a next attempt time (written by older versions) come first, by id, once not updated since
      // `before`; then the due rows by (next_attempt_at, id). Each part keeps to its index order.
      const untimed = after !== undefined && after.nextAttemptAt !== null
        ? undefined
        : `(select id, next_attempt_at from ${D} where status = 'pending' and next_attempt_at is null ` +
          `and updated_at < $1::bigint${after === undefined ? "" : ` and id > ${p.add(after.id)}`} ` +
          `order by id limit $2::bigint)`
      const from = after === undefined || after.nextAttemptAt === null
        ? ""
        : ` and (next_attempt_at, id) > (${p.add(after.nextAttemptAt, "::bigint")}, ${p.add(after.id)})`
      const timed = `(select id, next_attempt_at from ${D} where status = 'pending' and next_attempt_at < $1::bigint` +
        `${from} order by next_attempt_at, id limit $2::bigint)`
      return query(
        untimed === undefined
          ? timed
          : `${untimed} union all ${timed} order by next_attempt_at nulls first, id limit $2::bigint`,
        p.values
      ).pipe(
        Effect.map((found) =>
          found.map((row) => ({ id: row.id as string, nextAttemptAt: rows.numOrNull(row.next_attempt_at) }))
        ),
        mapStorage("PgStorage.duePendingDeliveries")
      )
    }
  }
}
