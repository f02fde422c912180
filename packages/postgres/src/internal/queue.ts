/**
 * Statement pieces that write the queue table. `PgQueue` uses them, and so does the adapter's Storage, which writes
 * queue rows inside its own statements when both share the database (publish, retry, settling attempts): one text
 * per rule, so that the two can never drift apart. Parameters are numbered from `from`, as in `rows.deliveryUnnest`.
 *
 * @internal
 */
import { byIds } from "./query.js"

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
