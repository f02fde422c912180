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
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Errors from "@hookwire/core/Errors"
import * as Id from "@hookwire/core/Id"
import * as Retention from "@hookwire/core/Retention"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as internalConfig from "./internal/config.js"
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
 * `run`'s options and how often `layer` runs it.
 *
 * @since 0.2.0
 * @category models
 */
export interface LayerOptions extends Options {
  /** Time between sweeps (the first runs at start). Default 1 hour; at least 1 second. */
  readonly every?: Duration.DurationInput | undefined
}

interface Resolved {
  readonly t: tables.Tables
  readonly olderThanMs: number
  readonly batchSize: number
  readonly maxBatches: number
  readonly every: Duration.Duration
}

const duration = (name: string, value: unknown, min: Duration.Duration, example: string): Duration.Duration => {
  const decoded = Duration.decodeUnknown(value)
  if (Option.isNone(decoded) || !Duration.isFinite(decoded.value) || Duration.lessThan(decoded.value, min)) {
    throw Errors.invalidOption(
      name,
      `PgRetention: ${name} must be a finite duration of at least ${Duration.format(min)}, like "${example}"; got ${
        String(value)
      }`
    )
  }
  return decoded.value
}

const whole = (name: string, value: number | undefined): number => {
  if (value === undefined) return 1_000
  if (!(Number.isSafeInteger(value) && value >= 1)) {
    throw Errors.invalidOption(name, `PgRetention: ${name} must be a whole number of at least 1; got ${value}`)
  }
  return value
}

// Throws a ValidationError for the first bad option (see `Errors.checkOptions`).
const resolve = (options: LayerOptions): Resolved => ({
  t: tables.make(options),
  olderThanMs: Duration.toMillis(duration("olderThan", options.olderThan, Duration.millis(1), "30 days")),
  batchSize: whole("batchSize", options.batchSize),
  maxBatches: whole("maxBatches", options.maxBatches),
  every: options.every === undefined
    ? Duration.hours(1)
    : duration("every", options.every, Duration.seconds(1), "1 hour")
})

const runResolved = (resolved: Resolved): Effect.Effect<Result, Errors.StorageError, SqlClient.SqlClient> =>
  Effect.flatMap(
    Clock.currentTimeMillis,
    (now) => sweep(resolved.t, now - resolved.olderThanMs, resolved)
  )

/**
 * One sweep, now. Requires a `SqlClient`. A bad option fails it with a `ValidationError` (`invalid_option`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const run = (
  options: Options
): Effect.Effect<Result, Errors.StorageError | Errors.ValidationError, SqlClient.SqlClient> =>
  Effect.flatMap(Errors.checkOptions(() => resolve(options)), runResolved)

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
): Effect.Effect<Result, Errors.StorageError, SqlClient.SqlClient> =>
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

const schedule = (resolved: Resolved): Layer.Layer<never, never, SqlClient.SqlClient> =>
  Layer.scopedDiscard(
    runResolved(resolved).pipe(
      Effect.tap((result) => Effect.logDebug("PgRetention: sweep done", result)),
      Effect.catchAllCause((cause) => Effect.logWarning("PgRetention: sweep failed; trying again later", cause)),
      Effect.repeat(Schedule.spaced(resolved.every)),
      Effect.forkScoped
    )
  )

/**
 * Sweeps every `every` (default 1 hour, first sweep at start) for as long as the layer lives. A failed sweep is
 * logged and retried at the next interval; a bad option fails the layer at once with a `ValidationError`
 * (`invalid_option`) naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: LayerOptions): Layer.Layer<never, Errors.ValidationError, SqlClient.SqlClient> =>
  Layer.unwrapEffect(Effect.map(Errors.checkOptions(() => resolve(options)), schedule))

/**
 * The schedule from the environment: core's `Retention.defaultConfig` (`HOOKWIRE_RETENTION_OLDER_THAN`, required;
 * `HOOKWIRE_RETENTION_EVERY`, `HOOKWIRE_RETENTION_BATCH_SIZE`, `HOOKWIRE_RETENTION_MAX_BATCHES`) and where the tables
 * are (`HOOKWIRE_DATABASE_SCHEMA`, `HOOKWIRE_TABLE_PREFIX`). A bad or missing value is a `ConfigError` naming the
 * variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<LayerOptions> = Config.map(
  Config.all([Retention.defaultConfig, internalConfig.tableOptions]),
  ([schedule, where]) => ({ ...schedule, ...where })
)

/**
 * `layer` with its options read from `Config` (by default `defaultConfig`). A bad value, from any `Config`, fails the
 * layer with a `ConfigError`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<LayerOptions> = defaultConfig
): Layer.Layer<never, ConfigError.ConfigError, SqlClient.SqlClient> =>
  Layer.unwrapEffect(
    Effect.flatMap(Config.unwrap(config), (options) =>
      Effect.map(EnvConfig.checkOptions(() => resolve(options)), schedule))
  )
