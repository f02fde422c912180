/**
 * Rows ↔ records. `bigint` columns arrive from node-postgres as strings (it will not guess at precision), so every
 * time goes through `num`; `jsonb` and `text[]` arrive parsed. Records are built field by field so that they carry
 * exactly the port's fields.
 *
 * @internal
 */
import { defaultOptions, healthy } from "@hookwire/core/Model"
import type {
  AttemptRecord,
  AttemptTrigger,
  DeliveryRecord,
  DeliveryStatus,
  EndpointHealth,
  EndpointOptions,
  EndpointPatch,
  EndpointRecord,
  MessageRecord,
  RetryPolicySpec,
  SecretRecord,
  TransportErrorKind
} from "@hookwire/core/Model"
import type { NewMessage } from "@hookwire/core/Storage"

/** @internal */
export type Row = Record<string, any>

/** @internal */
export const num = (value: unknown): number => (typeof value === "number" ? value : Number(value))

/** @internal */
export const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : num(value))

const json = <A>(value: unknown): A => (typeof value === "string" ? JSON.parse(value) : value) as A

/** Column list of the endpoints table, in insert order. */
export const endpointColumns = "id, tenant, url, name, description, event_types, channels, headers, metadata, " +
  "disabled, disabled_reason, disabled_at, timeout_ms, retry_policy, scheme, secrets, options, health, created_at, " +
  "updated_at"

/** @internal */
export const endpointParams = (e: EndpointRecord): ReadonlyArray<unknown> => [
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
  e.updatedAt
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
  ["secrets", "secrets", "::jsonb", JSON.stringify]
]

/**
 * The `set` assignments of a patch: one per field it carries, each value added as a parameter by `add` (which
 * returns its placeholder).
 *
 * @internal
 */
export const endpointPatch = (
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

/** Placeholders matching `endpointParams`, starting at `$<from>`. */
export const endpointPlaceholders = (from = 1): string => {
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
    "::bigint"
  ]
  return casts.map((cast, i) => `$${from + i}${cast}`).join(", ")
}

/** @internal */
export const endpoint = (row: Row, prefix = ""): EndpointRecord => ({
  id: row[prefix + "id"],
  tenant: row[prefix + "tenant"],
  url: row[prefix + "url"],
  name: row[prefix + "name"] ?? null,
  description: row[prefix + "description"] ?? null,
  eventTypes: row[prefix + "event_types"] ?? [],
  channels: row[prefix + "channels"] ?? [],
  headers: json<Record<string, string>>(row[prefix + "headers"]) ?? {},
  metadata: json<Record<string, string>>(row[prefix + "metadata"]) ?? {},
  disabled: row[prefix + "disabled"] === true,
  disabledReason: row[prefix + "disabled_reason"] ?? null,
  disabledAt: numOrNull(row[prefix + "disabled_at"]),
  timeoutMs: numOrNull(row[prefix + "timeout_ms"]),
  retryPolicy: row[prefix + "retry_policy"] === null || row[prefix + "retry_policy"] === undefined
    ? null
    : json<RetryPolicySpec>(row[prefix + "retry_policy"]),
  scheme: row[prefix + "scheme"] ?? null,
  secrets: json<ReadonlyArray<SecretRecord>>(row[prefix + "secrets"]) ?? [],
  options: json<EndpointOptions>(row[prefix + "options"]) ?? defaultOptions,
  health: json<EndpointHealth>(row[prefix + "health"]) ?? healthy,
  createdAt: num(row[prefix + "created_at"]),
  updatedAt: num(row[prefix + "updated_at"])
})

/** @internal */
export const messageColumns = "id, tenant, type, body, channels, idempotency_key, created_at"

/** @internal */
export const message = (row: Row, prefix = ""): MessageRecord => ({
  id: row[prefix + "id"],
  tenant: row[prefix + "tenant"],
  type: row[prefix + "type"],
  body: row[prefix + "body"],
  channels: row[prefix + "channels"] ?? [],
  idempotencyKey: row[prefix + "idempotency_key"] ?? null,
  createdAt: num(row[prefix + "created_at"])
})

/** @internal */
export const deliveryColumns = "id, tenant, message_id, endpoint_id, status, attempts, next_attempt_at, " +
  "last_attempt_at, last_response_status, last_error, created_at, updated_at"

/** @internal */
export const delivery = (row: Row, prefix = ""): DeliveryRecord => ({
  id: row[prefix + "id"],
  tenant: row[prefix + "tenant"],
  messageId: row[prefix + "message_id"],
  endpointId: row[prefix + "endpoint_id"],
  status: row[prefix + "status"] as DeliveryStatus,
  attempts: num(row[prefix + "attempts"]),
  nextAttemptAt: numOrNull(row[prefix + "next_attempt_at"]),
  lastAttemptAt: numOrNull(row[prefix + "last_attempt_at"]),
  lastResponseStatus: numOrNull(row[prefix + "last_response_status"]),
  lastError: (row[prefix + "last_error"] ?? null) as TransportErrorKind | null,
  createdAt: num(row[prefix + "created_at"]),
  updatedAt: num(row[prefix + "updated_at"])
})

/** @internal */
export const attemptColumns = "id, tenant, delivery_id, message_id, endpoint_id, attempt, trigger, url, started_at, " +
  "duration_ms, response_status, response_body, error_kind, error_message, request_headers, response_headers"

/** @internal */
export const attempt = (row: Row): AttemptRecord => ({
  id: row.id,
  tenant: row.tenant,
  deliveryId: row.delivery_id,
  messageId: row.message_id,
  endpointId: row.endpoint_id,
  attempt: num(row.attempt),
  trigger: row.trigger as AttemptTrigger,
  url: row.url,
  startedAt: num(row.started_at),
  durationMs: num(row.duration_ms),
  responseStatus: numOrNull(row.response_status),
  responseBody: row.response_body ?? null,
  errorKind: (row.error_kind ?? null) as TransportErrorKind | null,
  errorMessage: row.error_message ?? null,
  requestHeaders: row.request_headers ?? null,
  responseHeaders: row.response_headers ?? null
})

/** `unnest($<from>::<type>[], …)`: one array parameter per type, in order. */
const unnest = (from: number, types: ReadonlyArray<string>): string =>
  `unnest(${types.map((type, i) => `$${from + i}::${type}[]`).join(", ")})`

/** The columns of a table as `unnest` parameters: each column's element type, and how to read it from a record. */
type Fields<A> = ReadonlyArray<readonly [type: string, read: (record: A) => unknown]>

/** One array per field of `records`, each in the records' order: the parameters of an `unnest`. */
const columns = <A>(records: ReadonlyArray<A>, fields: Fields<A>): Array<Array<unknown>> =>
  fields.map(([, read]) => records.map(read))

/** The element types of `fields`, for `unnest`. */
const typesOf = <A>(fields: Fields<A>): Array<string> => fields.map(([type]) => type)

const deliveryFields: Fields<DeliveryRecord> = [
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
export const deliveryArrays = (deliveries: ReadonlyArray<DeliveryRecord>) => columns(deliveries, deliveryFields)

/**
 * `unnest(...)` of `deliveryArrays` starting at `$<from>`, with the column names of the deliveries table; with
 * `messageIndex`, also `n` from the integer array `$<from + 12>` (see `messageIndexes`).
 */
export const deliveryUnnest = (from: number, messageIndex = false): string =>
  messageIndex
    ? `${unnest(from, [...typesOf(deliveryFields), "integer"])} as u(${deliveryColumns}, n)`
    : `${unnest(from, typesOf(deliveryFields))} as u(${deliveryColumns})`

const attemptFields: Fields<AttemptRecord> = [
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
  ["jsonb", (a) => headersJson(a.requestHeaders)],
  ["jsonb", (a) => headersJson(a.responseHeaders)]
]

const headersJson = (headers: Readonly<Record<string, string>> | null | undefined): string | null =>
  headers === null || headers === undefined ? null : JSON.stringify(headers)

/** How many parameters `attemptArrays` takes (statements number the parameters that follow from it). */
export const attemptFieldCount = attemptFields.length

/** @internal */
export const attemptArrays = (attempts: ReadonlyArray<AttemptRecord>) => columns(attempts, attemptFields)

/** `unnest(...)` of `attemptArrays` starting at `$<from>`, with the column names of the attempts table. */
export const attemptUnnest = (from: number): string => `${unnest(from, typesOf(attemptFields))} as u(${attemptColumns})`

/**
 * Records as JSON arrays built by PostgreSQL (`json_build_array` in column order, aggregated with `json_agg`): for
 * the big reads (fan-out, dispatch) one native `JSON.parse` of one value is much cheaper than node-postgres
 * parsing every field of every row. Numbers arrive as numbers (bigint epoch milliseconds are exact below 2^53).
 */
export const jsonArray = (alias: string, columns: string): string => `json_build_array(${qualified(alias, columns)})`

/** A column list with every column qualified by `alias`. */
export const qualified = (alias: string, columns: string): string =>
  columns.split(",").map((c) => `${alias}.${c.trim()}`).join(", ")

/** @internal */
export const endpointFromJson = (a: ReadonlyArray<any>): EndpointRecord => ({
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
  updatedAt: a[19]
})

/** @internal */
export const messageFromJson = (a: ReadonlyArray<any>): MessageRecord => ({
  id: a[0],
  tenant: a[1],
  type: a[2],
  body: a[3],
  channels: a[4] ?? [],
  idempotencyKey: a[5],
  createdAt: a[6]
})

/** @internal */
export const deliveryFromJson = (a: ReadonlyArray<any>): DeliveryRecord => ({
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

const messageFields: Fields<MessageRecord> = [
  ["text", (m) => m.id],
  ["text", (m) => m.tenant],
  ["text", (m) => m.type],
  ["text", (m) => m.body],
  ["text", (m) => JSON.stringify(m.channels)],
  ["text", (m) => m.idempotencyKey],
  ["bigint", (m) => m.createdAt]
]

/**
 * Column-wise arrays of messages, for `unnest`, in `messageColumns` order. `channels` goes as JSON text (one
 * array per message): `unnest` of a two-dimensional array would flatten it.
 *
 * @internal
 */
export const messageArrays = (messages: ReadonlyArray<MessageRecord>) => columns(messages, messageFields)

/**
 * `unnest(...)` of `messageArrays` starting at `$<from>`, as `u` with the messages table's columns and `n`, each
 * message's 1-based position in the batch.
 */
export const messageUnnest = (from: number): string =>
  `${unnest(from, typesOf(messageFields))} with ordinality as u(${messageColumns}, n)`

/**
 * For each delivery of a batch, in order, the 1-based position of its message in the batch: what ties a delivery to
 * its message's insert (a delivery is written only when its message is).
 *
 * @internal
 */
export const messageIndexes = (batch: ReadonlyArray<NewMessage>): Array<number> => {
  const indexes: Array<number> = []
  for (let i = 0; i < batch.length; i++) {
    for (let j = 0; j < batch[i].deliveries.length; j++) indexes.push(i + 1)
  }
  return indexes
}

/**
 * The first delivery of a batch when every delivery belongs to its own message (same tenant and message id) and
 * shares every other column but `id` and `endpointId` with it (a publish: one time for all); undefined otherwise.
 * Such a batch is sent as three arrays (id, endpoint, message index) and this delivery's other columns, once.
 *
 * @internal
 */
export const uniformBatch = (batch: ReadonlyArray<NewMessage>): DeliveryRecord | undefined => {
  let first: DeliveryRecord | undefined
  for (const { deliveries, message } of batch) {
    for (const d of deliveries) {
      first ??= d
      if (
        d.tenant !== message.tenant || d.messageId !== message.id || d.status !== first.status ||
        d.attempts !== first.attempts || d.nextAttemptAt !== first.nextAttemptAt ||
        d.lastAttemptAt !== first.lastAttemptAt || d.lastResponseStatus !== first.lastResponseStatus ||
        d.lastError !== first.lastError || d.createdAt !== first.createdAt || d.updatedAt !== first.updatedAt
      ) return undefined
    }
  }
  return first
}

/** @internal */
export const deliveryParams = (d: DeliveryRecord): ReadonlyArray<unknown> => [
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
