/**
 * One claimed delivery on a worker fiber: wait for the endpoint's rate limit, send the attempt (`internal/attempt.ts`),
 * carry out what `settle.ts` decided (health update, 410 Gone, disabling), hand the result to the writer, and give the
 * slot back however the attempt ends. This runs once per delivery, so its common path — delivered, to an endpoint that
 * was healthy when claimed — is built from a few combinators rather than generators.
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as MetricLabel from "effect/MetricLabel"
import type * as Tracer from "effect/Tracer"
import type { ClaimedItem, DeliveryQueue } from "../../DeliveryQueue.js"
import type * as Model from "../../Model.js"
import type * as RateLimiter from "../../RateLimiter.js"
import type * as RetryPolicy from "../../RetryPolicy.js"
import type * as Settings from "../../Settings.js"
import type { Storage } from "../../Storage.js"
import type { Transport } from "../../Transport.js"
import * as attemptInternal from "../attempt.js"
import * as metrics from "../metrics.js"
import * as wholeMs from "../wholeMs.js"
import * as attemptSpan from "./attemptSpan.js"
import type { Capacity } from "./capacity.js"
import type { EndpointHealth } from "./endpointHealth.js"
import * as logs from "./logs.js"
import type { ResultWriter } from "./resultWriter.js"
import * as settlement from "./settle.js"
import * as supervise from "./supervise.js"

/** A claimed delivery handed to a worker, with the span of the claim that took it (the attempt span's parent). */
export interface Job {
  readonly item: ClaimedItem
  readonly ctx: Model.DispatchContext
  readonly parent: Tracer.AnySpan | undefined
  /** When it was claimed: a job claimed ahead that waited too long for a slot goes back to the queue (claimer.ts). */
  readonly claimedAt: number
}

export interface Deps {
  readonly settings: Settings.Resolved
  readonly storage: Storage["Type"]
  readonly queue: DeliveryQueue["Type"]
  readonly transport: Transport["Type"]
  readonly limiter: RateLimiter.RateLimiter["Type"]
  /** The dispatcher's Clock and Random (read once when it starts: the workers are forked from it). */
  readonly clock: Clock.Clock
  readonly random: Effect.Effect.Success<typeof Effect.random>
  /** The dispatcher's metric labels (the workers' are the same). */
  readonly metricLabels: ReadonlyArray<MetricLabel.MetricLabel>
  /** Whether attempt counts carry the tenant (`Telemetry.layer({ tenantLabel })`), read once like the labels. */
  readonly tenantLabelled: boolean
  readonly maxTimeoutMs: number
  readonly capacity: Capacity<Job>
  readonly health: EndpointHealth
  readonly writer: ResultWriter
  /** Starts a job that inherits a slot (the next one of its endpoint's line). */
  readonly launch: (job: Job) => void
  /** Returns items to the queue, best effort. */
  readonly release: (items: ReadonlyArray<ClaimedItem>) => Effect.Effect<void>
}

const deliveredLabel = MetricLabel.make("outcome", "delivered")

const attemptFailed = (cause: Cause.Cause<unknown>) => Effect.logError("Dispatcher: attempt failed unexpectedly", cause)

const logged = (what: string) => supervise.logRetry(`Dispatcher: ${what}`)

/** Waits for the endpoint's rate limit; false when the wait is long and the delivery went back to the queue. */
const rateLimit = (
  limiter: RateLimiter.RateLimiter["Type"],
  queue: DeliveryQueue["Type"],
  item: ClaimedItem,
  endpoint: Model.EndpointRecord
) =>
  Effect.gen(function*() {
    const limit = endpoint.options.rateLimit
    if (limit === null) return true
    // A limiter that fails or dies (host code) is waited out, not fatal to the attempt.
    const onError = (cause: Cause.Cause<unknown>) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause as Cause.Cause<never>)
        : Effect.as(Effect.logWarning("Dispatcher: the rate limiter failed; waiting 1 s", cause), {
          waitMs: 1000,
          reserved: false
        })
    for (let i = 0; i < 20; i++) {
      const now = yield* Clock.currentTimeMillis
      // Short waits are slept here (holding the slot: precise and cheap); long ones go back to the queue. A limiter
      // that reserves gives an exact slot: no second ask, so timer lateness is never lost.
      const { reserved, waitMs } = limiter.reserve !== undefined
        ? yield* limiter.reserve(endpoint.id, limit, now, 1000).pipe(Effect.catchAllCause(onError))
        : yield* limiter.take(endpoint.id, limit, now).pipe(
          Effect.map((waitMs) => ({ waitMs, reserved: waitMs === 0 })),
          Effect.catchAllCause(onError)
        )
      if (reserved) {
        if (waitMs > 0) yield* Effect.sleep(waitMs)
        return true
      }
      if (waitMs > 1000) {
        yield* queue.reschedule([{ item, runAt: now + wholeMs.ceil(waitMs) }])
        return false
      }
      yield* Effect.sleep(waitMs)
    }
    yield* queue.reschedule([{ item, runAt: (yield* Clock.currentTimeMillis) + 1000 }])
    return false
  })

/** The attempts of one dispatcher. */
export interface Attempts {
  /** Runs one job's attempt on the calling (worker) fiber; never fails (a defect is logged). */
  readonly run: (job: Job) => Effect.Effect<void>
  /**
   * Settles a finished attempt (`result`; `random` is the retry's jitter). The common case — delivered, to an endpoint
   * that was healthy when claimed — is carried out when called, and gives `Effect.void`; anything else is an effect to
   * run. The job's slot is not given back (see `releaseNow`).
   */
  readonly settle: (
    item: ClaimedItem,
    ctx: Model.DispatchContext,
    result: attemptInternal.AttemptOutcome,
    random: number
  ) => Effect.Effect<void, unknown>
  /** Gives an attempt's slot back at once (see `Capacity.finish`). */
  readonly releaseNow: (endpointId: string, item: ClaimedItem) => undefined
  /** Logs a defect of an attempt (the lease expires and the delivery is attempted again). */
  readonly failed: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
}

/** The attempt runner of one dispatcher. */
export const make = (deps: Deps): Attempts => {
  const { capacity, clock, health, launch, limiter, maxTimeoutMs, metricLabels, queue, random, settings } = deps
  const { tenantLabelled } = deps
  const { storage, transport, writer } = deps
  const retried = supervise.retrying()
  // The delivered count's labels, as `Metric.tagged` would join them, but once: the metric caches its hook per labels
  // array, so a fresh array per attempt was a registry lookup per attempt.
  const deliveredLabels = Arr.union([deliveredLabel], metricLabels)

  /** Hands a result to the writer; from here its slot is freed by the writer once the result is written. */
  const offer = (item: ClaimedItem, ctx: Model.DispatchContext, record: Model.AttemptRecord, s: {
    readonly delivery: Model.DeliveryRecord
    readonly runAt: number | undefined
    readonly event: settlement.Settlement["event"]
  }, recorded: boolean): Effect.Effect<void> => {
    capacity.holdForResult(item)
    return writer.offer({
      item,
      attempt: record,
      delivery: s.delivery,
      runAt: s.runAt,
      event: s.event,
      recorded,
      fifo: ctx.endpoint.options.fifo
    })
  }

  /** Writes this delivery's result at once (before disabling its endpoint, which must not catch it). */
  const recordNow = (record: Model.AttemptRecord, delivery: Model.DeliveryRecord) =>
    storage.recordAttempts([{ attempt: record, delivery }]).pipe(logged("recording attempts"), retried)

  /** What settling takes beyond the common case: health transitions, retries, failures, 410 Gone. */
  const settleFully = (
    item: ClaimedItem,
    ctx: Model.DispatchContext,
    record: Model.AttemptRecord,
    s: settlement.Settlement,
    now: number
  ) =>
    Effect.gen(function*() {
      const ids = { tenant: ctx.delivery.tenant, endpointId: ctx.endpoint.id, deliveryId: ctx.delivery.id }
      const disableReason = s.health === undefined ? undefined : yield* health.update(ctx, s.health, now)
      if (disableReason !== undefined) {
        // Failing for too long: this delivery fails, the endpoint is disabled and its pending deliveries fail too.
        const failed = settlement.disabled(s, ctx, disableReason, now)
        yield* metrics.attempted(failed.outcome, record.durationMs, ids.tenant)
        yield* recordNow(record, failed.delivery)
        yield* health.disable(ctx, now, disableReason, "failed")
        yield* logs.deliveryFailed(ids, failed.delivery.attempts, failed.reason!)
        return yield* offer(item, ctx, record, failed, true)
      }
      yield* metrics.attempted(s.outcome, record.durationMs, ids.tenant)
      if (s.outcome === "retry") yield* logs.retrying(ids, s.delivery.attempts, s.runAt!, s.reason!)
      else if (record.errorKind === "blocked") yield* logs.blocked(ids, s.delivery.attempts)
      else if (s.outcome !== "delivered") yield* logs.deliveryFailed(ids, s.delivery.attempts, s.reason!)
      if (s.gone) {
        yield* recordNow(record, s.delivery)
        yield* health.disable(ctx, now, settlement.goneReason, "cancelled")
        return yield* offer(item, ctx, record, s, true)
      }
      yield* offer(item, ctx, record, s, false)
    })

  /** Settles an attempt's outcome (`settle.ts`) and carries it out; the common case in one step. */
  const settle = (item: ClaimedItem, ctx: Model.DispatchContext, result: attemptInternal.AttemptOutcome, r: number) => {
    const now = clock.unsafeCurrentTimeMillis()
    const s = settlement.settle(ctx, result.record, result.outcome, now, r, settings)
    if (s.outcome === "delivered" && s.health === undefined) {
      // `metrics.attempted` without its runtime steps: the labels are the dispatcher's (read once).
      metrics.attemptOutcomes.unsafeUpdate(
        1,
        tenantLabelled
          ? Arr.union([deliveredLabel], metrics.withTenant(metricLabels, ctx.delivery.tenant, true))
          : deliveredLabels
      )
      metrics.attemptDuration.unsafeUpdate(result.record.durationMs, metricLabels)
      return offer(item, ctx, result.record, s, false)
    }
    return settleFully(item, ctx, result.record, s, now)
  }

  /** Gives an attempt's slot back at once (see `Capacity.finish`). */
  const releaseNow = (endpointId: string, item: ClaimedItem): undefined => {
    capacity.finish(endpointId, item, clock.unsafeCurrentTimeMillis(), launch)
  }
  const releaseSlot = (endpointId: string, item: ClaimedItem) => Effect.sync(() => releaseNow(endpointId, item))

  /**
   * One attempt, on a worker fiber, in its own span. The jitter's random number is drawn only when the attempt did
   * not deliver (the one case that may retry).
   */
  const run = ({ ctx, item, parent }: Job) => {
    // Set once the request may have left: from then on the delivery is never handed back to the queue early.
    let sending = false
    // What the receiver answered, for the attempt's span.
    let outcome: RetryPolicy.Outcome | undefined
    const send = Effect.suspend(() => {
      sending = true
      return attemptInternal.performThen(clock, settings, transport, ctx, "scheduled", maxTimeoutMs, (result) => {
        outcome = result.outcome
        return result.outcome._tag === "Response" && result.outcome.status >= 200 && result.outcome.status < 300
          ? settle(item, ctx, result, 0.5)
          : Effect.flatMap(random.next, (r) => settle(item, ctx, result, r))
      })
    })
    // Most endpoints have no rate limit: skip the limiter's effect entirely for them.
    const body = ctx.endpoint.options.rateLimit === null
      ? send
      : Effect.flatMap(rateLimit(limiter, queue, item, ctx.endpoint), (go) => go ? send : Effect.void)
    // The span "Dispatcher.attempt" (a child of the claim's span, as when each attempt was a fiber forked inside
    // it), with the slot given back in the same region, however the attempt ends; interrupted (shutdown past its
    // grace) before its request could leave, the delivery first goes back to the queue at once. Interrupted later,
    // it stays leased: the receiver may have it, and it is sent again only when the lease expires.
    return attemptInternal.traced(
      // Unexpected (a defect): log it; the lease expires and the delivery is attempted again.
      Effect.catchAllCause(body, attemptFailed),
      "Dispatcher.attempt",
      {
        parent,
        // A worker runs nothing between attempts but waiting for the next job: its context is not restored after
        // each one (the next attempt sets its own span on it).
        keepContext: true,
        kind: "client",
        attributes: {
          "hookwire.delivery": ctx.delivery.id,
          "hookwire.endpoint": ctx.endpoint.id,
          "hookwire.attempt": ctx.delivery.attempts + 1
        },
        ending: (span, exit) => attemptSpan.end(span, exit, outcome)
      },
      (exit) =>
        !sending && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
          ? Effect.ensuring(deps.release([item]), releaseSlot(ctx.endpoint.id, item))
          : releaseNow(ctx.endpoint.id, item)
    )
  }
  return { run, settle, releaseNow, failed: attemptFailed }
}
