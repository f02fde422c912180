/**
 * The queue table's SQL. First the statement pieces that write it: `PgQueue` uses them, and so does the adapter's
 * Storage, which writes queue rows inside its own statements when both share the database (publish, retry, settling
 * attempts): one text per rule, so that the two can never drift apart. Parameters are numbered from `from`, as in
 * `rows.deliveryUnnest`. Then `make`: every statement of `PgQueue`, built once per queue from its table names.
 *
 * @internal
 */
import * as dispatch from "../dispatch.js"
import type * as listener from "../listener.js"
import * as prepared from "../prepared.js"
import { byIds } from "../query.js"
import type { Query } from "../shared.js"
import type * as tables from "../tables.js"

/**
 * Queues the `(id, run_at)` rows that `select` yields. A queued id gets the new run time and loses its claim (its
 * holder's token goes stale); at the same run time nothing changes, and a claim stays in place: its holder is
 * already on it.
 */
export const upsert = (queue: string, select: string): string =>
  `insert into ${queue} as q (id, run_at) ${select} ` +
  `on conflict (id) do update set run_at = excluded.run_at, lease_until = null, lease_token = null ` +
  `where q.run_at is distinct from excluded.run_at`

/** Deletes claimed rows: `$<from>` ids and `$<from + 1>` tokens (a stale token matches nothing). */
export const complete = (queue: string, from: number): string =>
  `delete from ${queue} as q using unnest($${from}::text[], $${from + 1}::text[]) as u(id, token) ` +
  `where ${byIds("q", from)} and q.id = u.id and q.lease_token = u.token`

/**
 * Returns claimed rows to the queue, due at new run times, their claim count back to 0 (a result was recorded):
 * `$<from>` ids, `$<from + 1>` tokens, `$<from + 2>` run times (a stale token matches nothing). Returns the `run_at`
 * of the rows moved.
 */
export const reschedule = (queue: string, from: number): string =>
  `update ${queue} as q set run_at = u.run_at, lease_until = null, lease_token = null, claims = 0 ` +
  `from unnest($${from}::text[], $${from + 1}::text[], $${from + 2}::bigint[]) as u(id, token, run_at) ` +
  `where ${byIds("q", from)} and q.id = u.id and q.lease_token = u.token returning q.run_at`

/**
 * A statement's final `select`: one row whose `woke` is the earliest `run_at` of `source` (null when it is empty),
 * after a `pg_notify` of it on `channel`, only when there is one. The notification is delivered at commit: inside a
 * host transaction it wakes nobody before the rows are visible, and nobody if it rolls back. `columns` are further
 * select-list items (the statement's own result). `notified` is cast to text: clients that read every column
 * (Prisma's `$queryRaw`, for a publish in a Prisma transaction) cannot read a `void`.
 */
export const notifyEarliest = (channel: string, source: string, columns?: string): string =>
  `select ${columns === undefined ? "" : `${columns}, `}s.at as woke, ` +
  `(case when s.at is not null then pg_notify(${channel}, s.at::text) end)::text as notified ` +
  `from (select min(run_at) as at from ${source}) as s`

/** What every operation of `PgQueue` works with: its statements, how to run them, the wake-up line. */
export interface Queue {
  readonly query: Query
  readonly statements: Statements
  /** The table's notification channel (a statement parameter). */
  readonly channel: string
  readonly wakeUps: listener.Listener
}

/** The statements of `PgQueue`, for one queue table. */
export interface Statements {
  readonly enqueue: string
  readonly enqueueUnclaimed: string
  readonly claim: string
  readonly claimForDispatch: string
  readonly claimById: string
  readonly complete: string
  readonly reschedule: string
  readonly release: string
  readonly next: string
  readonly remove: string
  readonly has: string
}

/** The statements of the queue in `t`; the hot ones are marked for preparing (see `prepared.ts`). */
export const make = (t: tables.Tables): Statements => {
  const Q = t.queue

  // Re-enqueueing a queued id replaces its run time and ends its current claim; enqueueing it again at the same run
  // time changes nothing (and leaves a claim in place: its holder is already on it). Ids already queued at that time
  // are filtered out with a plain read first, so confirming work that is already queued (a retry after the adapter
  // queued the delivery with its transition) neither writes nor locks rows.
  const enqueueText = [
    `with input as (select * from unnest($1::text[], $2::bigint[]) as u(id, run_at)),`,
    `changed as (`,
    `  select i.id, i.run_at from input as i left join ${Q} as q on ${byIds("q", 1)} and q.id = i.id`,
    `  where q.id is null or q.run_at <> i.run_at`,
    `), upserted as (${upsert(Q, "select id, run_at from changed")})`,
    notifyEarliest("$3", "input")
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

  const completeText = complete(Q, 1)

  const rescheduleText = `with moved as (${reschedule(Q, 1)})\n${notifyEarliest("$4", "moved")}`

  const releaseText = [
    `with moved as (`,
    `  update ${Q} as q set lease_until = null, lease_token = null, claims = 0`,
    `  from unnest($1::text[], $2::text[]) as u(id, token)`,
    `  where ${byIds("q", 1)} and q.id = u.id and q.lease_token = u.token`,
    `  returning q.run_at`,
    `)`,
    notifyEarliest("$3", "moved")
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
    `), upserted as (${upsert(Q, "select id, run_at from free")})`,
    notifyEarliest("$4", "free", "array(select id from locked where held) as held")
  ].join("\n")

  // One row claimed by id, queued or not, unless its lease is still running at `$5` (then no row comes back).
  const claimByIdText = [
    `insert into ${Q} as q (id, run_at, lease_until, lease_token, claims) values ($1, $2::bigint, $3::bigint, $4, 1)`,
    `on conflict (id) do update set run_at = excluded.run_at, lease_until = excluded.lease_until,`,
    `  lease_token = excluded.lease_token, claims = 1`,
    `where q.lease_token is null or q.lease_until <= $5::bigint`,
    `returning q.lease_token`
  ].join("\n")

  const nextText = `select coalesce(lease_until, run_at) as at from ${Q} order by coalesce(lease_until, run_at) limit 1`

  // Every statement of the queue's hot path: prepared once per connection.
  for (
    const text of [enqueueText, claimText, claimForDispatchText, completeText, rescheduleText, releaseText, nextText]
  ) prepared.hot(text)

  return {
    enqueue: enqueueText,
    enqueueUnclaimed: enqueueUnclaimedText,
    claim: claimText,
    claimForDispatch: claimForDispatchText,
    claimById: claimByIdText,
    complete: completeText,
    reschedule: rescheduleText,
    release: releaseText,
    next: nextText,
    remove: `delete from ${Q} where id = any($1::text[])`,
    has: `select id from ${Q} where id = any($1::text[])`
  }
}
