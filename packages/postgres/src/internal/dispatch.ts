/**
 * Loading dispatch contexts (delivery + message + endpoint): the query shape and its parser, shared by
 * the Storage's `loadForDispatch` (`make`, below) and the adapter's `PgQueue.claimForDispatch` (which loads them in the claim's own
 * statement), so that both return exactly the same contexts.
 *
 * @internal
 */
import type { DispatchContext, EndpointRecord, MessageRecord } from "@hookwire/core/Model"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import * as deliveries from "./deliveries.js"
import { columns as endpointColumns, fromJson as endpointFromJson } from "./endpoints.js"
import { mapStorage } from "./errors.js"
import { columns as messageColumns, fromJson as messageFromJson } from "./messages.js"
import * as prepared from "./prepared.js"
import * as rows from "./rows.js"
import type { Shared } from "./shared.js"
import type { Tables } from "./tables.js"

/**
 * The CTE `d`: the deliveries whose `id` satisfies `idCondition` (e.g. `= any($1::text[])`).
 *
 * Every lookup here is `= any(array)` on a primary key, never `in (select …)` or a join: the planner cannot then
 * choose a hash join over a whole table that looked small when the (generic) plan was made (test/Plans.test.ts).
 */
export const deliveriesCte = (t: Tables, idCondition: string): string =>
  `d as (select ${deliveries.columns} from ${t.deliveries} where id ${idCondition})`

/**
 * A JSON array of the rows of `table` whose ids are the distinct values of `d.<key>`, each a `rows.jsonArray`.
 * Each row is its own primary-key lookup (a correlated subquery, which the planner cannot turn into a join): a
 * wide table such as the endpoints looks cheaper to scan whole than to look up by a list of ids when it was empty
 * as the generic plan was made.
 */
const byKey = (table: string, alias: string, columns: string, key: string): string =>
  `coalesce((select json_agg(j) from (select (select ${rows.jsonArray(alias, columns)} from ${table} as ${alias} ` +
  `where ${alias}.id = k.id) as j from (select distinct ${key} as id from d) as k) as x where j is not null), '[]')`

/**
 * Select-list items over `d`: three JSON arrays, the deliveries, and each message and endpoint they need once (a
 * fan-out batch carries one body, not one per delivery).
 */
export const columns = (t: Tables): string =>
  [
    `coalesce((select json_agg(${rows.jsonArray("d", deliveries.columns)}) from d), '[]')::text as deliveries,`,
    `${byKey(t.messages, "m", messageColumns, "message_id")}::text as messages,`,
    `${byKey(t.endpoints, "e", endpointColumns, "endpoint_id")}::text as endpoints`
  ].join("\n")

/**
 * The contexts in a result row of `columns`, by delivery id. A delivery whose message or endpoint is gone, or belongs
 * to another tenant, has none.
 */
export const parse = (row: rows.Row | undefined): Map<string, DispatchContext> => {
  const messages = new Map<string, MessageRecord>()
  for (const m of JSON.parse(row?.messages ?? "[]")) messages.set(m[0], messageFromJson(m))
  const endpoints = new Map<string, EndpointRecord>()
  for (const e of JSON.parse(row?.endpoints ?? "[]")) endpoints.set(e[0], endpointFromJson(e))
  const byId = new Map<string, DispatchContext>()
  for (const d of JSON.parse(row?.deliveries ?? "[]")) {
    const delivery = deliveries.fromJson(d)
    const message = messages.get(delivery.messageId)
    const endpoint = endpoints.get(delivery.endpointId)
    if (
      message !== undefined && endpoint !== undefined && message.tenant === delivery.tenant &&
      endpoint.tenant === delivery.tenant
    ) {
      byId.set(delivery.id, { delivery, message, endpoint })
    }
  }
  return byId
}

/** `Storage.loadForDispatch`: the contexts of the ids, in one statement. */
export const make = (s: Shared): Pick<Storage.DeliveryMethods, "loadForDispatch"> => {
  // Run by every dispatcher batch: prepared once per connection (internal/prepared).
  const text = prepared.hot(`with ${deliveriesCte(s.t, "= any($1::text[])")}\nselect\n${columns(s.t)}`)
  return {
    loadForDispatch: (ids) => {
      if (ids.length === 0) return Effect.succeed([])
      return s.query(text, [ids]).pipe(
        Effect.map(([row]) => {
          const byId = parse(row)
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
    }
  }
}
