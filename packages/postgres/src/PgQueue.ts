/**
 * The Queue port on PostgreSQL: a table of live work (`<prefix>queue`: id, run_at, lease_until, lease_token,
 * claims) that any number of worker processes share. A claim is one statement — an `UPDATE … FROM (SELECT … ORDER
 * BY due time LIMIT n FOR UPDATE SKIP LOCKED) RETURNING` — so concurrent workers never block on, or double-claim,
 * each other's rows; the claimed rows get a lease and a fresh token, and a row whose lease has passed is simply due
 * again. Completing, rescheduling and releasing match on (id, token), so a worker whose lease expired cannot undo
 * the work of the one that claimed the item after it.
 *
 * Idle workers do not poll: `awaitWork` sleeps until the earliest run time or lease expiry in the table, and
 * `enqueue`, `reschedule` and `release` send a `pg_notify` in the same statement (delivered at commit, so an
 * enqueue inside a host transaction wakes nobody until it commits, and nobody if it rolls back). A dedicated
 * LISTEN connection per process wakes the waiters; `maxWaitMs` (the dispatcher's poll interval) is only the
 * fallback while that connection is being re-established.
 *
 * @since 0.1.0
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { ClaimedItem, QueueItem } from "@hookwire/core/Queue"
import * as Queue from "@hookwire/core/Queue"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import { mapQueue } from "./internal/errors.js"
import * as listener from "./internal/listener.js"
import { lastById } from "./internal/query.js"
import * as rows from "./internal/rows.js"
import * as tables from "./internal/tables.js"
import type * as PgMigrator from "./PgMigrator.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PgMigrator.Options {}

/**
 * Builds the Queue service in the current scope (which owns its LISTEN connection). Requires a `PgClient`; the
 * tables must exist (see `PgMigrator`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Context.Tag.Service<typeof Queue.Queue>, never, PgClient.PgClient | Scope.Scope> =>
  Effect.suspend(() => makeWith(tables.make(options)))

/** @internal */
export const makeWith = (
  t: tables.Tables
): Effect.Effect<Context.Tag.Service<typeof Queue.Queue>, never, PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* PgClient.PgClient
    const sql = client.withoutTransforms()
    const query = (text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<rows.Row>, SqlError> =>
      sql.unsafe<rows.Row>(text, params)
    const wakeUps = yield* listener.make(listener.clientConfig(client.config), t.channel)
    const Q = t.queue

    const minRunAt = (items: ReadonlyArray<{ readonly runAt: number }>) => {
      let min = Infinity
      for (const item of items) if (item.runAt < min) min = item.runAt
      return min
    }

    // Re-enqueueing a queued id replaces its run time and ends its current claim; enqueueing it again at the same run
    // time changes nothing (and leaves a claim in place: its holder is already on it). Ids already queued at that time
    // are filtered out with a plain read first, so confirming work that is already queued (publish after the adapter
    // queued it with the deliveries) neither writes nor locks rows.
    const enqueueText = [
      `with input as (select * from unnest($1::text[], $2::bigint[]) as u(id, run_at)),`,
      `changed as (`,
      `  select i.id, i.run_at from input as i left join ${Q} as q on q.id = i.id`,
      `  where q.id is null or q.run_at <> i.run_at`,
      `), upserted as (`,
      `  insert into ${Q} as q (id, run_at) select id, run_at from changed`,
      `  on conflict (id) do update set run_at = excluded.run_at, lease_until = null, lease_token = null`,
      `  where q.run_at is distinct from excluded.run_at`,
      `)`,
      `select pg_notify($3, (select min(run_at) from input)::text)`
    ].join("\n")

    const claimText = [
      `with due as (`,
      `  select id, coalesce(lease_until, run_at) as due_at from ${Q}`,
      `  where coalesce(lease_until, run_at) <= $1::bigint`,
      `  order by coalesce(lease_until, run_at), id`,
      `  limit $2::bigint`,
      `  for update skip locked`,
      `), claimed as (`,
      `  update ${Q} as q set lease_until = $3::bigint, lease_token = $4 || q.id, claims = q.claims + 1`,
      `  from due where q.id = due.id`,
      `  returning q.id, q.run_at, q.claims, q.lease_token, due.due_at`,
      `)`,
      `select id, run_at, claims, lease_token from claimed order by due_at, id`
    ].join("\n")

    const completeText = `delete from ${Q} as q using unnest($1::text[], $2::text[]) as u(id, token) ` +
      `where q.id = u.id and q.lease_token = u.token`

    const rescheduleText = [
      `with moved as (`,
      `  update ${Q} as q set run_at = u.run_at, lease_until = null, lease_token = null`,
      `  from unnest($1::text[], $2::text[], $3::bigint[]) as u(id, token, run_at)`,
      `  where q.id = u.id and q.lease_token = u.token`,
      `  returning q.run_at`,
      `)`,
      `select pg_notify($4, s.at::text) from (select min(run_at) as at from moved) as s where s.at is not null`
    ].join("\n")

    const releaseText = [
      `with moved as (`,
      `  update ${Q} as q set lease_until = null, lease_token = null`,
      `  from unnest($1::text[], $2::text[]) as u(id, token)`,
      `  where q.id = u.id and q.lease_token = u.token`,
      `  returning q.run_at`,
      `)`,
      `select pg_notify($3, s.at::text) from (select min(run_at) as at from moved) as s where s.at is not null`
    ].join("\n")

    const nextText =
      `select coalesce(lease_until, run_at) as at from ${Q} order by coalesce(lease_until, run_at) limit 1`

    const service: Context.Tag.Service<typeof Queue.Queue> = {
      enqueue: (items: ReadonlyArray<QueueItem>) => {
        if (items.length === 0) return Effect.void
        const unique = lastById(items, (item) => item.id)
        return query(enqueueText, [unique.map((i) => i.id), unique.map((i) => i.runAt), t.channel]).pipe(
          Effect.zipRight(Effect.sync(() => wakeUps.wake(minRunAt(unique)))),
          mapQueue("PgQueue.enqueue")
        )
      },

      claim: ({ leaseMs, max, now }) => {
        if (!(max >= 1)) return Effect.succeed([])
        // Unique per claim call; the id makes it unique per item too.
        const token = `${randomUUID()}/`
        return query(claimText, [now, Math.floor(max), now + leaseMs, token]).pipe(
          Effect.map((claimed) =>
            claimed.map((row): ClaimedItem => ({
              id: row.id,
              runAt: rows.num(row.run_at),
              token: row.lease_token,
              claims: rows.num(row.claims)
            }))
          ),
          mapQueue("PgQueue.claim")
        )
      },

      complete: (items) => {
        if (items.length === 0) return Effect.void
        return query(completeText, [items.map((i) => i.id), items.map((i) => i.token)]).pipe(
          Effect.asVoid,
          mapQueue("PgQueue.complete")
        )
      },

      reschedule: (items) => {
        if (items.length === 0) return Effect.void
        const unique = lastById(items, (entry) => entry.item.id)
        return query(rescheduleText, [
          unique.map((e) => e.item.id),
          unique.map((e) => e.item.token),
          unique.map((e) => e.runAt),
          t.channel
        ]).pipe(
          Effect.zipRight(Effect.sync(() => wakeUps.wake(minRunAt(unique)))),
          mapQueue("PgQueue.reschedule")
        )
      },

      release: (items) => {
        if (items.length === 0) return Effect.void
        return query(releaseText, [items.map((i) => i.id), items.map((i) => i.token), t.channel]).pipe(
          Effect.zipRight(Effect.sync(() => wakeUps.wake(minRunAt(items)))),
          mapQueue("PgQueue.release")
        )
      },

      remove: (ids) => {
        if (ids.length === 0) return Effect.void
        return query(`delete from ${Q} where id = any($1::text[])`, [ids]).pipe(
          Effect.asVoid,
          mapQueue("PgQueue.remove")
        )
      },

      has: (ids) => {
        if (ids.length === 0) return Effect.succeed(new Set<string>())
        return query(`select id from ${Q} where id = any($1::text[])`, [ids]).pipe(
          Effect.map((found) => new Set(found.map((row) => row.id as string))),
          mapQueue("PgQueue.has")
        )
      },

      awaitWork: ({ maxWaitMs, now }) =>
        Effect.suspend(() => {
          if (!(maxWaitMs > 0)) return Effect.void
          // Subscribe first, then look: work enqueued after the look notifies this waiter.
          const waiter = wakeUps.subscribe(now + maxWaitMs)
          return query(nextText, []).pipe(
            Effect.flatMap(([row]) => {
              const next = row === undefined || row.at === null ? Infinity : rows.num(row.at)
              const wait = Math.min(maxWaitMs, next - now)
              if (!(wait > 0)) return Effect.void
              return Effect.asVoid(Effect.timeoutOption(Deferred.await(waiter.signal), Duration.millis(wait)))
            }),
            Effect.ensuring(Effect.sync(() => wakeUps.unsubscribe(waiter))),
            mapQueue("PgQueue.awaitWork")
          )
        })
    }
    return service
  })

/**
 * The Queue service as a layer. Requires a `PgClient` and migrated tables; use `PgAdapter.layer` for Storage and
 * Queue together with migrations.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Queue.Queue, never, PgClient.PgClient> =>
  Layer.scoped(Queue.Queue, make(options))

/**
 * The options read from `Config`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Queue.Queue, ConfigError.ConfigError, PgClient.PgClient> =>
  Layer.scoped(Queue.Queue, Effect.flatMap(Config.unwrap(config), make))

/** @internal */
export const layerWith = (t: tables.Tables): Layer.Layer<Queue.Queue, never, PgClient.PgClient | SqlClient.SqlClient> =>
  Layer.scoped(Queue.Queue, makeWith(t))
