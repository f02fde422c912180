/**
 * Retention: deletes what is older than a configured age, in bounded batches — never one giant DELETE that would
 * hold locks and bloat WAL for minutes. Two passes:
 *
 * 1. messages created before the cutoff whose deliveries are all final (delivered, failed or cancelled), with their
 *    deliveries and those deliveries' attempts. A message with a pending delivery is never touched, and a delivery
 *    that becomes pending meanwhile (recover, retry) keeps itself and its message;
 * 2. attempts started before the cutoff, except those of pending deliveries.
 *
 * Both passes walk the primary keys: ids are time-ordered and never sort before their record's time, so everything
 * older than the cutoff sorts below the cutoff's id bound. Each batch is one short transaction; concurrent runs (one
 * per worker process, say) skip each other's rows.
 * `run` does one sweep now; `layer` sweeps periodically in the background.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { StorageError } from "@hookwire/core/Errors"
import * as Id from "@hookwire/core/Id"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { mapStorage } from "./internal/errors.js"
import * as rows from "./internal/rows.js"
import * as tables from "./internal/tables.js"
import type * as PgMigrator from "./PgMigrator.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends PgMigrator.Options {
  /** Delete what is older than this, e.g. `"30 days"`. */
  readonly olderThan: Duration.DurationInput
  /** Rows (messages, or attempts) per batch. Default 1,000. */
  readonly batchSize?: number | undefined
  /** Stop a sweep after this many batches per pass (the next sweep continues). Default 1,000. */
  readonly maxBatches?: number | undefined
}

/**
 * What one sweep deleted.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly messages: number
  readonly deliveries: number
  readonly attempts: number
}

/**
 * One sweep, now. Requires a `SqlClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (options: Options): Effect.Effect<Result, StorageError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const olderThanMs = Duration.toMillis(Duration.decode(options.olderThan))
    const cutoff = (yield* Clock.currentTimeMillis) - olderThanMs
    return yield* sweep(tables.make(options), cutoff, {
      batchSize: Math.max(1, Math.floor(options.batchSize ?? 1_000)),
      maxBatches: Math.max(1, Math.floor(options.maxBatches ?? 1_000))
    })
  })

/**
 * One sweep of everything older than `cutoff` (epoch ms) in the tables `t`: `run`'s work, and the Postgres
 * Storage's `pruneOlderThan` (core's `Retention.prune`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const sweep = (
  t: tables.Tables,
  cutoff: number,
  { batchSize, maxBatches }: { readonly batchSize: number; readonly maxBatches: number }
): Effect.Effect<Result, StorageError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const query = (text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<rows.Row>, SqlError> =>
      sql.unsafe<rows.Row>(text, params)

    // Pass 1, step 1: lock a batch of old messages with no pending delivery, delete their final deliveries and
    // those deliveries' attempts. A delivery moved to pending since the batch was chosen fails the status check
    // (re-read under its row lock) and stays.
    const deliveriesText = [
      `with doomed as (`,
      `  select m.id from ${t.messages} as m`,
      `  where m.id < $3 and m.created_at < $1::bigint`,
      `    and not exists (select 1 from ${t.deliveries} as p where p.message_id = m.id and p.status = 'pending')`,
      `  order by m.id limit $2::bigint for update skip locked`,
      `), gone as (`,
      `  delete from ${t.deliveries} as d using doomed where d.message_id = doomed.id and d.status <> 'pending'`,
      `  returning d.id`,
      `), gone_attempts as (`,
      `  delete from ${t.attempts} as a using gone where a.delivery_id = gone.id returning 1`,
      `)`,
      `select coalesce((select array_agg(id) from doomed), '{}') as ids,`,
      `  (select count(*) from gone)::int as deliveries, (select count(*) from gone_attempts)::int as attempts`
    ].join("\n")
    // Step 2, a new snapshot in the same transaction: the messages left with no delivery at all.
    const messagesText = `with gone as (delete from ${t.messages} as m where m.id = any($1::text[]) ` +
      `and not exists (select 1 from ${t.deliveries} as d where d.message_id = m.id) returning 1) ` +
      `select count(*)::int as n from gone`
    const attemptsText = [
      `with doomed as (`,
      `  select a.id from ${t.attempts} as a where a.id < $3 and a.started_at < $1::bigint`,
      `    and not exists (select 1 from ${t.deliveries} as d where d.id = a.delivery_id and d.status = 'pending')`,
      `  order by a.id limit $2::bigint for update skip locked`,
      `), gone as (delete from ${t.attempts} as a using doomed where a.id = doomed.id returning 1)`,
      `select count(*)::int as n from gone`
    ].join("\n")

    let messages = 0
    let deliveries = 0
    let attempts = 0
    for (let batch = 0; batch < maxBatches; batch++) {
      const [found, removed] = yield* sql.withTransaction(
        Effect.gen(function*() {
          const [row] = yield* query(deliveriesText, [cutoff, batchSize, Id.lowerBound("msg", Math.max(0, cutoff))])
          const ids: ReadonlyArray<string> = row?.ids ?? []
          deliveries += rows.num(row?.deliveries ?? 0)
          attempts += rows.num(row?.attempts ?? 0)
          if (ids.length === 0) return [0, 0] as const
          const [gone] = yield* query(messagesText, [ids])
          return [ids.length, rows.num(gone?.n ?? 0)] as const
        })
      )
      messages += removed
      if (found < batchSize) break
    }
    for (let batch = 0; batch < maxBatches; batch++) {
      const [row] = yield* query(attemptsText, [cutoff, batchSize, Id.lowerBound("atm", Math.max(0, cutoff))])
      const n = rows.num(row?.n ?? 0)
      attempts += n
      if (n < batchSize) break
    }
    return { messages, deliveries, attempts }
  }).pipe(mapStorage("PgRetention.run"), Effect.withSpan("PgRetention.sweep"))

/**
 * Sweeps every `every` (default 1 hour, first sweep at start) for as long as the layer lives. A failed sweep is
 * logged and retried at the next interval.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options & { readonly every?: Duration.DurationInput | undefined }
): Layer.Layer<never, never, SqlClient.SqlClient> =>
  Layer.scopedDiscard(
    run(options).pipe(
      Effect.tap((result) => Effect.logDebug("PgRetention: sweep done", result)),
      Effect.catchAllCause((cause) => Effect.logWarning("PgRetention: sweep failed; trying again later", cause)),
      Effect.repeat(Schedule.spaced(options.every ?? Duration.hours(1))),
      Effect.forkScoped
    )
  )
