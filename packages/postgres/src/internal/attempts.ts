/**
 * The Postgres Storage's attempt records: their row mapping, and their statements — the dispatcher's batch of
 * results (the attempts and their deliveries' new states in one statement; with a shared queue, `recordAndSettle`
 * also completes or reschedules the claimed queue rows and notifies the workers), the attempt log's lists, and an
 * endpoint's statistics, alone or beside the endpoint's row (`stats.ts`).
 *
 * @internal
 */
import type { StorageError } from "@hookwire/core/Errors"
import type { AttemptFilter, AttemptRecord, AttemptTrigger, TransportErrorKind } from "@hookwire/core/Model"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { recordingJson, recordingRows } from "./deliveries.js"
import * as endpoints from "./endpoints.js"
import { mapStorage } from "./errors.js"
import * as prepared from "./prepared.js"
import { byIds, lastById, pairKey } from "./query.js"
import * as queue from "./queue/statements.js"
import * as rows from "./rows.js"
import { listPage, recordsOf, type Shared, wakeLocally } from "./shared.js"
import * as stats from "./stats.js"

/** @internal */
export const columns = "id, tenant, delivery_id, message_id, endpoint_id, attempt, trigger, url, started_at, " +
  "duration_ms, response_status, response_body, error_kind, error_message, request_headers, response_headers"

/** @internal */
export const decode = (row: rows.Row): AttemptRecord => ({
  id: row.id,
  tenant: row.tenant,
  deliveryId: row.delivery_id,
  messageId: row.message_id,
  endpointId: row.endpoint_id,
  attempt: rows.num(row.attempt),
  trigger: row.trigger as AttemptTrigger,
  url: row.url,
  startedAt: rows.num(row.started_at),
  durationMs: rows.num(row.duration_ms),
  responseStatus: rows.numOrNull(row.response_status),
  responseBody: row.response_body ?? null,
  errorKind: (row.error_kind ?? null) as TransportErrorKind | null,
  errorMessage: row.error_message ?? null,
  requestHeaders: row.request_headers ?? null,
  responseHeaders: row.response_headers ?? null
})

const fields: rows.Fields<AttemptRecord> = [
  ["text", (a) => a.id],
  ["text", (a) => a.tenant],
  ["text", (a) => a.deliveryId],
  ["text", (a) => a.messageId],
  ["text", (a) => a.endpointId],
  ["integer", (a) => a.attempt],
  ["text", (a) => a.trigger],
  ["text", (a) => a.url],
  ["bigint", (a) => a.startedAt],
  ["integer", (a) => Math.round(a.durationMs)],
  ["integer", (a) => a.responseStatus],
  ["text", (a) => a.responseBody],
  ["text", (a) => a.errorKind],
  ["text", (a) => a.errorMessage],
  // The headers: JSON values in the JSON rows (see `rows.jsonRows`).
  ["json jsonb", (a) => a.requestHeaders ?? null],
  ["json jsonb", (a) => a.responseHeaders ?? null]
]

/** The attempts as one parameter (`rows.jsonRowsOf`). */
const json = (attempts: ReadonlyArray<AttemptRecord>) => rows.jsonRowsOf(attempts, fields)

/** The attempt methods of the service; `recordAndSettle` only where the queue shares the database. */
export const make = (
  s: Shared
): Storage.AttemptMethods => {
  const { t } = s

  // The CTEs `updated` (the deliveries' new states) and `a` (the attempts), shared by `recordAttempts` and
  // `recordAndSettle`, which adds the queue. The attempts are `$1`, the deliveries' new states `$2` (each one JSON
  // parameter); the queue's parameters follow them.
  const insertAttempts = [
    `a as (`,
    `  insert into ${t.attempts} (${columns}) select u.* from ${rows.jsonRows(1, fields, columns)}`,
    // An attempt is recorded when its delivery exists: the delivery updated beside it shows that, and only an
    // attempt whose delivery was not (finished meanwhile, or gone) looks the delivery up again (an OR evaluates its
    // second array, an init plan, only when the first did not match).
    `  where u.delivery_id = any(array(select id from updated))`,
    `    or u.delivery_id = any(array(select x.id from ${t.deliveries} as x where ${
      byIds("x", "array(select e->>2 from jsonb_array_elements($1::jsonb) as y(e))")
    }))`,
    `  on conflict (id) do update set attempt = excluded.attempt, trigger = excluded.trigger, url = excluded.url,`,
    `    started_at = excluded.started_at, duration_ms = excluded.duration_ms,`,
    `    response_status = excluded.response_status, response_body = excluded.response_body,`,
    `    error_kind = excluded.error_kind, error_message = excluded.error_message,`,
    `    request_headers = excluded.request_headers, response_headers = excluded.response_headers`,
    `)`
  ].join("\n")
  const updateDeliveries = [
    `update ${t.deliveries} as x set status = u.status, attempts = u.attempts, next_attempt_at = u.next_attempt_at,`,
    `  last_attempt_at = u.last_attempt_at, last_response_status = u.last_response_status,`,
    `  last_error = u.last_error, updated_at = u.updated_at`,
    `from recorded as u`,
    // A delivery cancelled or finished meanwhile (e.g. by a 410 seen by another attempt) keeps its status. "Not
    // final" rather than `= 'pending'`: a plan made on empty tables would otherwise read the deliveries through a
    // partial `where status = 'pending'` index that looked tiny then (see test/Plans.test.ts).
    `where ${byIds("x", "array(select id from recorded)")} and x.id = u.id and x.tenant = u.tenant`,
    `  and x.status not in ('delivered', 'failed', 'cancelled')`,
    `returning x.id, x.status`
  ].join("\n")
  const recording = `with recorded as (select * from ${recordingRows(2)}),\n` +
    `updated as (${updateDeliveries}),\n${insertAttempts}`

  // Core asks for three windows (hour, day, week): that statement is prepared once per connection (planning its three
  // scans cost PostgreSQL about as much CPU as running them); another count is planned at each call.
  const statsText = prepared.hot(stats.text(t, 3))
  const withEndpointText = prepared.hot(stats.withEndpointText(t, 3, endpoints.columns))
  // With a shared queue, a delivery that its attempt finished leaves the queue in the same statement: a manual
  // attempt (`deliveries.retry`) holds its delivery `pending` with a queue row due after the hold, which nothing
  // else removes (the dispatcher's own results are settled by `recordAndSettle`, or completed by the queue after).
  const recordAttemptsText = prepared.hot(
    s.sharedQueue
      ? `${recording}\ndelete from ${t.queue} as q where ${
        byIds("q", "array(select id from updated where status <> 'pending')")
      }`
      : `${recording}\nselect count(*) as updated from updated`
  )

  // The attempts, then the queue's `complete` and `reschedule` of their claimed rows, and the workers' notification
  // of the earliest row moved.
  const recordAndSettleText = prepared.hot([
    `${recording},`,
    `done as (${queue.complete(t.queue, 3)}),`,
    `moved as (${queue.reschedule(t.queue, 5)})`,
    queue.notifyEarliest("$8", "moved")
  ].join("\n"))

  const attemptParams = (results: ReadonlyArray<Storage.AttemptResult>): Array<unknown> => {
    const attempts = lastById(results.map((r) => r.attempt), (a) => a.id)
    const deliveries = lastById(results.map((r) => r.delivery), (d) => d.id)
    return [json(attempts), recordingJson(deliveries)]
  }

  const recordAndSettle = (
    results: ReadonlyArray<Storage.AttemptResult>,
    settlement: Storage.Settlement
  ): Effect.Effect<void, StorageError> => {
    const { complete } = settlement
    if (results.length === 0 && complete.length === 0 && settlement.reschedule.length === 0) return Effect.void
    // Separate calls would complete first: a reschedule of a row completed with the same claim then finds nothing.
    // In one statement both would touch that row in no defined order, so it is left out here (same outcome).
    const completing = new Set(complete.map((item) => pairKey(item.id, item.token)))
    const reschedule = lastById(
      settlement.reschedule.filter((entry) => !completing.has(pairKey(entry.item.id, entry.item.token))),
      (entry) => entry.item.id
    )
    return s.query(recordAndSettleText, [
      ...attemptParams(results),
      complete.map((item) => item.id),
      complete.map((item) => item.token),
      reschedule.map((entry) => entry.item.id),
      reschedule.map((entry) => entry.item.token),
      reschedule.map((entry) => entry.runAt),
      t.channel
    ]).pipe(
      Effect.flatMap(([row]) => wakeLocally(s, row?.woke)),
      mapStorage("PgStorage.recordAndSettle")
    )
  }

  const records = recordsOf(t.attempts, columns, decode, "started_at", "atm")

  return {
    recordAttempts: (results) => {
      if (results.length === 0) return Effect.void
      return s.query(recordAttemptsText, attemptParams(results)).pipe(
        Effect.asVoid,
        mapStorage("PgStorage.recordAttempts")
      )
    },

    // Only where the queue is in the same database: otherwise the dispatcher settles through its own Queue.
    ...(s.sharedQueue ? { recordAndSettle } : {}),

    listAttempts: (tenant, filter: AttemptFilter) =>
      listPage(s, records, "PgStorage.listAttempts", tenant, filter, (p, where) => {
        if (filter.deliveryId !== undefined) where.push(`x.delivery_id = ${p.add(filter.deliveryId)}`)
        if (filter.endpointId !== undefined) where.push(`x.endpoint_id = ${p.add(filter.endpointId)}`)
        if (filter.messageId !== undefined) where.push(`x.message_id = ${p.add(filter.messageId)}`)
      }),

    endpointStats: (tenant, endpointId, since) =>
      s.query(since.length === 3 ? statsText : stats.text(t, since.length), stats.params(tenant, endpointId, since))
        .pipe(
          Effect.map((found) => stats.parse(found, since)),
          mapStorage("PgStorage.endpointStats")
        ),

    endpointWithStats: (tenant, endpointId, since) =>
      s.query(
        since.length === 3 ? withEndpointText : stats.withEndpointText(t, since.length, endpoints.columns),
        stats.params(tenant, endpointId, since)
      ).pipe(
        Effect.map((found) =>
          found.length === 0 ? undefined : { endpoint: endpoints.decode(found[0]), stats: stats.parse(found, since) }
        ),
        mapStorage("PgStorage.endpointWithStats")
      )
  }
}
