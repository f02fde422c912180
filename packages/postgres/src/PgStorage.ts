/**
 * The Storage port on PostgreSQL, through `@effect/sql`'s `SqlClient`. It uses the client from the context of each
 * call, so a `publish` made inside the host's own `sql.withTransaction(...)` joins that transaction: the host's
 * business write and the webhook commit or roll back together. Every operation is one statement (one round trip):
 * a fan-out to 10,000 endpoints inserts the message and its deliveries with one `unnest`-based statement (and a batch
 * of messages, `insertMessages`, with one statement too), a batch of attempt results is written with one statement,
 * and dispatch context is loaded with one join. The exceptions: an insert that finds an idempotency key taken reads
 * the message that holds it with a second statement, and `insertEndpointWithin` serialises a tenant's inserts with a
 * transaction-scoped advisory lock so that concurrent creations never exceed the limit.
 *
 * The tables come from `PgMigrator`. Times are stored as `bigint` epoch milliseconds (UTC).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { StorageError } from "@hookwire/core/Errors"
import * as Id from "@hookwire/core/Id"
import type {
  AttemptFilter,
  DeliveryFilter,
  DeliveryRecord,
  DispatchContext,
  EndpointRecord,
  MessageFilter,
  MessageRecord,
  Page,
  PageRequest
} from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as dispatch from "./internal/dispatch.js"
import { mapStorage } from "./internal/errors.js"
import type * as listener from "./internal/listener.js"
import * as prepared from "./internal/prepared.js"
import { byIds, lastById, Params } from "./internal/query.js"
import * as queue from "./internal/queue.js"
import * as retention from "./internal/retention.js"
import * as rows from "./internal/rows.js"
import * as stats from "./internal/stats.js"
import * as tables from "./internal/tables.js"
import type * as PgMigrator from "./PgMigrator.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PgMigrator.Options {}

/** @internal */
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

const CONFLICT = "a record with this id already exists; ids must be unique (create them with Id.make)"

/**
 * Builds the Storage service. Requires a `SqlClient`; the tables must exist (see `PgMigrator`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Context.Tag.Service<typeof Storage.Storage>, never, SqlClient.SqlClient> =>
  Effect.suspend(() => makeWith(tables.make(options), { sharedQueue: false }))

/** @internal */
export const makeWith = (
  t: tables.Tables,
  internal: InternalOptions
): Effect.Effect<Context.Tag.Service<typeof Storage.Storage>, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    // Without transforms: the host's client may camelCase result names or transform JSON; these statements rely on
    // the columns exactly as written.
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const query = (text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<rows.Row>, SqlError> =>
      sql.unsafe<rows.Row>(text, params)

    const E = t.endpoints
    const M = t.messages
    const D = t.deliveries
    const A = t.attempts
    const Q = t.queue

    const page = <A extends { readonly id: string }>(items: ReadonlyArray<A>, limit: number): Page<A> =>
      items.length > limit
        ? { items: items.slice(0, limit), nextCursor: items[limit - 1].id }
        : { items, nextCursor: null }

    /**
     * `where` conditions shared by the list queries: tenant, cursor, and a time window on `column`. Ids never sort
     * before their record's time (core makes them from it, monotonically), so `since` also bounds the id: the
     * `(tenant, id)` indexes then serve time windows too.
     */
    const listWhere = (
      params: Params,
      tenant: string,
      request: PageRequest & { readonly since?: number | undefined; readonly until?: number | undefined },
      timeColumn: string,
      prefix: Id.Prefix
    ): Array<string> => {
      const where = [`x.tenant = ${params.add(tenant)}`]
      if (request.cursor !== undefined) {
        where.push(`x.id ${request.order === "desc" ? "<" : ">"} ${params.add(request.cursor)}`)
      }
      if (request.since !== undefined && Number.isSafeInteger(request.since) && request.since >= 0) {
        where.push(`x.id >= ${params.add(Id.lowerBound(prefix, request.since))}`)
      }
      if (request.since !== undefined) where.push(`x.${timeColumn} >= ${params.add(request.since, "::bigint")}`)
      if (request.until !== undefined) where.push(`x.${timeColumn} < ${params.add(request.until, "::bigint")}`)
      return where
    }

    const limitOf = (request: PageRequest) => Math.max(0, Math.floor(request.limit))

    /**
     * One page of a tenant's records of `table`, ordered by id: the shared shape of every list query. `extra` adds
     * the list's own filters to the shared `where` (tenant, cursor, time window).
     */
    const listPage = <A extends { readonly id: string }>(
      label: string,
      table: string,
      columns: string,
      decode: (row: rows.Row) => A,
      tenant: string,
      request: PageRequest & { readonly since?: number | undefined; readonly until?: number | undefined },
      timeColumn: string,
      prefix: Id.Prefix,
      extra: (params: Params, where: Array<string>) => void = () => {}
    ) => {
      const params = new Params()
      const where = listWhere(params, tenant, request, timeColumn, prefix)
      extra(params, where)
      const limit = limitOf(request)
      return query(
        `select ${columns} from ${table} as x where ${where.join(" and ")} order by x.id${
          request.order === "desc" ? " desc" : ""
        } limit ${params.add(limit + 1, "::bigint")}`,
        params.values
      ).pipe(
        Effect.map((found) => page(found.map((row) => decode(row)), limit)),
        mapStorage(label)
      )
    }

    const insertEndpointText = `insert into ${E} (${rows.endpointColumns}) values (${rows.endpointPlaceholders()})`
    const insertDeliveryText = `insert into ${D} (${rows.deliveryColumns}) values (${
      rows.deliveryColumns.split(",").map((_, i) => `$${i + 1}`).join(", ")
    })`

    const insertEndpoint = (endpoint: EndpointRecord) =>
      query(insertEndpointText, rows.endpointParams(endpoint)).pipe(
        Effect.asVoid,
        mapStorage("PgStorage.insertEndpoint", `endpoint ${endpoint.id}: ${CONFLICT}`)
      )

    const insertWithinText = `insert into ${E} (${rows.endpointColumns}) select ${rows.endpointPlaceholders()} ` +
      `where (select count(*) from ${E} where tenant = $2) < $21::numeric returning id`

    const insertEndpointWithin = (endpoint: EndpointRecord, limit: number) => {
      if (limit === Infinity) return Effect.as(insertEndpoint(endpoint), true)
      return sql.withTransaction(
        Effect.zipRight(
          // Serialises this tenant's limited inserts until commit, so the count below cannot go stale.
          query(`select pg_advisory_xact_lock(hashtextextended($1, 0))`, [
            `hookwire:endpoints:${t.lockNamespace}:${endpoint.tenant}`
          ]),
          query(insertWithinText, [...rows.endpointParams(endpoint), Number.isNaN(limit) ? 0 : limit])
        )
      ).pipe(
        Effect.map((inserted) => inserted.length > 0),
        mapStorage("PgStorage.insertEndpointWithin", `endpoint ${endpoint.id}: ${CONFLICT}`)
      )
    }

    const updateEndpointText = `update ${E} set url = $3, name = $4, description = $5, event_types = $6::text[], ` +
      `channels = $7::text[], headers = $8::jsonb, metadata = $9::jsonb, disabled = $10::boolean, ` +
      `disabled_reason = $11, disabled_at = $12::bigint, timeout_ms = $13::integer, retry_policy = $14::jsonb, ` +
      `scheme = $15, secrets = $16::jsonb, options = $17::jsonb, health = $18::jsonb, created_at = $19::bigint, ` +
      `updated_at = $20::bigint ` +
      `where id = $1 and tenant = $2 returning id`

    const deleteEndpointText = [
      `with gone as (delete from ${E} where id = $1 and tenant = $2 returning id),`,
      `cancelled as (update ${D} as x set status = 'cancelled', next_attempt_at = null, updated_at = $3::bigint`,
      ` where x.endpoint_id in (select id from gone) and x.tenant = $2 and x.status = 'pending' returning x.id)`,
      internal.sharedQueue ? `, dequeued as (delete from ${Q} where id in (select id from cancelled))` : "",
      `select count(*)::int as n from gone`
    ].join("\n")

    // With a shared queue, a delivery written as `pending` with a time is queued (see `queue.upsert`).
    const queueDue = (source: string) =>
      queue.upsert(
        Q,
        `select id, next_attempt_at from ${source} where status = 'pending' and next_attempt_at is not null`
      )

    // This process's own waiters need not wait for the NOTIFY to come back: wake them at once. Outside a transaction
    // only: inside one, the rows stay invisible until commit (the NOTIFY, delivered at commit, wakes everyone then).
    const wakeLocally = (woke: unknown): Effect.Effect<void> => {
      const wakeUps = internal.wakeUps
      if (wakeUps === undefined || woke === null || woke === undefined) return Effect.void
      return Effect.flatMap(
        Effect.serviceOption(SqlClient.TransactionConnection),
        (transaction) => Option.isNone(transaction) ? Effect.sync(() => wakeUps.wake(rows.num(woke))) : Effect.void
      )
    }

    // One statement for a batch of messages, their deliveries, and — with a shared queue — their queue rows and the
    // workers' notification (`insertMessage` is a batch of one). Messages are sent column-wise like deliveries, each
    // with its position `n` in the batch. A message whose idempotency key was taken is skipped by `on conflict`;
    // `created` holds the others, and only their deliveries are written (each delivery carries its message's `n`).
    // Deliveries are sent as one array per column; in the common case, a publish, where they differ only in id and
    // endpoint, only those two arrays and the positions are sent, and the rest as single values.
    const insertHead = [
      `with input as (`,
      `  select * from ${rows.messageUnnest(1)}`,
      `), m as (`,
      `  insert into ${M} (${rows.messageColumns})`,
      `  select id, tenant, type, body, array(select json_array_elements_text(channels::json)), idempotency_key,`,
      `    created_at`,
      `  from input`,
      `  on conflict (tenant, idempotency_key) where idempotency_key is not null do nothing returning id`,
      `), created as (select i.n, i.id, i.tenant from input as i join m on m.id = i.id)`
    ].join("\n")

    const insertText = (deliveries: string, channel: number) =>
      [
        insertHead,
        `, d as (`,
        `  insert into ${D} (${rows.deliveryColumns})`,
        deliveries,
        internal.sharedQueue ? `  returning id, status, next_attempt_at` : "",
        `)`,
        internal.sharedQueue
          ? `, q as (${queueDue("d")} returning q.run_at)\n` +
            queue.notifyEarliest(`$${channel}`, "q", "array(select id from m) as created")
          : `select array(select id from m) as created`
      ].join("\n")

    const insertUniformText = insertText(
      [
        `  select u.id, c.tenant, c.id, u.endpoint_id, $8, $9::integer, $10::bigint, $11::bigint, $12::integer, $13,`,
        `    $14::bigint, $15::bigint`,
        `  from unnest($16::text[], $17::text[], $18::integer[]) as u(id, endpoint_id, n)`,
        `  join created as c on c.n = u.n`
      ].join("\n"),
      19
    )

    const insertGeneralText = insertText(
      `  select ${rows.qualified("u", rows.deliveryColumns)} from ${rows.deliveryUnnest(8, true)}\n` +
        `  where u.n in (select n from created)`,
      21
    )

    const insertParams = (batch: ReadonlyArray<Storage.NewMessage>): readonly [string, Array<unknown>] => {
      const messages = rows.messageArrays(batch.map((entry) => entry.message))
      const indexes = rows.messageIndexes(batch)
      const first = rows.uniformBatch(batch)
      const [text, params]: [string, Array<unknown>] = first === undefined
        ? [insertGeneralText, [...messages, ...rows.deliveryArrays(batch.flatMap((e) => e.deliveries)), indexes]]
        : [insertUniformText, [
          ...messages,
          first.status,
          first.attempts,
          first.nextAttemptAt,
          first.lastAttemptAt,
          first.lastResponseStatus,
          first.lastError,
          first.createdAt,
          first.updatedAt,
          batch.flatMap((e) => e.deliveries.map((d) => d.id)),
          batch.flatMap((e) => e.deliveries.map((d) => d.endpointId)),
          indexes
        ]]
      if (internal.sharedQueue) params.push(t.channel)
      return [text, params]
    }

    // The messages holding the idempotency keys that a batch found taken.
    const existingText = `select ${rows.messageColumns} from ${M} where idempotency_key is not null ` +
      `and (tenant, idempotency_key) in (select * from unnest($1::text[], $2::text[]))`

    /** A map key for a pair of texts: (tenant, idempotency key), (id, token). */
    const pairKey = (a: string, b: string | null) => JSON.stringify([a, b])

    const insertBatch = (
      batch: ReadonlyArray<Storage.NewMessage>,
      label: string,
      conflict: string
    ): Effect.Effect<ReadonlyArray<Storage.InsertMessageResult>, StorageError> => {
      const results = new Array<Storage.InsertMessageResult>(batch.length)
      // Inserts the messages at `left` (positions in `batch`), then reads the messages holding the keys found taken:
      // ON CONFLICT waited for their inserts to commit, so a new statement sees them, unless one was deleted
      // meanwhile. Returns the positions still without a result: their keys are free again, to try once more. (That
      // rare second round is a statement of its own: outside a transaction, the first round stays written even if
      // it fails, as with `insertMessage` one message after the other.)
      const round = (left: ReadonlyArray<number>): Effect.Effect<ReadonlyArray<number>, SqlError> =>
        Effect.gen(function*() {
          const [text, params] = insertParams(left.map((i) => batch[i]))
          const [row] = yield* query(text, params)
          yield* wakeLocally(row?.woke)
          const created = new Set<string>(row?.created ?? [])
          const taken: Array<number> = []
          for (const i of left) {
            const { deliveries, message } = batch[i]
            if (!created.has(message.id)) {
              taken.push(i)
              continue
            }
            results[i] = internal.sharedQueue
              ? { message, created: true, deliveries, queued: true }
              : { message, created: true, deliveries }
          }
          if (taken.length === 0) return []
          const found = yield* query(existingText, [
            taken.map((i) => batch[i].message.tenant),
            taken.map((i) => batch[i].message.idempotencyKey)
          ])
          const byKey = new Map(found.map((row) => [pairKey(row.tenant, row.idempotency_key), rows.message(row)]))
          return taken.filter((i) => {
            const existing = byKey.get(pairKey(batch[i].message.tenant, batch[i].message.idempotencyKey))
            if (existing !== undefined) results[i] = { message: existing, created: false, deliveries: [] }
            return existing === undefined
          })
        })
      return Effect.gen(function*() {
        let left: ReadonlyArray<number> = batch.map((_, i) => i)
        for (let tries = 0; tries < 3 && left.length > 0; tries++) {
          left = yield* mapStorage(label, conflict)(round(left))
        }
        if (left.length === 0) return results
        const which = left.length === 1
          ? `the idempotency key of message ${batch[left[0]].message.id} was`
          : `the idempotency keys of messages ${left.map((i) => batch[i].message.id).join(", ")} were`
        return yield* new StorageError({
          reason: "Conflict",
          message: `${label}: ${which} taken by messages that were deleted again, three times in a row; try the ` +
            `publish again`
        })
      })
    }

    const insertMessage = (
      message: MessageRecord,
      deliveries: ReadonlyArray<DeliveryRecord>
    ): Effect.Effect<Storage.InsertMessageResult, StorageError> =>
      Effect.map(
        insertBatch(
          [{ message, deliveries }],
          "PgStorage.insertMessage",
          `message ${message.id} or one of its deliveries: ${CONFLICT}`
        ),
        ([result]) => result
      )

    const insertMessages = (
      batch: ReadonlyArray<Storage.NewMessage>
    ): Effect.Effect<ReadonlyArray<Storage.InsertMessageResult>, StorageError> =>
      batch.length === 0
        ? Effect.succeed([])
        : insertBatch(batch, "PgStorage.insertMessages", `a message or delivery of the batch: ${CONFLICT}`)

    const dispatchText = `with ${dispatch.deliveriesCte(t, "= any($1::text[])")}\nselect\n${dispatch.columns(t)}`

    const enabledText =
      `select coalesce(json_agg(${rows.jsonArray("x", rows.endpointColumns)} order by x.id), '[]')::text ` +
      `as endpoints from ${E} as x where x.tenant = $1 and not x.disabled`

    // The CTE `a` and the main statement of `recordAttempts`, kept apart for `recordAndSettle` to add the queue.
    // The attempts' arrays come first in both statements; the deliveries' and the queue's parameters follow them.
    const AF = rows.attemptFieldCount
    const insertAttempts = [
      `a as (`,
      `  insert into ${A} (${rows.attemptColumns}) select u.* from ${rows.attemptUnnest(1)}`,
      `  where u.delivery_id = any(array(select x.id from ${D} as x where ${byIds("x", 3)}))`,
      `  on conflict (id) do update set attempt = excluded.attempt, trigger = excluded.trigger, url = excluded.url,`,
      `    started_at = excluded.started_at, duration_ms = excluded.duration_ms,`,
      `    response_status = excluded.response_status, response_body = excluded.response_body,`,
      `    error_kind = excluded.error_kind, error_message = excluded.error_message,`,
      `    request_headers = excluded.request_headers, response_headers = excluded.response_headers`,
      `)`
    ].join("\n")
    const updateDeliveries = [
      `update ${D} as x set status = u.status, attempts = u.attempts, next_attempt_at = u.next_attempt_at,`,
      `  last_attempt_at = u.last_attempt_at, last_response_status = u.last_response_status,`,
      `  last_error = u.last_error, updated_at = u.updated_at`,
      `from ${rows.deliveryUnnest(AF + 1)}`,
      // A delivery cancelled or finished meanwhile (e.g. by a 410 seen by another attempt) keeps its status. "Not
      // final" rather than `= 'pending'`: a plan made on empty tables would otherwise read the deliveries through a
      // partial `where status = 'pending'` index that looked tiny then (see test/Plans.test.ts).
      `where ${byIds("x", AF + 1)} and x.id = u.id and x.tenant = u.tenant`,
      `  and x.status not in ('delivered', 'failed', 'cancelled')`
    ].join("\n")

    const recordAttemptsText = `with ${insertAttempts}\n${updateDeliveries}`

    // The attempts, then the queue's `complete` and `reschedule` of their claimed rows, and the workers' notification
    // of the earliest row moved.
    const recordAndSettleText = [
      `with ${insertAttempts},`,
      `updated as (${updateDeliveries}),`,
      `done as (${queue.complete(Q, AF + 13)}),`,
      `moved as (${queue.reschedule(Q, AF + 15)})`,
      queue.notifyEarliest(`$${AF + 18}`, "moved")
    ].join("\n")

    const attemptParams = (results: ReadonlyArray<Storage.AttemptResult>): Array<unknown> => {
      const attempts = lastById(results.map((r) => r.attempt), (a) => a.id)
      const deliveries = lastById(results.map((r) => r.delivery), (d) => d.id)
      return [...rows.attemptArrays(attempts), ...rows.deliveryArrays(deliveries)]
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
      return query(recordAndSettleText, [
        ...attemptParams(results),
        complete.map((item) => item.id),
        complete.map((item) => item.token),
        reschedule.map((entry) => entry.item.id),
        reschedule.map((entry) => entry.item.token),
        reschedule.map((entry) => entry.runAt),
        t.channel
      ]).pipe(
        Effect.flatMap(([row]) => wakeLocally(row?.woke)),
        mapStorage("PgStorage.recordAndSettle")
      )
    }

    // With a shared queue, a move to `pending` with a time queues the delivery, and any other move drops it.
    const queueFollow = (moved: string) =>
      internal.sharedQueue
        ? `, queued as (${queueDue(moved)}), ` +
          `dequeued as (delete from ${Q} where id in (select id from ${moved} where status <> 'pending'))`
        : ""

    const transitionText = [
      `with moved as (`,
      `  update ${D} as x set status = $4, next_attempt_at = $5::bigint, updated_at = $6::bigint`,
      `  where x.id = $1 and x.tenant = $2 and x.status = any($3::text[])`,
      `  returning ${rows.qualified("x", rows.deliveryColumns)}`,
      `)${queueFollow("moved")}`,
      `select * from moved`
    ].join("\n")

    const transitionEndpointText = [
      `with moved as (`,
      `  update ${D} as x set status = $4, next_attempt_at = $5::bigint, updated_at = $6::bigint`,
      `  where x.tenant = $1 and x.endpoint_id = $2 and x.status = any($3::text[]) and x.created_at >= $7::bigint`,
      `    and ($8::bigint is null or x.created_at < $8::bigint)`,
      `  returning x.id, x.status, x.next_attempt_at`,
      `)${queueFollow("moved")}`,
      `select id from moved`
    ].join("\n")

    // The statements of every publish and every dispatcher batch: prepared once per connection (internal/prepared).
    for (
      const text of [
        insertUniformText,
        insertGeneralText,
        dispatchText,
        enabledText,
        recordAttemptsText,
        recordAndSettleText,
        transitionText
      ]
    ) prepared.hot(text)

    const service: Context.Tag.Service<typeof Storage.Storage> = {
      ...retention.make(t, sql, query, internal.sharedQueue),
      insertEndpoint,
      insertEndpointWithin,

      getEndpoint: (tenant, id) =>
        query(`select ${rows.endpointColumns} from ${E} where id = $1 and tenant = $2`, [id, tenant]).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : rows.endpoint(row))),
          mapStorage("PgStorage.getEndpoint")
        ),

      listEndpoints: (tenant, request) =>
        listPage(
          "PgStorage.listEndpoints",
          E,
          rows.endpointColumns,
          rows.endpoint,
          tenant,
          request,
          "created_at",
          "ep"
        ),

      enabledEndpoints: (tenant) =>
        query(enabledText, [tenant]).pipe(
          Effect.map(([row]) =>
            (JSON.parse(row?.endpoints ?? "[]") as Array<Array<unknown>>).map(rows.endpointFromJson)
          ),
          mapStorage("PgStorage.enabledEndpoints")
        ),

      scanEndpoints: (afterId, limit) => {
        if (!(limit > 0)) return Effect.succeed([])
        const params = new Params()
        const from = afterId === undefined ? "" : `where id > ${params.add(afterId)} `
        return query(
          `select ${rows.endpointColumns} from ${E} ${from}order by id limit ${
            params.add(Math.floor(limit), "::bigint")
          }`,
          params.values
        ).pipe(
          Effect.map((found) => found.map((row) => rows.endpoint(row))),
          mapStorage("PgStorage.scanEndpoints")
        )
      },

      patchEndpoint: (tenant, id, patch, expected, expectedSecrets) => {
        const params = new Params([id, tenant])
        const set = rows.endpointPatch(patch, (value, cast) => params.add(value, cast))
        // jsonb equality compares values, not text: key order and number formatting do not matter.
        let guard = expected === undefined ? "" : ` and health = ${params.add(JSON.stringify(expected), "::jsonb")}`
        if (expectedSecrets !== undefined) {
          guard += ` and secrets = ${params.add(JSON.stringify(expectedSecrets), "::jsonb")}`
        }
        return query(
          `update ${E} set ${set.join(", ")} where id = $1 and tenant = $2${guard} returning ${rows.endpointColumns}`,
          params.values
        ).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : rows.endpoint(row))),
          mapStorage("PgStorage.patchEndpoint")
        )
      },

      countEndpoints: (tenant) =>
        query(`select count(*)::int as n from ${E} where tenant = $1`, [tenant]).pipe(
          Effect.map(([row]) => rows.num(row?.n ?? 0)),
          mapStorage("PgStorage.countEndpoints")
        ),

      updateEndpoint: (endpoint) =>
        query(updateEndpointText, rows.endpointParams(endpoint)).pipe(
          Effect.map((updated) => updated.length > 0),
          mapStorage("PgStorage.updateEndpoint")
        ),

      deleteEndpoint: (tenant, id, now) =>
        query(deleteEndpointText, [id, tenant, now]).pipe(
          Effect.map(([row]) => rows.num(row?.n ?? 0) > 0),
          mapStorage("PgStorage.deleteEndpoint")
        ),

      insertMessage,
      insertMessages,

      getMessage: (tenant, id) =>
        query(`select ${rows.messageColumns} from ${M} where id = $1 and tenant = $2`, [id, tenant]).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : rows.message(row))),
          mapStorage("PgStorage.getMessage")
        ),

      listMessages: (tenant, filter: MessageFilter) =>
        listPage(
          "PgStorage.listMessages",
          M,
          rows.messageColumns,
          rows.message,
          tenant,
          filter,
          "created_at",
          "msg",
          (params, where) => {
            if (filter.type !== undefined) where.push(`x.type = ${params.add(filter.type)}`)
          }
        ),

      getDelivery: (tenant, id) =>
        query(`select ${rows.deliveryColumns} from ${D} where id = $1 and tenant = $2`, [id, tenant]).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : rows.delivery(row))),
          mapStorage("PgStorage.getDelivery")
        ),

      listDeliveries: (tenant, filter: DeliveryFilter) =>
        listPage(
          "PgStorage.listDeliveries",
          D,
          rows.deliveryColumns,
          rows.delivery,
          tenant,
          filter,
          "created_at",
          "dlv",
          (params, where) => {
            if (filter.endpointId !== undefined) where.push(`x.endpoint_id = ${params.add(filter.endpointId)}`)
            if (filter.messageId !== undefined) where.push(`x.message_id = ${params.add(filter.messageId)}`)
            if (filter.status !== undefined) where.push(`x.status = ${params.add(filter.status)}`)
          }
        ),

      loadForDispatch: (ids) => {
        if (ids.length === 0) return Effect.succeed([])
        return query(dispatchText, [ids]).pipe(
          Effect.map(([row]) => {
            const byId = dispatch.parse(row)
            // In the order asked for, like a lookup one by one would give.
            const out: Array<DispatchContext> = []
            for (const id of ids) {
              const ctx = byId.get(id)
              if (ctx !== undefined) {
                out.push(ctx)
                byId.delete(id)
              }
            }
            return out
          }),
          mapStorage("PgStorage.loadForDispatch")
        )
      },

      recordAttempts: (results) => {
        if (results.length === 0) return Effect.void
        return query(recordAttemptsText, attemptParams(results)).pipe(
          Effect.asVoid,
          mapStorage("PgStorage.recordAttempts")
        )
      },

      // Only where the queue is in the same database: otherwise the dispatcher settles through its own Queue.
      ...(internal.sharedQueue ? { recordAndSettle } : {}),

      transitionDelivery: (tenant, id, from, to) =>
        query(transitionText, [id, tenant, from, to.status, to.nextAttemptAt, to.now]).pipe(
          Effect.map(([row]) => (row === undefined ? undefined : rows.delivery(row))),
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
        const params = new Params([before, Math.floor(limit)])
        const from = after === undefined
          ? ""
          : ` and (next_attempt_at, id) > (${params.add(after.nextAttemptAt, "::bigint")}, ${params.add(after.id)})`
        return query(
          `select id, next_attempt_at from ${D} where status = 'pending' and next_attempt_at < $1::bigint${from} ` +
            `order by next_attempt_at, id limit $2::bigint`,
          params.values
        ).pipe(
          Effect.map((found) =>
            found.map((row) => ({ id: row.id as string, nextAttemptAt: rows.num(row.next_attempt_at) }))
          ),
          mapStorage("PgStorage.duePendingDeliveries")
        )
      },

      insertDelivery: (delivery) =>
        query(insertDeliveryText, rows.deliveryParams(delivery) as Array<unknown>).pipe(
          Effect.asVoid,
          mapStorage("PgStorage.insertDelivery", `delivery ${delivery.id}: ${CONFLICT}`)
        ),

      endpointStats: (tenant, endpointId, since) =>
        query(stats.text(t, since.length), stats.params(tenant, endpointId, since)).pipe(
          Effect.map((found) => stats.parse(found, since)),
          mapStorage("PgStorage.endpointStats")
        ),

      listAttempts: (tenant, filter: AttemptFilter) =>
        listPage(
          "PgStorage.listAttempts",
          A,
          rows.attemptColumns,
          rows.attempt,
          tenant,
          filter,
          "started_at",
          "atm",
          (params, where) => {
            if (filter.deliveryId !== undefined) where.push(`x.delivery_id = ${params.add(filter.deliveryId)}`)
            if (filter.endpointId !== undefined) where.push(`x.endpoint_id = ${params.add(filter.endpointId)}`)
            if (filter.messageId !== undefined) where.push(`x.message_id = ${params.add(filter.messageId)}`)
          }
        )
    }
    return service
  })

/**
 * The Storage service as a layer. Requires a `SqlClient` and migrated tables; use `PgAdapter.layer` for Storage and
 * Queue together with migrations.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Storage.Storage, never, SqlClient.SqlClient> =>
  Layer.effect(Storage.Storage, make(options))

/**
 * The options read from `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Storage.Storage, ConfigError.ConfigError, SqlClient.SqlClient> =>
  Layer.effect(Storage.Storage, Effect.flatMap(Config.unwrap(config), make))
