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
 * In `PgAdapter`, where Storage shares the database, the queue also has `claimForDispatch`: the claim and the claimed
 * deliveries' dispatch contexts in one statement.
 *
 * @since 0.1.0
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { ClaimedForDispatch, ClaimedItem, QueueItem } from "@hookwire/core/DeliveryQueue"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type { QueueError } from "@hookwire/core/Errors"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as internalConfig from "./internal/config.js"
import * as dispatch from "./internal/dispatch.js"
import { mapQueue } from "./internal/errors.js"
import * as listener from "./internal/listener.js"
import * as prepared from "./internal/prepared.js"
import { byIds, lastById } from "./internal/query.js"
import * as queue from "./internal/queue.js"
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
   * Storage shares the database (`PgAdapter`): `claimForDispatch` loads the claimed deliveries' dispatch contexts in
   * the claim's own statement.
   */
  readonly sharedStorage: boolean
  /** The wake-up line, when the adapter shares it with its Storage; made here otherwise. */
  readonly wakeUps?: listener.Listener | undefined
}

/**
 * The wake-up line of the queue's channel, on its own connection configured like the `PgClient`'s, in the current
 * scope.
 *
 * @internal
 */
export const listen = (t: tables.Tables): Effect.Effect<listener.Listener, never, PgClient.PgClient | Scope.Scope> =>
  Effect.flatMap(PgClient.PgClient, (client) => listener.make(listener.clientConfig(client.config), t.channel))

/**
 * Builds the Queue service in the current scope (which owns its LISTEN connection). Requires a `PgClient`; the
 * tables must exist (see `PgMigrator`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>, never, PgClient.PgClient | Scope.Scope> =>
  Effect.suspend(() => makeWith(tables.make(options), { sharedStorage: false }))

/** @internal */
export const makeWith = (
  t: tables.Tables,
  internal: InternalOptions
): Effect.Effect<Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>, never, PgClient.PgClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = (yield* PgClient.PgClient).withoutTransforms()
    const query = (text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<rows.Row>, SqlError> =>
      sql.unsafe<rows.Row>(text, params)
    const wakeUps = internal.wakeUps ?? (yield* listen(t))
    const Q = t.queue

    const minRunAt = (items: ReadonlyArray<{ readonly runAt: number }>) => {
      let min = Infinity
      for (const item of items) if (item.runAt < min) min = item.runAt
      return min
    }

    // Re-enqueueing a queued id replaces its run time and ends its current claim; enqueueing it again at the same run
    // time changes nothing (and leaves a claim in place: its holder is already on it). Ids already queued at that time
    // are filtered out with a plain read first, so confirming work that is already queued (a retry after the adapter
    // queued the delivery with its transition) neither writes nor locks rows.
    const enqueueText = [
      `with input as (select * from unnest($1::text[], $2::bigint[]) as u(id, run_at)),`,
      `changed as (`,
      `  select i.id, i.run_at from input as i left join ${Q} as q on ${byIds("q", 1)} and q.id = i.id`,
      `  where q.id is null or q.run_at <> i.run_at`,
      `), upserted as (${queue.upsert(Q, "select id, run_at from changed")})`,
      queue.notifyEarliest("$3", "input")
    ].join("\n")

    // The claim's CTEs: `claimed` holds the rows claimed, with `due_at`, the order in which they are handed out.
    const claimHead = [
      `with due as (`,
      `  select id, coalesce(lease_until, run_at) as due_at from ${Q}`,
      `  where coalesce(lease_until, run_at) <= $1::bigint`,
      `  order by coalesce(lease_until, run_at), id`,
      `  limit $2::bigint`,
      `  for update skip locked`,
      `), claimed as (`,
      `  update ${Q} as q set lease_until = $3::bigint, lease_token = $4 || q.id, claims = q.claims + 1`,
      `  from due where ${byIds("q", "array(select id from due)")} and q.id = due.id`,
      `  returning q.id, q.run_at, q.claims, q.lease_token, due.due_at`,
      `)`
    ].join("\n")

    const claimText = `${claimHead}\nselect id, run_at, claims, lease_token from claimed order by due_at, id`

    // The claim, then the claimed deliveries' dispatch contexts: the items as one JSON array, in claim order.
    const claimForDispatchText = [
      `${claimHead},`,
      dispatch.deliveriesCte(t, "= any(array(select id from claimed))"),
      `select`,
      `coalesce((select json_agg(json_build_array(id, run_at, claims, lease_token) order by due_at, id) from claimed),`,
      `  '[]')::text as items,`,
      // When work is next due among the rows this claim did not take (their due times as of its snapshot).
      `(select coalesce(lease_until, run_at) from ${Q} where id not in (select id from claimed)`,
      `  order by coalesce(lease_until, run_at) limit 1) as next_at,`,
      dispatch.columns(t)
    ].join("\n")

    const completeText = queue.complete(Q, 1)

    const rescheduleText = `with moved as (${queue.reschedule(Q, 1)})\n${queue.notifyEarliest("$4", "moved")}`

    const releaseText = [
      `with moved as (`,
      `  update ${Q} as q set lease_until = null, lease_token = null, claims = 0`,
      `  from unnest($1::text[], $2::text[]) as u(id, token)`,
      `  where ${byIds("q", 1)} and q.id = u.id and q.lease_token = u.token`,
      `  returning q.run_at`,
      `)`,
      queue.notifyEarliest("$3", "moved")
    ].join("\n")

    // `enqueue`, except for rows whose lease is still running: locked first (a claim in progress is waited for, and
    // skips these rows afterwards), left with their holder, and returned.
    const enqueueUnclaimedText = [
      `with input as (select * from unnest($1::text[], $2::bigint[]) as u(id, run_at)),`,
      `locked as (`,
      `  select q.id, q.lease_token is not null and q.lease_until > $3::bigint as held from ${Q} as q`,
      `  where ${byIds("q", 1)} for update`,
      `), free as (`,
      `  select i.id, i.run_at from input as i where not exists (select 1 from locked as l where l.id = i.id and l.held)`,
      `), upserted as (${queue.upsert(Q, "select id, run_at from free")})`,
      queue.notifyEarliest("$4", "free", "array(select id from locked where held) as held")
    ].join("\n")

    const nextText =
      `select coalesce(lease_until, run_at) as at from ${Q} order by coalesce(lease_until, run_at) limit 1`

    // Every statement of the queue runs on the hot path: prepared once per connection (internal/prepared).
    for (
      const text of [enqueueText, claimText, claimForDispatchText, completeText, rescheduleText, releaseText, nextText]
    ) prepared.hot(text)

    // The token is unique per claim call; the id makes it unique per item too.
    const claimParams = (
      max: number,
      leaseMs: number,
      now: number
    ) => [now, Math.floor(max), now + leaseMs, `${randomUUID()}/`]

    // What the last `claimForDispatch` learnt about the rest of the queue (see `awaitWork`), used once.
    let hint: { readonly wakesBefore: number; readonly next: number } | undefined

    const claimForDispatch = (
      { leaseMs, max, now }: { readonly max: number; readonly leaseMs: number; readonly now: number }
    ): Effect.Effect<ReadonlyArray<ClaimedForDispatch>, QueueError> => {
      if (!(max >= 1)) return Effect.succeed([])
      return Effect.suspend(() => {
        const wakesBefore = wakeUps.wakes()
        return query(claimForDispatchText, claimParams(max, leaseMs, now)).pipe(
          Effect.map(([row]) => {
            const contexts = dispatch.parse(row)
            const claimed = (JSON.parse(row?.items ?? "[]") as Array<[string, number, number, string]>).map(
              ([id, runAt, claims, token]): ClaimedForDispatch => ({
                item: { id, runAt, token, claims },
                context: contexts.get(id)
              })
            )
            const unclaimed = row?.next_at === null || row?.next_at === undefined ? Infinity : rows.num(row.next_at)
            hint = { wakesBefore, next: claimed.length > 0 ? Math.min(unclaimed, now + leaseMs) : unclaimed }
            return claimed
          }),
          mapQueue("PgQueue.claimForDispatch")
        )
      })
    }

    const service: Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue> = {
      enqueue: (items: ReadonlyArray<QueueItem>) => {
        if (items.length === 0) return Effect.void
        const unique = lastById(items, (item) => item.id)
        return query(enqueueText, [unique.map((i) => i.id), unique.map((i) => i.runAt), t.channel]).pipe(
          Effect.zipRight(Effect.sync(() => wakeUps.wake(minRunAt(unique)))),
          mapQueue("PgQueue.enqueue")
        )
      },

      enqueueUnclaimed: (items, now) => {
        if (items.length === 0) return Effect.succeed(new Set<string>())
        const unique = lastById(items, (item) => item.id)
        return query(enqueueUnclaimedText, [unique.map((i) => i.id), unique.map((i) => i.runAt), now, t.channel]).pipe(
          Effect.map(([row]) => {
            const held = new Set<string>((row?.held ?? []) as Array<string>)
            const woke = unique.filter((item) => !held.has(item.id))
            if (woke.length > 0) wakeUps.wake(minRunAt(woke))
            return held as ReadonlySet<string>
          }),
          mapQueue("PgQueue.enqueueUnclaimed")
        )
      },

      claim: ({ leaseMs, max, now }) => {
        if (!(max >= 1)) return Effect.succeed([])
        return query(claimText, claimParams(max, leaseMs, now)).pipe(
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

      // Only where Storage is in the same database: otherwise the dispatcher loads through its own Storage.
      ...(internal.sharedStorage ? { claimForDispatch } : {}),

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
          const sleep = (next: number) => {
            const wait = Math.min(maxWaitMs, next - now)
            if (!(wait > 0)) return Effect.void
            return DeliveryQueue.awaitSignal(waiter.signal, wait)
          }
          // The last claim already told when the rest is due. Nothing notified since it was sent (and the LISTEN
          // connection up throughout) means nothing was enqueued since its snapshot: no need to look again.
          const known = hint
          hint = undefined
          const look = known !== undefined && known.wakesBefore === wakeUps.wakes() && wakeUps.isConnected()
            ? sleep(known.next)
            : query(nextText, []).pipe(
              Effect.flatMap(([row]) => sleep(row === undefined || row.at === null ? Infinity : rows.num(row.at))),
              mapQueue("PgQueue.awaitWork")
            )
          return Effect.ensuring(look, Effect.sync(() => wakeUps.unsubscribe(waiter)))
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
export const layer = (options: Options = {}): Layer.Layer<DeliveryQueue.DeliveryQueue, never, PgClient.PgClient> =>
  Layer.scoped(DeliveryQueue.DeliveryQueue, make(options))

/**
 * Where the tables are, from the environment: `HOOKWIRE_DATABASE_SCHEMA` and `HOOKWIRE_TABLE_PREFIX` (both
 * optional). A bad name is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = internalConfig.tableOptions

/**
 * The Queue with its options read from `Config` (by default `defaultConfig`). A bad table name, from any `Config`,
 * fails the layer with a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<DeliveryQueue.DeliveryQueue, ConfigError.ConfigError, PgClient.PgClient> =>
  Layer.scoped(DeliveryQueue.DeliveryQueue, Effect.flatMap(internalConfig.unwrap(config), make))
