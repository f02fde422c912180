/**
 * The Sweeper closes the gap between two systems. When Storage and the DeliveryQueue are different (PostgreSQL records,
 * a Redis queue), `publish` writes the deliveries, then enqueues them: a crash between the two writes would leave pending
 * deliveries that no worker will ever claim. The sweeper periodically lists pending deliveries that are due in
 * storage (with a grace period, so it never races a publish in progress) — and pending deliveries with no next
 * attempt time at all, which older versions wrote — asks the queue which of them it holds, and enqueues the missing
 * ones. Enqueueing an id that is already queued is harmless, so running a sweeper in every worker process is safe.
 * With one system for both (memory, or PostgreSQL alone) a publish cannot strand a delivery, but `sweep` works there
 * too: run it once after upgrading from a version that left pending deliveries without a next attempt time.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { DeliveryQueue } from "./DeliveryQueue.js"
import * as EnvConfig from "./EnvConfig.js"
import { checkOptions, invalidOption, type ValidationError } from "./Errors.js"
import * as wholeMs from "./internal/wholeMs.js"
import { Storage } from "./Storage.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How often to sweep. Default 30 seconds. */
  readonly interval?: Duration.DurationInput | undefined
  /**
   * Only deliveries due at least this long ago (or, without a next attempt time, not updated for this long) are
   * considered missing. Default 1 minute.
   */
  readonly grace?: Duration.DurationInput | undefined
  /** Deliveries examined per round trip. Default 1,000. */
  readonly batchSize?: number | undefined
  /** Most deliveries examined in one sweep. Default 100,000. */
  readonly maxPerSweep?: number | undefined
}

/**
 * One sweep: returns how many deliveries were re-enqueued.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sweep = (options: Options = {}): Effect.Effect<number, unknown, Storage | DeliveryQueue> =>
  Effect.gen(function*() {
    const storage = yield* Storage
    const queue = yield* DeliveryQueue
    // Whole milliseconds: `before` is handed to Storage (see internal/wholeMs.ts).
    const graceMs = wholeMs.ceil(Duration.toMillis(options.grace ?? Duration.minutes(1)))
    const batchSize = options.batchSize ?? 1_000
    const maxPerSweep = options.maxPerSweep ?? 100_000
    const now = yield* Clock.currentTimeMillis
    const before = now - graceMs
    let examined = 0
    let requeued = 0
    let after: { readonly nextAttemptAt: number | null; readonly id: string } | undefined
    while (examined < maxPerSweep) {
      const due = yield* storage.duePendingDeliveries(before, batchSize, after)
      if (due.length === 0) break
      examined += due.length
      const held = yield* queue.has(due.map((d) => d.id))
      const missing = due.filter((d) => !held.has(d.id))
      if (missing.length > 0) {
        // A delivery without a next attempt time (written by an older version) is due now.
        yield* queue.enqueue(missing.map((d) => ({ id: d.id, runAt: d.nextAttemptAt ?? now })))
        requeued += missing.length
      }
      if (due.length < batchSize) break
      after = due[due.length - 1]
    }
    if (requeued > 0) {
      yield* Effect.logWarning(`Sweeper: re-enqueued ${requeued} pending deliveries missing from the queue`)
    }
    return requeued
  }).pipe(Effect.withSpan("Sweeper.sweep"))

const durationAtLeast = (name: string, value: Duration.DurationInput | undefined, min: Duration.Duration) => {
  if (value === undefined) return
  const decoded = Duration.decodeUnknown(value)
  if (Option.isNone(decoded) || Duration.lessThan(decoded.value, min)) {
    throw invalidOption(
      `sweeper.${name}`,
      `Invalid sweeper ${name} ${String(value)}: use a duration of at least ${Duration.format(min)}, like "30 seconds"`
    )
  }
}

const wholeAtLeastOne = (name: string, value: number | undefined) => {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) {
    throw invalidOption(`sweeper.${name}`, `Invalid sweeper ${name} ${value}: use a whole number of at least 1`)
  }
}

// Throws a ValidationError for the first bad option (see `Errors.checkOptions`).
const check = (options: Options): Options => {
  durationAtLeast("interval", options.interval, Duration.millis(1))
  durationAtLeast("grace", options.grace, Duration.zero)
  wholeAtLeastOne("batchSize", options.batchSize)
  wholeAtLeastOne("maxPerSweep", options.maxPerSweep)
  return options
}

const run = (options: Options): Layer.Layer<never, never, Storage | DeliveryQueue> =>
  Layer.scopedDiscard(
    Effect.forkScoped(
      sweep(options).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("Sweeper: sweep failed", cause)),
        Effect.repeat(Schedule.spaced(options.interval ?? Duration.seconds(30)))
      )
    )
  )

/**
 * Sweeps every `interval` for the lifetime of the layer; failures are logged and the next sweep runs as usual. A bad
 * option fails the layer with a `ValidationError` (`invalid_option`, field `sweeper.<option>`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<never, ValidationError, Storage | DeliveryQueue> =>
  Layer.unwrapEffect(Effect.map(checkOptions(() => check(options)), run))

/**
 * The sweeper's options from the environment, each optional: `HOOKWIRE_SWEEPER_INTERVAL` (a duration of at least 1
 * second), `HOOKWIRE_SWEEPER_GRACE` (a duration), `HOOKWIRE_SWEEPER_BATCH_SIZE` and `HOOKWIRE_SWEEPER_MAX_PER_SWEEP`
 * (whole numbers of at least 1). A bad value is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = Config.all({
  interval: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_SWEEPER_INTERVAL", { min: Duration.seconds(1) })),
  grace: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_SWEEPER_GRACE", { min: Duration.zero })),
  batchSize: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_SWEEPER_BATCH_SIZE", { min: 1 })),
  maxPerSweep: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_SWEEPER_MAX_PER_SWEEP", { min: 1 }))
})

/**
 * `layer` with its options read from `Config` (by default `defaultConfig`, the `HOOKWIRE_SWEEPER_*` environment). A
 * bad value, from any `Config`, fails the layer with a `ConfigError`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<never, ConfigError.ConfigError, Storage | DeliveryQueue> =>
  Layer.unwrapEffect(
    Effect.flatMap(Config.unwrap(config), (options) => Effect.map(EnvConfig.checkOptions(() => check(options)), run))
  )
