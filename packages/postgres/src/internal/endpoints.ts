/**
 * The Postgres Storage's endpoint records: their row mapping (columns, parameters, patches, decoding from rows and
 * from the JSON arrays of the big reads) and their statements — inserts (the per-tenant limit under a
 * transaction-scoped advisory lock), reads, the enabled list fan-out reads on every publish, compare-and-set patches
 * (jsonb equality), and deletion, which cancels the endpoint's pending deliveries (and drops them from a shared queue)
 * in the same statement.
 *
 * @internal
 */
import { defaultOptions, healthy } from "@hookwire/core/Model"
import type {
  EndpointHealth,
  EndpointOptions,
  EndpointPatch,
  EndpointRecord,
  EndpointTransport,
  RetryPolicySpec,
  SecretRecord
} from "@hookwire/core/Model"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { mapStorage } from "./errors.js"
import * as prepared from "./prepared.js"
import { Params } from "./query.js"
import * as rows from "./rows.js"
import { CONFLICT, getById, listPage, recordsOf, type Shared } from "./shared.js"

/** Column list of the endpoints table, in insert order. */
export const columns = "id, tenant, url, name, description, event_types, channels, headers, metadata, " +
  "disabled, disabled_reason, disabled_at, timeout_ms, retry_policy, scheme, secrets, options, health, created_at, " +
  "updated_at, transport"

/** @internal */
export const params = (e: EndpointRecord): ReadonlyArray<unknown> => [
  e.id,
  e.tenant,
  e.url,
  e.name,
  e.description,
  e.eventTypes,
  e.channels,
  JSON.stringify(e.headers),
  JSON.stringify(e.metadata),
  e.disabled,
  e.disabledReason,
  e.disabledAt,
  e.timeoutMs,
  e.retryPolicy === null ? null : JSON.stringify(e.retryPolicy),
  e.scheme,
  JSON.stringify(e.secrets),
  JSON.stringify(e.options),
  JSON.stringify(e.health),
  e.createdAt,
  e.updatedAt,
  e.transport == null ? null : JSON.stringify(e.transport)
]

/** Each patchable endpoint field: its column, its cast and how its value is sent. */
const patchColumns: ReadonlyArray<readonly [keyof EndpointPatch, string, string, (value: any) => unknown]> = [
  ["updatedAt", "updated_at", "::bigint", (v) => v],
  ["health", "health", "::jsonb", JSON.stringify],
  ["disabled", "disabled", "::boolean", (v) => v],
  ["disabledReason", "disabled_reason", "", (v) => v],
  ["disabledAt", "disabled_at", "::bigint", (v) => v],
  ["url", "url", "", (v) => v],
  ["name", "name", "", (v) => v],
  ["description", "description", "", (v) => v],
  ["eventTypes", "event_types", "::text[]", (v) => v],
  ["channels", "channels", "::text[]", (v) => v],
  ["headers", "headers", "::jsonb", JSON.stringify],
  ["metadata", "metadata", "::jsonb", JSON.stringify],
  ["timeoutMs", "timeout_ms", "::integer", (v) => v],
  ["retryPolicy", "retry_policy", "::jsonb", (v) => (v === null ? null : JSON.stringify(v))],
  ["scheme", "scheme", "", (v) => v],
  ["options", "options", "::jsonb", JSON.stringify],
  ["secrets", "secrets", "::jsonb", JSON.stringify],
  ["transport", "transport", "::jsonb", (v) => (v === null ? null : JSON.stringify(v))]
]

/**
 * The `set` assignments of a patch: one per field it carries, each value added as a parameter by `add` (which
 * returns its placeholder).
 *
 * @internal
 */
export const patchSet = (
  patch: EndpointPatch,
  add: (value: unknown, cast: string) => string
): Array<string> => {
  const set: Array<string> = []
  for (const [field, column, cast, encode] of patchColumns) {
    const value = patch[field]
    if (value !== undefined) set.push(`${column} = ${add(encode(value), cast)}`)
  }
  return set
}

/** Placeholders matching `params`, starting at `$<from>`. */
export const placeholders = (from = 1): string => {
  const casts = [
    "",
    "",
    "",
    "",
    "",
    "::text[]",
    "::text[]",
    "::jsonb",
    "::jsonb",
    "::boolean",
    "",
    "::bigint",
    "::integer",
    "::jsonb",
    "",
    "::jsonb",
    "::jsonb",
    "::jsonb",
    "::bigint",
    "::bigint",
    "::jsonb"
  ]
  return casts.map((cast, i) => `$${from + i}${cast}`).join(", ")
}

/** @internal */
export const decode = (row: rows.Row, prefix = ""): EndpointRecord => ({
  id: row[prefix + "id"],
  tenant: row[prefix + "tenant"],
  url: row[prefix + "url"],
  name: row[prefix + "name"] ?? null,
  description: row[prefix + "description"] ?? null,
  eventTypes: row[prefix + "event_types"] ?? [],
  channels: row[prefix + "channels"] ?? [],
  headers: rows.json<Record<string, string>>(row[prefix + "headers"]) ?? {},
  metadata: rows.json<Record<string, string>>(row[prefix + "metadata"]) ?? {},
  disabled: row[prefix + "disabled"] === true,
  disabledReason: row[prefix + "disabled_reason"] ?? null,
  disabledAt: rows.numOrNull(row[prefix + "disabled_at"]),
  timeoutMs: rows.numOrNull(row[prefix + "timeout_ms"]),
  retryPolicy: row[prefix + "retry_policy"] === null || row[prefix + "retry_policy"] === undefined
    ? null
    : rows.json<RetryPolicySpec>(row[prefix + "retry_policy"]),
  scheme: row[prefix + "scheme"] ?? null,
  secrets: rows.json<ReadonlyArray<SecretRecord>>(row[prefix + "secrets"]) ?? [],
  options: rows.json<EndpointOptions>(row[prefix + "options"]) ?? defaultOptions,
  health: rows.json<EndpointHealth>(row[prefix + "health"]) ?? healthy,
  createdAt: rows.num(row[prefix + "created_at"]),
  updatedAt: rows.num(row[prefix + "updated_at"]),
  transport: rows.json<EndpointTransport>(row[prefix + "transport"]) ?? null
})

/** @internal */
export const fromJson = (a: ReadonlyArray<any>): EndpointRecord => ({
  id: a[0],
  tenant: a[1],
  url: a[2],
  name: a[3],
  description: a[4],
  eventTypes: a[5] ?? [],
  channels: a[6] ?? [],
  headers: a[7] ?? {},
  metadata: a[8] ?? {},
  disabled: a[9] === true,
  disabledReason: a[10],
  disabledAt: a[11],
  timeoutMs: a[12],
  retryPolicy: a[13],
  scheme: a[14],
  secrets: a[15] ?? [],
  options: a[16] ?? defaultOptions,
  health: a[17] ?? healthy,
  createdAt: a[18],
  updatedAt: a[19],
  transport: a[20] ?? null
})

/** The endpoint methods of the service. */
export const make = (s: Shared): Storage.EndpointMethods => {
  const { query, t } = s
  const E = t.endpoints

  const insertText = `insert into ${E} (${columns}) values (${placeholders()})`

  const insertWithinText = `insert into ${E} (${columns}) select ${placeholders()} ` +
    `where (select count(*) from ${E} where tenant = $2) < $22::numeric returning id`

  const updateText = `update ${E} set url = $3, name = $4, description = $5, event_types = $6::text[], ` +
    `channels = $7::text[], headers = $8::jsonb, metadata = $9::jsonb, disabled = $10::boolean, ` +
    `disabled_reason = $11, disabled_at = $12::bigint, timeout_ms = $13::integer, retry_policy = $14::jsonb, ` +
    `scheme = $15, secrets = $16::jsonb, options = $17::jsonb, health = $18::jsonb, created_at = $19::bigint, ` +
    `updated_at = $20::bigint, transport = $21::jsonb ` +
    `where id = $1 and tenant = $2 returning id`

  const deleteText = [
    `with gone as (delete from ${E} where id = $1 and tenant = $2 returning id),`,
    `cancelled as (update ${t.deliveries} as x set status = 'cancelled', next_attempt_at = null, updated_at = $3::bigint`,
    ` where x.endpoint_id in (select id from gone) and x.tenant = $2 and x.status = 'pending' returning x.id)`,
    s.sharedQueue ? `, dequeued as (delete from ${t.queue} where id in (select id from cancelled))` : "",
    `select count(*)::int as n from gone`
  ].join("\n")

  // Read on every publish (fan-out): prepared once per connection (internal/prepared).
  const enabledText = prepared.hot(
    `select coalesce(json_agg(${rows.jsonArray("x", columns)} order by x.id), '[]')::text ` +
      `as endpoints from ${E} as x where x.tenant = $1 and not x.disabled`
  )
  // A publishMany batch's fan-out: the enabled endpoints of every tenant of the batch in one statement (a batch to
  // 100 tenants was 100 round trips, one after the other). Tenants without one have no row.
  const enabledOfText = prepared.hot(
    `select x.tenant, json_agg(${rows.jsonArray("x", columns)} order by x.id)::text as endpoints ` +
      `from ${E} as x where x.tenant = any($1::text[]) and not x.disabled group by x.tenant`
  )

  const insertEndpoint = (endpoint: EndpointRecord) =>
    query(insertText, params(endpoint)).pipe(
      Effect.asVoid,
      mapStorage("PgStorage.insertEndpoint", `endpoint ${endpoint.id}: ${CONFLICT}`)
    )

  const insertEndpointWithin = (endpoint: EndpointRecord, limit: number) => {
    if (limit === Infinity) return Effect.as(insertEndpoint(endpoint), true)
    return s.sql.withTransaction(
      Effect.zipRight(
        // Serialises this tenant's limited inserts until commit, so the count below cannot go stale.
        query(`select pg_advisory_xact_lock(hashtextextended($1, 0))`, [
          `hookwire:endpoints:${t.lockNamespace}:${endpoint.tenant}`
        ]),
        query(insertWithinText, [...params(endpoint), Number.isNaN(limit) ? 0 : limit])
      )
    ).pipe(
      Effect.map((inserted) => inserted.length > 0),
      mapStorage("PgStorage.insertEndpointWithin", `endpoint ${endpoint.id}: ${CONFLICT}`)
    )
  }

  const records = recordsOf(E, columns, decode, "created_at", "ep")

  return {
    insertEndpoint,
    insertEndpointWithin,

    getEndpoint: (tenant, id) => getById(s, records, "PgStorage.getEndpoint", tenant, id),

    listEndpoints: (tenant, request) => listPage(s, records, "PgStorage.listEndpoints", tenant, request),

    enabledEndpoints: (tenant) =>
      query(enabledText, [tenant]).pipe(
        Effect.map(([row]) => (JSON.parse(row?.endpoints ?? "[]") as Array<Array<unknown>>).map(fromJson)),
        mapStorage("PgStorage.enabledEndpoints")
      ),

    enabledEndpointsOf: (tenants) =>
      query(enabledOfText, [Array.from(new Set(tenants))]).pipe(
        Effect.map((found) => {
          const byTenant = new Map<string, ReadonlyArray<EndpointRecord>>()
          for (const tenant of tenants) byTenant.set(tenant, [])
          for (const row of found) {
            byTenant.set(row.tenant, (JSON.parse(row.endpoints) as Array<Array<unknown>>).map(fromJson))
          }
          return byTenant
        }),
        mapStorage("PgStorage.enabledEndpointsOf")
      ),

    scanEndpoints: (afterId, limit) => {
      if (!(limit > 0)) return Effect.succeed([])
      const p = new Params()
      const from = afterId === undefined ? "" : `where id > ${p.add(afterId)} `
      return query(
        `select ${columns} from ${E} ${from}order by id limit ${p.add(Math.floor(limit), "::bigint")}`,
        p.values
      ).pipe(
        Effect.map((found) => found.map((row) => decode(row))),
        mapStorage("PgStorage.scanEndpoints")
      )
    },

    patchEndpoint: (tenant, id, patch, expected, expectedSecrets, expectedTransport) => {
      const p = new Params([id, tenant])
      const set = patchSet(patch, (value, cast) => p.add(value, cast))
      // jsonb equality compares values, not text: key order and number formatting do not matter.
      let guard = expected === undefined ? "" : ` and health = ${p.add(JSON.stringify(expected), "::jsonb")}`
      if (expectedSecrets !== undefined) {
        guard += ` and secrets = ${p.add(JSON.stringify(expectedSecrets), "::jsonb")}`
      }
      if (expectedTransport !== undefined) {
        const value = expectedTransport === null ? null : JSON.stringify(expectedTransport)
        guard += ` and transport is not distinct from ${p.add(value, "::jsonb")}`
      }
      return query(
        `update ${E} set ${set.join(", ")} where id = $1 and tenant = $2${guard} returning ${columns}`,
        p.values
      ).pipe(
        Effect.map(([row]) => (row === undefined ? undefined : decode(row))),
        mapStorage("PgStorage.patchEndpoint")
      )
    },

    countEndpoints: (tenant) =>
      query(`select count(*)::int as n from ${E} where tenant = $1`, [tenant]).pipe(
        Effect.map(([row]) => rows.num(row?.n ?? 0)),
        mapStorage("PgStorage.countEndpoints")
      ),

    updateEndpoint: (endpoint) =>
      query(updateText, params(endpoint)).pipe(
        Effect.map((updated) => updated.length > 0),
        mapStorage("PgStorage.updateEndpoint")
      ),

    deleteEndpoint: (tenant, id, now) =>
      query(deleteText, [id, tenant, now]).pipe(
        Effect.map(([row]) => rows.num(row?.n ?? 0) > 0),
        mapStorage("PgStorage.deleteEndpoint")
      )
  }
}
