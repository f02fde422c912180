/**
 * Retention and erasure on any Storage that supports them (memory and Postgres do): `prune` deletes what is older
 * than an age — finished messages with their deliveries and attempts, and old attempts of finished deliveries, never
 * pending work; `expunge` empties one message's body for an erasure request (kept: its id, type, time and its
 * deliveries' outcomes; its pending deliveries are cancelled, its attempts' response bodies cleared); `layer` prunes
 * on a schedule for as long as it lives (the Promise API's `retention` option runs it inside `start()`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as EnvConfig from "./EnvConfig.js"
import { NotFound, StorageError, ValidationError } from "./Errors.js"
import * as validate from "./internal/validate.js"
import * as guard from "./internal/webhooks/guard.js"
import * as wholeMs from "./internal/wholeMs.js"
import { Storage } from "./Storage.js"
import type { PruneResult } from "./Storage.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PruneOptions {
  /** Delete what is older than this, e.g. `"30 days"` (a positive duration). */
  readonly olderThan: Duration.DurationInput
  /** Rows per batch. Default 1,000. */
  readonly batchSize?: number | undefined
  /** Batches per pass and sweep (the next sweep continues). Default 1,000. */
  readonly maxBatches?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type { PruneResult }

const unsupported = (what: string) =>
  new StorageError({
    code: "unknown",
    message:
      `This Storage adapter does not support ${what}: use @hookwire/memory or @hookwire/postgres, or implement ` +
      `Storage.${what === "pruning" ? "pruneOlderThan" : "expungeMessage"} in the adapter`
  })

const MIN_AGE_MS = 1

const positive = (value: number | undefined, fallback: number, field: string): Effect.Effect<number, ValidationError> =>
  value === undefined
    ? Effect.succeed(fallback)
    : Number.isInteger(value) && value > 0
    ? Effect.succeed(value)
    : Effect.fail(
      new ValidationError({ code: "invalid_option", field, message: `${field} must be a positive whole number` })
    )

const ageMs = (olderThan: unknown): Effect.Effect<number, ValidationError> =>
  Effect.suspend(() => {
    const decoded = Duration.decodeUnknown(olderThan)
    // Whole milliseconds: `now - ms` is handed to Storage (see internal/wholeMs.ts).
    const ms = decoded._tag === "Some" ? wholeMs.ceil(Duration.toMillis(decoded.value)) : NaN
    return ms >= MIN_AGE_MS && Number.isFinite(ms)
      ? Effect.succeed(ms)
      : Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "olderThan",
          message: `olderThan must be a positive duration, like "30 days"; got ${validate.describe(olderThan)}`
        })
      )
  })

/**
 * Deletes what is older than `olderThan`: messages whose deliveries are all final (delivered, failed or cancelled),
 * with their deliveries and attempts, then the attempts of finished deliveries. Pending work is never touched.
 *
 * @since 0.1.0
 * @category combinators
 */
export const prune = Effect.fn("Retention.prune")(function*(input: PruneOptions) {
  // Read once, into a plain copy: `null` or a throwing getter is a typed error (internal/webhooks/guard.ts).
  const copy = guard.snapshot(input, "options")
  if (copy instanceof ValidationError) return yield* copy
  const options = copy as unknown as PruneOptions
  const storage = yield* Storage
  const olderThanMs = yield* ageMs(options.olderThan)
  const batchSize = yield* positive(options.batchSize, 1_000, "batchSize")
  const maxBatches = yield* positive(options.maxBatches, 1_000, "maxBatches")
  if (storage.pruneOlderThan === undefined) return yield* unsupported("pruning")
  const now = yield* Clock.currentTimeMillis
  return yield* storage.pruneOlderThan(now - olderThanMs, { batchSize, maxBatches })
})

/**
 * Empties one message's body (an erasure request): its id, type, channels, time and its deliveries' outcomes stay;
 * its pending deliveries are cancelled (nothing is left to send) and its attempts' response bodies cleared. Fails
 * with `NotFound` for a message of another tenant or none.
 *
 * @since 0.1.0
 * @category combinators
 */
export const expunge = Effect.fn("Retention.expunge")(
  function*(given: { readonly tenant: string; readonly id: string }) {
    const copy = guard.snapshot(given, "input")
    if (copy instanceof ValidationError) return yield* copy
    const id = validate.checkId(copy!.id, "id")
    if (id instanceof ValidationError) return yield* id
    const input = { tenant: copy!.tenant, id: id! }
    const storage = yield* Storage
    const tenant = yield* validate.tenant(input.tenant)
    if (storage.expungeMessage === undefined) return yield* unsupported("expunging")
    const now = yield* Clock.currentTimeMillis
    const result = yield* storage.expungeMessage(tenant, String(input.id), now)
    if (result === undefined) {
      return yield* new NotFound({
        code: "message_not_found",
        id: String(input.id),
        message: `No message ${input.id} for tenant ${tenant}`
      })
    }
    return { id: String(input.id), cancelledDeliveries: result.cancelled.length }
  }
)

/**
 * @since 0.1.0
 * @category models
 */
export interface ScheduleOptions extends PruneOptions {
  /** Time between sweeps (the first runs at start). Default 1 hour. */
  readonly every?: Duration.DurationInput | undefined
}

/**
 * Prunes every `every` (default 1 hour, first at start) for as long as the layer lives. A failed sweep is logged at
 * `warn` and tried again at the next interval; bad options fail the layer at once.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: ScheduleOptions): Layer.Layer<never, ValidationError, Storage> =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      yield* ageMs(options.olderThan)
      const every = Duration.decodeUnknown(options.every ?? "1 hour")
      if (every._tag === "None" || Duration.toMillis(every.value) < 1_000) {
        return yield* new ValidationError({
          code: "invalid_option",
          field: "every",
          message: `retention.every must be a duration of at least one second, like "1 hour"`
        })
      }
      yield* prune(options).pipe(
        Effect.tap((result) => Effect.logDebug("retention: sweep done", result)),
        Effect.catchAllCause((cause) => Effect.logWarning("retention: sweep failed; trying again later", cause)),
        Effect.repeat(Schedule.spaced(every.value)),
        Effect.forkScoped
      )
    })
  )

/**
 * The schedule from the environment: `HOOKWIRE_RETENTION_OLDER_THAN` (required, a positive duration such as
 * "30 days"), and optionally `HOOKWIRE_RETENTION_EVERY` (a duration of at least 1 second),
 * `HOOKWIRE_RETENTION_BATCH_SIZE` and `HOOKWIRE_RETENTION_MAX_BATCHES` (whole numbers of at least 1). A bad or
 * missing value is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<ScheduleOptions> = Config.all({
  olderThan: EnvConfig.duration("HOOKWIRE_RETENTION_OLDER_THAN", { min: Duration.millis(MIN_AGE_MS) }),
  every: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_RETENTION_EVERY", { min: Duration.seconds(1) })),
  batchSize: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_RETENTION_BATCH_SIZE", { min: 1 })),
  maxBatches: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_RETENTION_MAX_BATCHES", { min: 1 }))
})

/**
 * `layer` with its schedule read from `Config` (by default `defaultConfig`, the `HOOKWIRE_RETENTION_*` environment).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<ScheduleOptions> = defaultConfig
): Layer.Layer<never, ConfigError.ConfigError | ValidationError, Storage> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
