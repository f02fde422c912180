/**
 * The Dispatcher claims due deliveries from the Queue with a lease, sends them (signed with every active secret of
 * the endpoint) through the Transport, records every attempt, and marks each delivery delivered, schedules its
 * next attempt, or marks it failed — per the endpoint's retry policy. It runs for the lifetime of its layer's
 * scope: closing the scope stops claiming, lets in-flight attempts finish within `shutdownGrace`, releases the
 * rest back to the queue, and writes every result it has before it returns. Nothing is lost: a crashed worker's
 * leases expire and its deliveries are claimed again (at-least-once).
 *
 * Global `concurrency` bounds the attempts in flight, and with as many again the results not yet written (beyond
 * `concurrency` unwritten results a slot is free only once its result is durable, so a crash sends at most
 * 2 × `concurrency` deliveries twice);
 * `perEndpointConcurrency` bounds the attempts to one endpoint
 * (further claimed deliveries of a busy endpoint wait in a small local line, then go back to the queue).
 * Attempt results are written in batches (`recordAttempts` + queue `complete`/`reschedule`), one round trip per
 * batch, so a database-backed adapter is not hit once per delivery.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { DeliveryQueue } from "./DeliveryQueue.js"
import * as EnvConfig from "./EnvConfig.js"
import { checkOptions, type ValidationError } from "./Errors.js"
import * as attempts from "./internal/dispatcher/attempts.js"
import * as capacityInternal from "./internal/dispatcher/capacity.js"
import * as claimer from "./internal/dispatcher/claimer.js"
import * as directInternal from "./internal/dispatcher/direct.js"
import * as endpointHealth from "./internal/dispatcher/endpointHealth.js"
import * as dispatcherOptions from "./internal/dispatcher/options.js"
import * as resultWriter from "./internal/dispatcher/resultWriter.js"
import * as shutdown from "./internal/dispatcher/shutdown.js"
import * as workerPool from "./internal/dispatcher/workerPool.js"
import * as metrics from "./internal/metrics.js"
import { OperationalEvents } from "./OperationalEvents.js"
import * as RateLimiter from "./RateLimiter.js"
import { Settings } from "./Settings.js"
import { Storage } from "./Storage.js"
import { Transport } from "./Transport.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Attempts in flight at once in this process, counting those whose results are not yet written. Default 64. At
   * most this many deliveries are sent twice when the process crashes. */
  readonly concurrency?: number | undefined
  /** Attempts in flight to one endpoint, in this process. Default 16. */
  readonly perEndpointConcurrency?: number | undefined
  /** How long a claim holds a delivery before another worker may take it (and how soon a crashed worker's
   * deliveries are retried). Default 2 minutes. An attempt's timeout is capped at half the lease, so a lease
   * always outlives its attempt. */
  readonly lease?: Duration.DurationInput | undefined
  /** Longest idle wait before looking at the queue again (adapters also wake the dispatcher on new work).
   * Default 1 second. */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** How long shutdown waits for in-flight attempts before releasing them. Default 10 seconds. */
  readonly shutdownGrace?: Duration.DurationInput | undefined
  /** The longest the whole shutdown may take (stop claiming, finish or release in-flight attempts, write results).
   * Past it, what is left is abandoned to its leases. Default twice `shutdownGrace` plus 5 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Largest batch of results written at once. Default 256. */
  readonly writeBatchSize?: number | undefined
  /** How many times one delivery may be claimed without a result being recorded (its worker died mid-send each
   * time, or its result could not be written) before it fails instead of being sent again: a final attempt with
   * error kind `claims_exhausted`, status `failed`, a `delivery.failed` event. Default 10. */
  readonly maxClaims?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Stats {
  /** Global slots taken: attempts in flight, deliveries waiting here for their endpoint, and results not yet written.
   * At most `concurrency`. */
  readonly occupied: number
  readonly inFlight: number
  /** Claimed deliveries waiting for their endpoint's in-flight cap. */
  readonly waiting: number
  /** Results not yet written. */
  readonly unwritten: number
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Dispatcher extends Context.Tag("@hookwire/core/Dispatcher")<Dispatcher, {
  readonly stats: Effect.Effect<Stats>
}>() {}

/**
 * Starts the dispatcher in the current scope: the parts below, wired together, and the ordered shutdown its scope runs
 * when it closes. How a claimed delivery travels through them:
 *
 * - `internal/dispatcher/claimer.ts`: the claim loop; classifies what it claimed and lines the ready items up ahead
 * - `internal/dispatcher/ahead.ts`: the jobs claimed ahead, launched (admitted) whenever a slot is free
 * - `internal/dispatcher/claimCap.ts`: the cap on claims per delivery without a recorded result (`maxClaims`)
 * - `internal/dispatcher/capacity.ts`: global and per-endpoint slots, endpoint waiting lines, typical durations
 * - `internal/dispatcher/direct.ts`: attempts without a fiber, where the transport can send with a callback
 * - `internal/dispatcher/workerPool.ts`: the worker fibers the other attempts run on
 * - `internal/dispatcher/attempts.ts`: rate limit, send (`internal/attempt.ts`), settle (`settle.ts`), give the slot back
 * - `internal/dispatcher/endpointHealth.ts`: circuit breaker, health updates, disabling
 * - `internal/dispatcher/resultWriter.ts`: batched, durable results; events; FIFO wake-ups
 * - `internal/dispatcher/shutdown.ts`: the order in which the parts stop, within one deadline
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: Options = {}) {
  const settings = yield* Settings
  const storage = yield* Storage
  const queue = yield* DeliveryQueue
  const transport = yield* Transport
  const events = yield* OperationalEvents
  // Read once: attempts run on worker fibers forked from this one, which would read the same services every time.
  const clock = yield* Effect.clock
  // The metric labels of the workers, which are forked from this fiber.
  const metricLabels = yield* FiberRef.get(FiberRef.currentMetricLabels)
  const tenantLabelled = yield* FiberRef.get(metrics.tenantLabel)
  const random = yield* Effect.random
  // A shared limiter holds rate limits across processes; without one, limits hold within this process.
  const provided = yield* Effect.serviceOption(RateLimiter.RateLimiter)
  const limiter = Option.isSome(provided) ? provided.value : yield* RateLimiter.makeMemory

  // Checked in one place (createHookwire checks them at construction too); a bad one fails with a ValidationError.
  const { concurrency, deadlineMs, graceMs, leaseMs, maxClaims, maxTimeoutMs, perEndpoint, pollMs, writeBatchSize } =
    yield* checkOptions(() => dispatcherOptions.resolve(options))

  // State is touched only by fibers of this dispatcher (JavaScript is single-threaded).
  const capacity = yield* capacityInternal.make<attempts.Job>(concurrency, perEndpoint)
  const releaser = shutdown.releaser(queue, clock, deadlineMs)
  const health = endpointHealth.make({
    settings,
    storage,
    queue,
    events,
    dropWaiting: (endpointId) =>
      Effect.sync(() => {
        // The jobs claimed ahead first: the slots the line frees must not launch them.
        const dropped = [...claims.dropAhead(endpointId), ...(capacity.dropWaiting(endpointId) ?? [])]
        return dropped.length === 0 ? undefined : dropped.map((job) => job.item)
      })
  })
  const pool = yield* workerPool.make<attempts.Job>((job) => attempt.run(job))
  /**
   * Starts a job that holds a slot: at once without a fiber where it can (`direct.ts`), otherwise on a worker (on the
   * next scheduler tick).
   */
  const launch = (job: attempts.Job): void => {
    capacity.start(job.ctx.endpoint.id, clock.unsafeCurrentTimeMillis())
    if (direct !== undefined && direct.takes(job)) return direct.start(job)
    // Workers are started as needed, one per attempt in flight at most: never more than `concurrency`.
    pool.submit(job, capacity.inFlight)
  }
  const writer = yield* resultWriter.make({
    storage,
    queue,
    events,
    writeBatchSize,
    freeSlots: (count) => capacity.freeResults(count)
  })
  const attempt = attempts.make({
    settings,
    storage,
    queue,
    transport,
    limiter,
    clock,
    random,
    metricLabels,
    tenantLabelled,
    maxTimeoutMs,
    capacity,
    health,
    writer,
    launch,
    release: releaser.release
  })
  const direct = yield* directInternal.make({ settings, transport, clock, random, maxTimeoutMs, attempts: attempt })
  const claims = yield* claimer.make({
    settings,
    storage,
    queue,
    events,
    capacity,
    leaseMs,
    pollMs,
    maxClaims,
    launch,
    release: releaser.release
  })

  // Shutdown, in one deadline: a queue or storage that never answers must not hold the scope's close forever (the
  // leases of what was not released or written cover it).
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      releaser.begin()
      return shutdown.stop({
        graceMs,
        deadlineMs,
        stopClaiming: claims.stop,
        takeWaiting: () => [...claims.takeAhead(), ...capacity.takeWaiting()].map((job) => job.item),
        idle: capacity.idle,
        stopWorkers: direct === undefined ? pool.stop : Effect.zipRight(direct.stop, pool.stop),
        takeUnstarted: () => [...pool.takeUnstarted(), ...direct?.takeUnstarted() ?? []].map((job) => job.item),
        drainWriter: writer.drain,
        release: releaser.release
      })
    })
  )

  return {
    stats: Effect.map(writer.unwritten, (unwritten) => ({
      occupied: capacity.occupied,
      inFlight: capacity.inFlight,
      waiting: capacity.waitingCount,
      unwritten
    }))
  } satisfies Dispatcher["Type"]
})

/**
 * The dispatcher as a scoped layer: it runs while the layer is alive. A bad option fails the layer with a
 * `ValidationError` (`invalid_option`, field `dispatcher.<option>`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<Dispatcher, ValidationError, Settings | Storage | DeliveryQueue | Transport | OperationalEvents> =>
  Layer.scoped(Dispatcher, make(options))

/**
 * The dispatcher's options from the environment, each optional: `HOOKWIRE_DISPATCHER_CONCURRENCY`,
 * `HOOKWIRE_DISPATCHER_PER_ENDPOINT_CONCURRENCY` and `HOOKWIRE_DISPATCHER_WRITE_BATCH_SIZE` (whole numbers of at least
 * 1), `HOOKWIRE_DISPATCHER_LEASE` (a duration of at least 1 second), `HOOKWIRE_DISPATCHER_POLL_INTERVAL`,
 * `HOOKWIRE_DISPATCHER_SHUTDOWN_GRACE` and `HOOKWIRE_DISPATCHER_SHUTDOWN_TIMEOUT` (durations). A bad value is a
 * `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = Config.all({
  concurrency: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_DISPATCHER_CONCURRENCY", { min: 1 })),
  perEndpointConcurrency: EnvConfig.optional(
    EnvConfig.integer("HOOKWIRE_DISPATCHER_PER_ENDPOINT_CONCURRENCY", { min: 1 })
  ),
  writeBatchSize: EnvConfig.optional(EnvConfig.integer("HOOKWIRE_DISPATCHER_WRITE_BATCH_SIZE", { min: 1 })),
  lease: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_DISPATCHER_LEASE", { min: Duration.seconds(1) })),
  pollInterval: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_DISPATCHER_POLL_INTERVAL", { min: Duration.zero })),
  shutdownGrace: EnvConfig.optional(EnvConfig.duration("HOOKWIRE_DISPATCHER_SHUTDOWN_GRACE", { min: Duration.zero })),
  shutdownTimeout: EnvConfig.optional(
    EnvConfig.duration("HOOKWIRE_DISPATCHER_SHUTDOWN_TIMEOUT", { min: Duration.zero })
  )
})

/**
 * The dispatcher with its options read from `Config` (by default `defaultConfig`, the `HOOKWIRE_DISPATCHER_*`
 * environment). A bad value, from any `Config`, fails the layer with a `ConfigError`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<
  Dispatcher,
  ConfigError.ConfigError,
  Settings | Storage | DeliveryQueue | Transport | OperationalEvents
> =>
  Layer.scoped(
    Dispatcher,
    Effect.flatMap(Config.unwrap(config), (options) => EnvConfig.asConfigError(make(options)))
  )
