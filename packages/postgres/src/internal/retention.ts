/**
 * The Postgres Storage's retention methods (`Storage.pruneOlderThan`, `Storage.expungeMessage`): pruning is
 * `PgRetention.sweep`; erasure is one statement that empties the message's body, cancels its pending deliveries
 * (taking them off a shared queue) and clears its attempts' response bodies.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import * as PgRetention from "../PgRetention.js"
import { mapStorage } from "./errors.js"
import * as rows from "./rows.js"
import type { Shared } from "./shared.js"

/** The two methods, for `PgStorage.makeWith` to spread into its service. */
export const make = ({ query, sharedQueue, sql, t }: Shared): Storage.RetentionMethods => {
  const expungeText = [
    `with erased as (update ${t.messages} set body = '' where id = $1 and tenant = $2 returning id),`,
    `cancelled as (update ${t.deliveries} as x set status = 'cancelled', next_attempt_at = null, updated_at = $3::bigint`,
    ` where x.message_id in (select id from erased) and x.tenant = $2 and x.status = 'pending' returning x.id),`,
    `cleared as (update ${t.attempts} as y set response_body = null`,
    ` where y.message_id in (select id from erased) and y.tenant = $2 and y.response_body is not null returning 1)`,
    sharedQueue ? `, dequeued as (delete from ${t.queue} where id in (select id from cancelled))` : "",
    `select (select count(*) from erased)::int as found,`,
    `  coalesce((select array_agg(id) from cancelled), '{}') as cancelled`
  ].join("\n")
  return {
    pruneOlderThan: (cutoff, options) =>
      PgRetention.sweep(t, cutoff, options).pipe(Effect.provideService(SqlClient.SqlClient, sql)),
    expungeMessage: (tenant, id, now) =>
      query(expungeText, [id, tenant, now]).pipe(
        Effect.map(([row]) =>
          rows.num(row?.found ?? 0) === 0 ? undefined : { cancelled: (row!.cancelled as ReadonlyArray<string>) ?? [] }
        ),
        mapStorage("PgStorage.expungeMessage")
      )
  }
}
