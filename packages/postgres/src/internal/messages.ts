/**
 * The Postgres Storage's message records: their row mapping, and the publish write — one statement for a batch of
 * messages with their deliveries (and, with a shared queue, their queue rows and the workers' notification), with
 * idempotency keys per tenant — and the message reads.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { StorageError } from "@hookwire/core/Errors"
import type { DeliveryRecord, MessageFilter, MessageRecord } from "@hookwire/core/Model"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { arrays as deliveryArrays, columns as deliveryColumns, unnest as deliveryUnnest } from "./deliveries.js"
import { mapStorage } from "./errors.js"
import * as prepared from "./prepared.js"
import { pairKey } from "./query.js"
import * as queue from "./queue/statements.js"
import * as rows from "./rows.js"
import { CONFLICT, getById, listPage, queueDue, recordsOf, type Shared, wakeLocally } from "./shared.js"

/** @internal */
export const columns = "id, tenant, type, body, channels, idempotency_key, created_at"

/** @internal */
export const decode = (row: rows.Row, prefix = ""): MessageRecord => ({
  id: row[prefix + "id"],
  tenant: row[prefix + "tenant"],
  type: row[prefix + "type"],
  body: row[prefix + "body"],
  channels: row[prefix + "channels"] ?? [],
  idempotencyKey: row[prefix + "idempotency_key"] ?? null,
  createdAt: rows.num(row[prefix + "created_at"])
})

/** @internal */
export const fromJson = (a: ReadonlyArray<any>): MessageRecord => ({
  id: a[0],
  tenant: a[1],
  type: a[2],
  body: a[3],
  channels: a[4] ?? [],
  idempotencyKey: a[5],
  createdAt: a[6]
})

const fields: rows.Fields<MessageRecord> = [
  ["text", (m) => m.id],
  ["text", (m) => m.tenant],
  ["text", (m) => m.type],
  ["text", (m) => JSON.stringify(m.channels)],
  ["text", (m) => m.idempotencyKey],
  ["bigint", (m) => m.createdAt]
]

/** How many parameters `arrays` takes: the fields' arrays, then the bodies (see `arrays`). */
export const paramCount = fields.length + 3

/**
 * Column-wise arrays of messages, for `unnest` (`channels` as JSON text, one array per message: `unnest` of a
 * two-dimensional array would flatten it), then the bodies: all of them in one text, and each one's first byte
 * (1-based) and length in UTF-8 bytes. A `text[]` of 1 KiB bodies costs node-postgres two regular-expression passes
 * and a copy per body to write its array literal (its `escapeElement`), and PostgreSQL an unescaping parse of it
 * (`array_in`); one text is written as it is and cut into bodies with `substring` on its bytes.
 *
 * @internal
 */
export const arrays = (messages: ReadonlyArray<MessageRecord>): Array<unknown> => {
  const at = new Array<number>(messages.length)
  const bytes = new Array<number>(messages.length)
  let next = 1
  for (let i = 0; i < messages.length; i++) {
    at[i] = next
    bytes[i] = Buffer.byteLength(messages[i].body, "utf8")
    next += bytes[i]
  }
  return [...rows.arraysOf(messages, fields), messages.map((m) => m.body).join(""), at, bytes]
}

/**
 * `unnest(...)` of `arrays` starting at `$<from>`, as `u` with the messages table's columns but `body` (`body_at`
 * and `body_bytes` instead: see `body`) and `n`, each message's 1-based position in the batch.
 */
export const unnest = (from: number): string =>
  `unnest(${rows.typesOf(fields).map((type, i) => `$${from + i}::${type}[]`).join(", ")}, ` +
  `$${from + fields.length + 1}::integer[], $${from + fields.length + 2}::integer[]) ` +
  `with ordinality as u(id, tenant, type, channels, idempotency_key, created_at, body_at, body_bytes, n)`

/**
 * The CTE `bodies` (one row, `b`: the bodies' text of `arrays` starting at `$<from>`, as UTF-8 bytes), materialized
 * so that it is converted once per statement, not once per message.
 */
export const bodiesCte = (from: number): string =>
  `bodies as materialized (select convert_to($${from + fields.length}::text, 'UTF8') as b)`

/** A message's body, from `u`'s `body_at` and `body_bytes` and the CTE `bodies`. */
export const body = "convert_from(substring(bodies.b from u.body_at for u.body_bytes), 'UTF8')"

/**
 * For each delivery of a batch, in order, the 1-based position of its message in the batch: what ties a delivery to
 * its message's insert (a delivery is written only when its message is).
 *
 * @internal
 */
export const indexes = (batch: ReadonlyArray<Storage.NewMessage>): Array<number> => {
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
export const uniformBatch = (batch: ReadonlyArray<Storage.NewMessage>): DeliveryRecord | undefined => {
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

/**
 * The publish write's statement for a batch: its text (one of two, both prepared) and its parameters.
 */
const insertStatement = (
  s: Shared
): (batch: ReadonlyArray<Storage.NewMessage>) => readonly [string, Array<unknown>] => {
  const { t } = s

  // One statement for a batch of messages, their deliveries, and — with a shared queue — their queue rows and the
  // workers' notification (`insertMessage` is a batch of one). Messages are sent column-wise like deliveries, each
  // with its position `n` in the batch. A message whose idempotency key was taken is skipped by `on conflict`;
  // `created` holds the others, and only their deliveries are written (each delivery carries its message's `n`).
  // Deliveries are sent as one array per column; in the common case, a publish, where they differ only in id and
  // endpoint, only those two arrays and the positions are sent, and the rest as single values.
  const insertHead = [
    `with ${bodiesCte(1)}, input as (`,
    `  select u.id, u.tenant, u.type, ${body} as body, u.channels, u.idempotency_key, u.created_at, u.n`,
    `  from ${unnest(1)} cross join bodies`,
    `), m as (`,
    `  insert into ${t.messages} (${columns})`,
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
      `  insert into ${t.deliveries} (${deliveryColumns})`,
      deliveries,
      s.sharedQueue ? `  returning id, status, next_attempt_at` : "",
      `)`,
      s.sharedQueue
        ? `, q as (${queueDue(s, "d")} returning q.run_at)\n` +
          queue.notifyEarliest(`$${channel}`, "q", "array(select id from m) as created")
        : `select array(select id from m) as created`
    ].join("\n")

  // The deliveries' parameters follow the messages'.
  const D = paramCount + 1
  const insertUniformText = prepared.hot(insertText(
    [
      `  select u.id, c.tenant, c.id, u.endpoint_id, $${D}, $${D + 1}::integer, $${D + 2}::bigint, $${D + 3}::bigint,`,
      `    $${D + 4}::integer, $${D + 5}, $${D + 6}::bigint, $${D + 7}::bigint`,
      `  from unnest($${D + 8}::text[], $${D + 9}::text[], $${D + 10}::integer[]) as u(id, endpoint_id, n)`,
      `  join created as c on c.n = u.n`
    ].join("\n"),
    D + 11
  ))

  const insertGeneralText = prepared.hot(insertText(
    `  select ${rows.qualified("u", deliveryColumns)} from ${deliveryUnnest(D, true)}\n` +
      `  where u.n in (select n from created)`,
    D + 13
  ))

  return (batch: ReadonlyArray<Storage.NewMessage>): readonly [string, Array<unknown>] => {
    const messageArrays = arrays(batch.map((entry) => entry.message))
    const positions = indexes(batch)
    const first = uniformBatch(batch)
    const [text, params]: [string, Array<unknown>] = first === undefined
      ? [insertGeneralText, [...messageArrays, ...deliveryArrays(batch.flatMap((e) => e.deliveries)), positions]]
      : [insertUniformText, [
        ...messageArrays,
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
        positions
      ]]
    if (s.sharedQueue) params.push(t.channel)
    return [text, params]
  }
}

/** The message methods of the service. */
export const make = (s: Shared): Storage.MessageMethods => {
  const { t } = s
  const insertParams = insertStatement(s)

  // The messages holding the idempotency keys that a batch found taken.
  const existingText = `select ${columns} from ${t.messages} where idempotency_key is not null ` +
    `and (tenant, idempotency_key) in (select * from unnest($1::text[], $2::text[]))`

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
        const [row] = yield* s.query(text, params)
        yield* wakeLocally(s, row?.woke)
        const created = new Set<string>(row?.created ?? [])
        const taken: Array<number> = []
        for (const i of left) {
          const { deliveries, message } = batch[i]
          if (!created.has(message.id)) {
            taken.push(i)
            continue
          }
          results[i] = s.sharedQueue
            ? { message, created: true, deliveries, queued: true }
            : { message, created: true, deliveries }
        }
        if (taken.length === 0) return []
        const found = yield* s.query(existingText, [
          taken.map((i) => batch[i].message.tenant),
          taken.map((i) => batch[i].message.idempotencyKey)
        ])
        const byKey = new Map(found.map((row) => [pairKey(row.tenant, row.idempotency_key), decode(row)]))
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
        code: "conflict",
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

  const records = recordsOf(t.messages, columns, decode, "created_at", "msg")

  return {
    insertMessage,
    insertMessages,

    getMessage: (tenant, id) => getById(s, records, "PgStorage.getMessage", tenant, id),

    listMessages: (tenant, filter: MessageFilter) =>
      listPage(s, records, "PgStorage.listMessages", tenant, filter, (params, where) => {
        if (filter.type !== undefined) where.push(`x.type = ${params.add(filter.type)}`)
      })
  }
}
