/**
 * The Storage port on PostgreSQL, through `@effect/sql`'s `SqlClient`. It uses the client from the context of each
 * call, so a `publish` made inside the host's own `sql.withTransaction(...)` joins that transaction: the host's
 * business write and the webhook commit or roll back together. Every operation is one statement (one round trip):
 * a fan-out to 10,000 endpoints inserts the message and its deliveries with one `unnest`-based statement, a batch of
 * attempt results is written with one statement, and dispatch context is loaded with one join. The only exception is
 * `insertEndpointWithin`, which serialises a tenant's inserts with a transaction-scoped advisory lock so that
 * concurrent creations never exceed the limit.
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
import { mapStorage } from "./internal/errors.js"
import { lastById, Params } from "./internal/query.js"
import * as rows from "./internal/rows.js"
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
   * write and the matching queue call can lose or strand work.
   */
  readonly sharedQueue: boolean
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
      if (request.cursor !== undefined) where.push(`x.id > ${params.add(request.cursor)}`)
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
        `select ${columns} from ${table} as x where ${where.join(" and ")} order by x.id limit ${
          params.add(limit + 1, "::bigint")
        }`,
        params.values
      ).pipe(
        Effect.map((found) => page(found.map((row) => decode(row)), limit)),
        mapStorage(label)
      )
    }

    const insertEndpointText = `insert into ${E} (${rows.endpointColumns}) values (${rows.endpointPlaceholders()})`

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

    // One statement: the message (unless its idempotency key was used), its deliveries, and — with a shared queue —
    // their queue rows. `exists (select 1 from m)` is false when the key was taken, and then nothing else is written.
    // Deliveries are sent column-wise (`unnest` of one array per column); in the common case of a publish, where
    // they differ only in id and endpoint, only those two arrays are sent and the rest are single values.
    const insertMessageHead = [
      `with m as (`,
      `  insert into ${M} (${rows.messageColumns}) values ($1, $2, $3, $4, $5::text[], $6, $7::bigint)`,
      `  on conflict (tenant, idempotency_key) where idempotency_key is not null do nothing returning id`,
      `)`
    ].join("\n")
    const insertMessageTail = `select exists (select 1 from m) as created`

    const insertMessageGeneralText = [
      insertMessageHead,
      `, d as (`,
      `  insert into ${D} (${rows.deliveryColumns}) select u.* from ${rows.deliveryUnnest(8)}`,
      `  where exists (select 1 from m)`,
      `)`,
      internal.sharedQueue
        ? `, q as (insert into ${Q} (id, run_at) select u.id, u.next_attempt_at ` +
          `from unnest($8::text[], $12::text[], $14::bigint[]) as u(id, status, next_attempt_at) ` +
          `where u.status = 'pending' and u.next_attempt_at is not null and exists (select 1 from m) ` +
          `on conflict (id) do nothing)`
        : "",
      insertMessageTail
    ].join("\n")

    const insertMessageUniformText = [
      insertMessageHead,
      `, d as (`,
      `  insert into ${D} (${rows.deliveryColumns})`,
      `  select u.id, $8, $9, u.endpoint_id, $10, $11::integer, $12::bigint, $13::bigint, $14::integer, $15,`,
      `    $16::bigint, $17::bigint`,
      `  from unnest($18::text[], $19::text[]) as u(id, endpoint_id)`,
      `  where exists (select 1 from m)`,
      `)`,
      internal.sharedQueue
        ? `, q as (insert into ${Q} (id, run_at) select u.id, $12::bigint from unnest($18::text[]) as u(id) ` +
          `where $10 = 'pending' and $12::bigint is not null and exists (select 1 from m) on conflict (id) do nothing)`
        : "",
      insertMessageTail
    ].join("\n")

    const existingMessageText = `select ${rows.messageColumns} from ${M} where tenant = $1 and idempotency_key = $2`

    const insertMessage = (
      message: MessageRecord,
      deliveries: ReadonlyArray<DeliveryRecord>
    ): Effect.Effect<Storage.InsertMessageResult, StorageError> => {
      const head = [
        message.id,
        message.tenant,
        message.type,
        message.body,
        message.channels,
        message.idempotencyKey,
        message.createdAt
      ]
      const first = deliveries[0]
      const [text, params] = first !== undefined && rows.uniformDeliveries(deliveries)
        ? [insertMessageUniformText, [
          ...head,
          first.tenant,
          first.messageId,
          first.status,
          first.attempts,
          first.nextAttemptAt,
          first.lastAttemptAt,
          first.lastResponseStatus,
          first.lastError,
          first.createdAt,
          first.updatedAt,
          deliveries.map((d) => d.id),
          deliveries.map((d) => d.endpointId)
        ]]
        : [insertMessageGeneralText, [...head, ...rows.deliveryArrays(deliveries)]]
      const attempt: Effect.Effect<Storage.InsertMessageResult | undefined, SqlError> = Effect.gen(function*() {
        const [row] = yield* query(text, params)
        if (row?.created === true) return { message, created: true, deliveries }
        // The key was taken. ON CONFLICT waited for the other insert to commit, so a new statement sees its message
        // (unless it was deleted meanwhile: then try again).
        const [existing] = yield* query(existingMessageText, [message.tenant, message.idempotencyKey])
        return existing === undefined
          ? undefined
          : { message: rows.message(existing), created: false, deliveries: [] }
      })
      const mapped = attempt.pipe(
        mapStorage("PgStorage.insertMessage", `message ${message.id} or one of its deliveries: ${CONFLICT}`)
      )
      return Effect.gen(function*() {
        for (let tries = 0; tries < 3; tries++) {
          const result = yield* mapped
          if (result !== undefined) return result
        }
        return yield* new StorageError({
          reason: "Conflict",
          message: `PgStorage.insertMessage: the idempotency key of message ${message.id} was taken by messages that ` +
            `were deleted again, three times in a row; try the publish again`
        })
      })
    }

    // One statement, three JSON arrays: the deliveries, and each message and endpoint they need once (a fan-out
    // batch carries one body, not one per delivery).
    const dispatchText = [
      `with d as (select ${rows.deliveryColumns} from ${D} where id = any($1::text[]))`,
      `select`,
      `  coalesce((select json_agg(${rows.jsonArray("d", rows.deliveryColumns)}) from d), '[]')::text as deliveries,`,
      `  coalesce((select json_agg(${rows.jsonArray("m", rows.messageColumns)}) from ${M} as m`,
      `    where m.id in (select message_id from d)), '[]')::text as messages,`,
      `  coalesce((select json_agg(${rows.jsonArray("e", rows.endpointColumns)}) from ${E} as e`,
      `    where e.id in (select endpoint_id from d)), '[]')::text as endpoints`
    ].join("\n")

    const enabledText =
      `select coalesce(json_agg(${rows.jsonArray("x", rows.endpointColumns)} order by x.id), '[]')::text ` +
      `as endpoints from ${E} as x where x.tenant = $1 and not x.disabled`

    const recordAttemptsText = [
      `with a as (`,
      `  insert into ${A} (${rows.attemptColumns}) select u.* from ${rows.attemptUnnest(1)}`,
      `  where exists (select 1 from ${D} as x where x.id = u.delivery_id)`,
      `  on conflict (id) do update set attempt = excluded.attempt, trigger = excluded.trigger, url = excluded.url,`,
      `    started_at = excluded.started_at, duration_ms = excluded.duration_ms,`,
      `    response_status = excluded.response_status, response_body = excluded.response_body,`,
      `    error_kind = excluded.error_kind, error_message = excluded.error_message`,
      `)`,
      `update ${D} as x set status = u.status, attempts = u.attempts, next_attempt_at = u.next_attempt_at,`,
      `  last_attempt_at = u.last_attempt_at, last_response_status = u.last_response_status,`,
      `  last_error = u.last_error, updated_at = u.updated_at`,
      `from ${rows.deliveryUnnest(15)}`,
      // A delivery cancelled or finished meanwhile (e.g. by a 410 seen by another attempt) keeps its status.
      `where x.id = u.id and x.tenant = u.tenant and x.status = 'pending'`
    ].join("\n")

    // With a shared queue, a move to `pending` with a time queues the delivery, and any other move drops it.
    const queueFollow = (moved: string) =>
      internal.sharedQueue
        ? `, queued as (insert into ${Q} as q (id, run_at) select id, next_attempt_at from ${moved} ` +
          `where status = 'pending' and next_attempt_at is not null ` +
          `on conflict (id) do update set run_at = excluded.run_at, lease_until = null, lease_token = null ` +
          `where q.run_at is distinct from excluded.run_at), ` +
          `dequeued as (delete from ${Q} where id in (select id from ${moved} where status <> 'pending'))`
        : ""

    const transitionText = [
      `with moved as (`,
      `  update ${D} as x set status = $4, next_attempt_at = $5::bigint, updated_at = $6::bigint`,
      `  where x.id = $1 and x.tenant = $2 and x.status = any($3::text[])`,
      `  returning ${rows.deliveryColumns.split(",").map((c) => `x.${c.trim()}`).join(", ")}`,
      `)${queueFollow("moved")}`,
      `select * from moved`
    ].join("\n")

    const transitionEndpointText = [
      `with moved as (`,
      `  update ${D} as x set status = $4, next_attempt_at = $5::bigint, updated_at = $6::bigint`,
      `  where x.tenant = $1 and x.endpoint_id = $2 and x.status = any($3::text[]) and x.created_at >= $7::bigint`,
      `  returning x.id, x.status, x.next_attempt_at`,
      `)${queueFollow("moved")}`,
      `select id from moved`
    ].join("\n")

    const service: Context.Tag.Service<typeof Storage.Storage> = {
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

      patchEndpoint: (tenant, id, patch, expected) => {
        const params = new Params([id, tenant])
        const set = [`updated_at = ${params.add(patch.updatedAt, "::bigint")}`]
        if (patch.health !== undefined) set.push(`health = ${params.add(JSON.stringify(patch.health), "::jsonb")}`)
        if (patch.disabled !== undefined) set.push(`disabled = ${params.add(patch.disabled, "::boolean")}`)
        if (patch.disabledReason !== undefined) set.push(`disabled_reason = ${params.add(patch.disabledReason)}`)
        if (patch.disabledAt !== undefined) set.push(`disabled_at = ${params.add(patch.disabledAt, "::bigint")}`)
        // jsonb equality compares values, not text: key order and number formatting do not matter.
        const guard = expected === undefined ? "" : ` and health = ${params.add(JSON.stringify(expected), "::jsonb")}`
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
            const messages = new Map<string, MessageRecord>()
            for (const m of JSON.parse(row?.messages ?? "[]")) messages.set(m[0], rows.messageFromJson(m))
            const endpoints = new Map<string, EndpointRecord>()
            for (const e of JSON.parse(row?.endpoints ?? "[]")) endpoints.set(e[0], rows.endpointFromJson(e))
            const byId = new Map<string, DispatchContext>()
            for (const d of JSON.parse(row?.deliveries ?? "[]")) {
              const delivery = rows.deliveryFromJson(d)
              const message = messages.get(delivery.messageId)
              const endpoint = endpoints.get(delivery.endpointId)
              if (
                message !== undefined && endpoint !== undefined && message.tenant === delivery.tenant &&
                endpoint.tenant === delivery.tenant
              ) {
                byId.set(delivery.id, { delivery, message, endpoint })
              }
            }
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
        const attempts = lastById(results.map((r) => r.attempt), (a) => a.id)
        const deliveries = lastById(results.map((r) => r.delivery), (d) => d.id)
        return query(recordAttemptsText, [...rows.attemptArrays(attempts), ...rows.deliveryArrays(deliveries)]).pipe(
          Effect.asVoid,
          mapStorage("PgStorage.recordAttempts")
        )
      },

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
          options.since
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
