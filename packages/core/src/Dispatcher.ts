/**
 * The Dispatcher claims due deliveries from the Queue with a lease, sends them (signed with every active secret of
 * the endpoint) through the Transport, records every attempt, and marks each delivery delivered, schedules its
 * next attempt, or marks it failed — per the endpoint's retry policy. It runs for the lifetime of its layer's
 * scope: closing the scope stops claiming, lets in-flight attempts finish within `shutdownGrace`, releases the
 * rest back to the queue, and writes every result it has before it returns. Nothing is lost: a crashed worker's
 * leases expire and its deliveries are claimed again (at-least-once).
 *
 * Global `concurrency` bounds the attempts in flight together with the results not yet written (a slot is free only
 * once its attempt's result is durable, so a crash sends at most `concurrency` deliveries twice);
 * `perEndpointConcurrency` bounds the attempts to one endpoint
 * (further claimed deliveries of a busy endpoint wait in a small local line, then go back to the queue).
 * Attempt results are written in batches (`recordAttempts` + queue `complete`/`reschedule`), one round trip per
 * batch, so a database-backed adapter is not hit once per delivery.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Tracer from "effect/Tracer"
import * as CircuitBreaker from "./CircuitBreaker.js"
import * as attemptInternal from "./internal/attempt.js"
import * as attemptSpan from "./internal/dispatcher/attemptSpan.js"
import * as dispatcherOptions from "./internal/dispatcher/options.js"
import * as shutdown from "./internal/dispatcher/shutdown.js"
import * as supervise from "./internal/dispatcher/supervise.js"
import * as metrics from "./internal/metrics.js"
import * as wholeMs from "./internal/wholeMs.js"
import type * as Model from "./Model.js"
import { OperationalEvents } from "./OperationalEvents.js"
import type { OperationalEvent } from "./OperationalEvents.js"
import { type ClaimedForDispatch, type ClaimedItem, Queue as QueuePort } from "./Queue.js"
import * as RateLimiter from "./RateLimiter.js"
import * as RetryPolicy from "./RetryPolicy.js"
import { Settings } from "./Settings.js"
import { type AttemptResult, Storage } from "./Storage.js"
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

/** A claimed delivery handed to a worker, with the span of the claim that took it (the attempt span's parent). */
interface Job {
  readonly item: ClaimedItem
  readonly ctx: Model.DispatchContext
  readonly parent: Tracer.AnySpan | undefined
}

interface Result {
  readonly item: ClaimedItem
  readonly attempt: Model.AttemptRecord
  readonly delivery: Model.DeliveryRecord
  /** Queue action: `undefined` = complete, a number = reschedule at that time. */
  readonly runAt: number | undefined
  readonly event: OperationalEvent | undefined
  /** Already written by the attempt itself (410 Gone writes its result before cancelling the rest). */
  readonly recorded: boolean
  /** The endpoint delivers in order: a final result wakes its next delivery. */
  readonly fifo: boolean
}

const deliveredOutcome = Metric.tagged(metrics.attemptOutcomes, "outcome", "delivered")

/** Completes after the I/O callbacks of the current event-loop turn have run (`setImmediate`); interruptible. */
const nextMacrotask: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** `Metric.update` for each input, reading the fiber's metric labels once rather than once per input. */
const updateEach = <Type, In, Out, A>(
  metric: Metric.Metric<Type, In, Out>,
  items: ReadonlyArray<A>,
  input: (a: A) => In
): Effect.Effect<void> =>
  attemptInternal.updateMetrics((labels) => {
    for (const item of items) metric.unsafeUpdate(input(item), labels)
  })

const attemptFailed = (cause: Cause.Cause<unknown>) => Effect.logError("Dispatcher: attempt failed unexpectedly", cause)

const workerFailed = (cause: Cause.Cause<unknown>) =>
  Effect.logError("Dispatcher: an attempt failed unexpectedly", cause)

/**
 * Starts the dispatcher in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: Options = {}) {
  const settings = yield* Settings
  const storage = yield* Storage
  const queue = yield* QueuePort
  const transport = yield* Transport
  const events = yield* OperationalEvents
  // Read once: attempts run on worker fibers forked from this one, which would read the same services every time.
  const clock = yield* Effect.clock
  // The metric labels of the workers, which are forked from this fiber.
  const metricLabels = yield* FiberRef.get(FiberRef.currentMetricLabels)
  const random = yield* Effect.random
  // A shared limiter holds rate limits across processes; without one, limits hold within this process.
  const provided = yield* Effect.serviceOption(RateLimiter.RateLimiter)
  const limiter = Option.isSome(provided) ? provided.value : yield* RateLimiter.makeMemory

  // Checked in one place (createHookwire checks them at construction too); a bad one dies with a ValidationError.
  const { concurrency, deadlineMs, graceMs, leaseMs, maxTimeoutMs, perEndpoint, pollMs, writeBatchSize } =
    dispatcherOptions.resolve(options)

  // Mutable state, touched only by fibers of this dispatcher (JavaScript is single-threaded).
  // In flight + waiting + results not yet written: an attempt's slot is free only once its result is durable, so what
  // a crash can send twice (sent, result not written) is at most `concurrency` deliveries.
  let occupied = 0
  // Items whose attempt has offered its result to the writer: their slot is given back by the writer, not the attempt.
  const resultOffered = new Set<ClaimedItem>()
  let inFlight = 0
  const endpointInFlight = new Map<string, number>()
  const waiting = new Map<string, Array<Job>>()
  let waitingCount = 0
  const slots = yield* Effect.makeLatch(true)
  // Whether `slots` is open, kept in step with it (it is closed and opened only through these two): opening an open
  // latch does nothing, so a finished attempt skips that step while the dispatcher is not saturated.
  let slotsOpen = true
  // Closes only while every slot is taken: a slot freed between the caller's check and this step (another fiber ran
  // in between) would otherwise leave the latch closed with nothing left to open it.
  const closeSlots = Effect.sync(() => {
    if (occupied < concurrency) return
    slotsOpen = false
    slots.unsafeClose()
  })
  const openSlots = Effect.uninterruptible(Effect.suspend(() => {
    slotsOpen = true
    return slots.open
  }))
  // Results waiting to be written. Each holds its attempt's global slot until it is written, so when results cannot
  // be written (storage down) no more work is claimed, and at most `concurrency` of them ever wait here.
  const results = yield* Queue.bounded<Result>(concurrency)
  // Attempts and failures per endpoint within the circuit breaker's window (failure-ratio rule), in this process.
  const windows = new Map<string, Array<{ readonly at: number; readonly ok: boolean }>>()
  const healthLocks = new Map<string, Effect.Semaphore>()
  // How long each endpoint's attempts take here (a moving average), from the start times of its attempts in flight:
  // a saturated slow or hung endpoint must not tie up more global slots (see `dispatch`).
  const startTimes = new Map<string, Array<number>>()
  const typicalMs = new Map<string, number>()
  const observeStart = (endpointId: string, now: number) => {
    const starts = startTimes.get(endpointId)
    if (starts === undefined) startTimes.set(endpointId, [now])
    else starts.push(now)
  }
  const observeDuration = (endpointId: string, now: number) => {
    // Attempts of one endpoint end roughly in the order they started: pair this end with the oldest start.
    const starts = startTimes.get(endpointId)
    const started = starts?.shift()
    if (starts !== undefined && starts.length === 0) startTimes.delete(endpointId)
    if (started === undefined) return
    const previous = typicalMs.get(endpointId)
    typicalMs.set(endpointId, previous === undefined ? now - started : previous * 0.8 + (now - started) * 0.2)
    if (typicalMs.size > 100_000) typicalMs.clear()
  }
  let writing = 0
  // Attempts run on long-lived worker fibers fed by `launch`, rather than a fiber each: forking a fiber costs more
  // than everything else an attempt does in Effect. Workers are started as attempts need them, one per attempt in
  // flight at most (so never more than `concurrency`), and a job waits only for a worker's next turn. `idle` is open
  // while no attempt is in flight (graceful shutdown waits on it).
  const workers = yield* FiberSet.make<never, never>()
  let workerCount = 0
  // Jobs no worker has taken yet, and the workers waiting for one (at most one of the two is non-empty). Plain arrays
  // and a resume callback: an Effect `Queue` costs several times more per hand-over.
  const pending: Array<Job> = []
  const waitingWorkers: Array<(job: Effect.Effect<Job>) => void> = []
  let stopped = false
  // A worker with no job waits here for `launch` to hand it one.
  const nextJob: Effect.Effect<Job> = Effect.async<Job>((resume) => {
    waitingWorkers.push(resume)
  })
  const idle = yield* Effect.makeLatch(true)

  // Storage or queue trouble, typed or a defect: retry with a backoff capped at 5 s, forever; leases cover a crash
  // meanwhile. See `internal/dispatcher/supervise.ts`.
  const retried = supervise.retrying()
  let stopping = false
  // When shutdown began: every release from then on ends by the shutdown's deadline.
  let shutdownAt: number | undefined
  // Best effort and bounded, even inside an uninterruptible finalizer (an interrupted attempt's): a release that never
  // answers must not hold shutdown; the lease returns the item anyway.
  const releaseItems = (items: ReadonlyArray<ClaimedItem>) =>
    items.length === 0 ?
      Effect.void :
      Effect.suspend(() =>
        supervise.bestEffort("Dispatcher: releasing claimed deliveries")(
          supervise.bounded(
            queue.release(items),
            shutdownAt === undefined
              ? deadlineMs
              : Math.max(0, shutdownAt + deadlineMs - clock.unsafeCurrentTimeMillis())
          )
        )
      )

  const logged = (what: string) => supervise.logRetry(`Dispatcher: ${what}`)

  // --- results writer -------------------------------------------------------------------------------------------
  const writeBatch = (batch: ReadonlyArray<Result>) =>
    Effect.gen(function*() {
      const unrecorded: Array<AttemptResult> = []
      const done: Array<ClaimedItem> = []
      const later: Array<{ item: ClaimedItem; runAt: number }> = []
      for (const r of batch) {
        if (!r.recorded) unrecorded.push({ attempt: r.attempt, delivery: r.delivery })
        if (r.runAt === undefined) done.push(r.item)
        else later.push({ item: r.item, runAt: r.runAt })
      }
      if (storage.recordAndSettle !== undefined) {
        // A store that holds the queue too writes all of it in one round trip.
        yield* storage.recordAndSettle(unrecorded, { complete: done, reschedule: later }).pipe(
          logged("recording attempts"),
          retried
        )
      } else {
        if (unrecorded.length > 0) {
          yield* storage.recordAttempts(unrecorded).pipe(logged("recording attempts"), retried)
        }
        if (done.length > 0) yield* queue.complete(done).pipe(logged("completing"), retried)
        if (later.length > 0) yield* queue.reschedule(later).pipe(logged("rescheduling"), retried)
      }
      const happened: Array<OperationalEvent> = []
      for (const r of batch) if (r.event !== undefined) happened.push(r.event)
      if (happened.length > 0) yield* events.publishAll(happened)
      // FIFO endpoints: a finished delivery lets the next one of its endpoint go (not before its own due time).
      const now = yield* Clock.currentTimeMillis
      for (const r of batch) {
        if (!r.fifo || r.runAt !== undefined) continue
        const head = yield* storage.earliestPendingDelivery(r.delivery.tenant, r.delivery.endpointId).pipe(
          logged("finding the next FIFO delivery"),
          retried
        )
        if (head !== undefined) {
          yield* queue.enqueue([{ id: head.id, runAt: Math.max(now, head.nextAttemptAt ?? now) }]).pipe(
            logged("waking the next FIFO delivery"),
            retried
          )
        }
      }
    })

  const freeResultSlots = (count: number) =>
    Effect.suspend(() => {
      occupied -= count
      return slotsOpen ? Effect.void : openSlots
    })

  const writer = Effect.gen(function*() {
    while (true) {
      const batch = Array.from(yield* Queue.takeBetween(results, 1, writeBatchSize))
      writing = batch.length
      if (batch.length < writeBatchSize) {
        // Linger one timer tick: results of attempts finishing meanwhile (responses arrive one socket at a time)
        // join this batch, so storage is written once for many attempts rather than once per attempt. Under a
        // TestClock a zero sleep does not wait.
        yield* Effect.sleep(0)
        for (const r of yield* Queue.takeUpTo(results, writeBatchSize - batch.length)) batch.push(r)
        writing = batch.length
      }
      // Durable once written: the slots these results held are free then (and also should the batch be given up on
      // a defect, so that slots never leak; the leases return those deliveries).
      yield* Effect.ensuring(writeBatch(batch), freeResultSlots(batch.length))
      writing = 0
      if (stopping && (yield* Queue.isEmpty(results))) return
    }
  })

  // --- attempts -------------------------------------------------------------------------------------------------
  /**
   * Gives an attempt's slot back, at once; returns `openSlots` when the slots latch was closed (the claim loop waits
   * on it), `undefined` when there is nothing more to do.
   */
  const releaseNow = (endpointId: string, item: ClaimedItem): Effect.Effect<void> | undefined => {
    // The slot of an attempt that produced a result stays taken until the writer has written it (the writer frees it).
    const held = resultOffered.delete(item)
    observeDuration(endpointId, clock.unsafeCurrentTimeMillis())
    inFlight--
    const n = (endpointInFlight.get(endpointId) ?? 1) - 1
    if (n === 0) endpointInFlight.delete(endpointId)
    else endpointInFlight.set(endpointId, n)
    const line = waiting.get(endpointId)
    const next = line?.shift()
    if (line !== undefined && line.length === 0) waiting.delete(endpointId)
    if (next !== undefined) {
      // The waiting delivery already holds a slot (counted when it joined the line): the finished attempt's slot
      // is the one freed, unless its result still holds it.
      waitingCount--
      if (!held) occupied--
      launch(next)
    } else {
      if (inFlight === 0) idle.unsafeOpen()
      if (!held) occupied--
    }
    return slotsOpen || held ? undefined : openSlots
  }
  const release = (endpointId: string, item: ClaimedItem) =>
    Effect.suspend(() => releaseNow(endpointId, item) ?? Effect.void)

  /** Hands a result to the writer; from here its slot is freed by the writer once the result is written. */
  const offerResult = (result: Result): Effect.Effect<void> => {
    resultOffered.add(result.item)
    return Queue.unsafeOffer(results, result) ? Effect.void : Effect.asVoid(Queue.offer(results, result))
  }

  /**
   * Disables an endpoint the engine gave up on (410 Gone, or failing for `disableAfter`) and ends its pending
   * deliveries: cancelled for 410 (the receiver asked for nothing more), failed otherwise (recoverable after
   * re-enabling).
   */
  const disableEndpoint = (
    endpoint: Model.EndpointRecord,
    now: number,
    reason: string,
    pending: "cancelled" | "failed"
  ) =>
    Effect.gen(function*() {
      const patched = yield* storage.patchEndpoint(endpoint.tenant, endpoint.id, {
        disabled: true,
        disabledReason: reason,
        disabledAt: now,
        updatedAt: now
      })
      if (patched !== undefined && !endpoint.disabled) {
        yield* events.publish({
          type: "endpoint.disabled",
          tenant: endpoint.tenant,
          endpointId: endpoint.id,
          reason,
          at: new Date(now)
        })
      }
      const ended = yield* storage.transitionEndpointDeliveries(endpoint.tenant, endpoint.id, {
        from: ["pending"],
        to: pending,
        since: 0,
        nextAttemptAt: null,
        now
      })
      if (ended.length > 0) yield* queue.remove(ended)
      // Deliveries of this endpoint waiting here were just ended: drop them instead of sending them.
      const line = waiting.get(endpoint.id)
      if (line !== undefined) {
        waiting.delete(endpoint.id)
        waitingCount -= line.length
        occupied -= line.length
        yield* openSlots
        yield* queue.complete(line.map((w) => w.item))
      }
    }).pipe(logged("disabling an endpoint"), retried)

  const breakerOf = (endpoint: Model.EndpointRecord): Model.CircuitBreakerSpec | undefined =>
    endpoint.options.circuitBreaker === false
      ? undefined
      : endpoint.options.circuitBreaker ?? settings.circuitBreaker

  const windowOf = (endpointId: string, breaker: Model.CircuitBreakerSpec | undefined, now: number, ok: boolean) => {
    if (breaker === undefined || breaker.failureRatio === null) return undefined
    const entries = (windows.get(endpointId) ?? []).filter((e) => e.at > now - breaker.windowMs)
    entries.push({ at: now, ok })
    windows.set(endpointId, entries)
    return { attempts: entries.length, failures: entries.filter((e) => !e.ok).length }
  }

  /**
   * Applies an attempt's outcome to the endpoint's health; returns a reason when the endpoint must be disabled.
   * Read-modify-write with compare-and-set on the stored health (the snapshot loaded at claim time may be stale, and
   * other workers update the same endpoint), retried a few times.
   */
  const updateHealth = (endpoint: Model.EndpointRecord, success: boolean, now: number) =>
    Effect.gen(function*() {
      const isHealthy = (h: Model.EndpointHealth) =>
        h.failingSince === null && h.consecutiveFailures === 0 && h.circuit === "closed"
      // The common case costs nothing: a success on an endpoint that was healthy when claimed.
      if (success && isHealthy(endpoint.health)) return undefined
      const breaker = breakerOf(endpoint)
      const window = windowOf(endpoint.id, breaker, now, success)
      // Updates of one endpoint are serialized within this process, so concurrent results never race each other
      // here; across processes the compare-and-set retries, with a short random pause.
      const lock = healthLocks.get(endpoint.id) ?? (yield* Effect.makeSemaphore(1))
      healthLocks.set(endpoint.id, lock)
      return yield* lock.withPermits(1)(healthUpdate(endpoint, success, now, breaker, window)).pipe(
        Effect.ensuring(Effect.sync(() => {
          if (healthLocks.size > 10_000) healthLocks.clear()
        }))
      )
    })

  const healthUpdate = (
    endpoint: Model.EndpointRecord,
    success: boolean,
    now: number,
    breaker: Model.CircuitBreakerSpec | undefined,
    window: { readonly attempts: number; readonly failures: number } | undefined
  ) =>
    Effect.gen(function*() {
      const isHealthy = (h: Model.EndpointHealth) =>
        h.failingSince === null && h.consecutiveFailures === 0 && h.circuit === "closed"
      for (let i = 0; i < 10; i++) {
        if (i > 0) yield* Effect.sleep(Math.floor((yield* Random.next) * 20 * i))
        const fresh = yield* storage.getEndpoint(endpoint.tenant, endpoint.id)
        if (fresh === undefined) return undefined
        const health = fresh.health
        if (success && isHealthy(health)) return undefined
        const transition = success
          ? CircuitBreaker.onSuccess(health)
          : CircuitBreaker.onFailure(health, now, { breaker, disableAfterMs: settings.disableAfterMs, window })
        const patched = yield* storage.patchEndpoint(
          endpoint.tenant,
          endpoint.id,
          { health: transition.health, updatedAt: now },
          health
        )
        if (patched === undefined) continue
        const ids = { tenant: endpoint.tenant, endpointId: endpoint.id, at: new Date(now) }
        if (transition.recovered) yield* events.publish({ type: "endpoint.recovered", reason: "succeeded", ...ids })
        if (transition.closed) yield* events.publish({ type: "endpoint.circuit_closed", ...ids })
        if (transition.opened) {
          yield* events.publish({
            type: "endpoint.circuit_opened",
            reason: health.circuit === "half_open"
              ? "the probe failed"
              : `${transition.health.consecutiveFailures} consecutive failures`,
            retryAt: new Date(transition.health.circuitRetryAt!),
            ...ids
          })
        }
        return transition.disable
      }
      yield* Effect.logDebug("Dispatcher: endpoint health kept changing under ten updates in a row; skipping one")
      return undefined
    }).pipe(logged("updating endpoint health"), retried)

  /** Waits for the endpoint's rate limit; false when the wait is long and the delivery went back to the queue. */
  const rateLimit = (item: ClaimedItem, endpoint: Model.EndpointRecord) =>
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

  /**
   * What an attempt's outcome means for its delivery, written to the results queue. This runs once per delivery, so
   * the common case — delivered, to an endpoint that was healthy when claimed — is settled in one step without a
   * generator; everything else (retries, failures, 410 Gone, health transitions) takes `settleFully`.
   */
  const settle = (
    item: ClaimedItem,
    ctx: Model.DispatchContext,
    { outcome, record }: attemptInternal.AttemptOutcome,
    random: number
  ) => {
    const now = clock.unsafeCurrentTimeMillis()
    const policy = ctx.endpoint.retryPolicy === null
      ? settings.retryPolicy
      : RetryPolicy.fromSpec(ctx.endpoint.retryPolicy)
    const attemptsMade = ctx.delivery.attempts + 1
    const decision = RetryPolicy.decide(policy, {
      attempts: attemptsMade,
      outcome,
      now,
      random,
      throttleMinMs: settings.throttleMinMs,
      maxRetryAfterMs: settings.maxRetryAfterMs
    })
    const base = {
      ...ctx.delivery,
      attempts: attemptsMade,
      lastAttemptAt: record.startedAt,
      lastResponseStatus: record.responseStatus,
      lastError: record.errorKind,
      updatedAt: now
    }
    const ids = {
      tenant: ctx.delivery.tenant,
      deliveryId: ctx.delivery.id,
      messageId: ctx.message.id,
      endpointId: ctx.endpoint.id
    }
    const health = ctx.endpoint.health
    // `updateHealth` does nothing for a success on an endpoint that was healthy when claimed: skip it here.
    if (
      decision._tag === "Delivered" &&
      health.failingSince === null && health.consecutiveFailures === 0 && health.circuit === "closed"
    ) {
      const delivery: Model.DeliveryRecord = { ...base, status: "delivered", nextAttemptAt: null }
      const event: OperationalEvent = {
        type: "delivery.succeeded",
        tenant: ids.tenant,
        deliveryId: ids.deliveryId,
        messageId: ids.messageId,
        endpointId: ids.endpointId,
        attempts: attemptsMade,
        at: new Date(now)
      }
      // `metrics.attempted` and `Queue.offer` without their runtime steps: the labels are the dispatcher's (read
      // once), and the result goes straight to the writer unless the queue is full (then the attempt waits).
      deliveredOutcome.unsafeUpdate(1, metricLabels)
      metrics.attemptDuration.unsafeUpdate(record.durationMs, metricLabels)
      const result: Result = {
        item,
        attempt: record,
        delivery,
        runAt: undefined,
        event,
        recorded: false,
        fifo: ctx.endpoint.options.fifo
      }
      return offerResult(result)
    }
    return settleFully(item, ctx, record, decision, base, ids, attemptsMade, now)
  }

  const settleFully = (
    item: ClaimedItem,
    ctx: Model.DispatchContext,
    record: Model.AttemptRecord,
    decision: RetryPolicy.Decision,
    base: Omit<Model.DeliveryRecord, "status" | "nextAttemptAt">,
    ids: {
      readonly tenant: string
      readonly deliveryId: string
      readonly messageId: string
      readonly endpointId: string
    },
    attemptsMade: number,
    now: number
  ) =>
    Effect.gen(function*() {
      let delivery: Model.DeliveryRecord
      let runAt: number | undefined
      let event: OperationalEvent | undefined
      const fifo = ctx.endpoint.options.fifo
      const disableReason = decision._tag === "Gone"
        ? undefined
        : yield* updateHealth(ctx.endpoint, decision._tag === "Delivered", now)
      if (disableReason !== undefined) {
        // Failing for too long: this delivery fails, the endpoint is disabled and its pending deliveries fail too.
        const delivery: Model.DeliveryRecord = { ...base, status: "failed", nextAttemptAt: null }
        yield* metrics.attempted("failed", record.durationMs)
        yield* storage.recordAttempts([{ attempt: record, delivery }]).pipe(
          logged("recording attempts"),
          retried
        )
        yield* disableEndpoint(ctx.endpoint, now, disableReason, "failed")
        const event: OperationalEvent = {
          type: "delivery.failed",
          ...ids,
          attempts: attemptsMade,
          reason: `the endpoint was disabled: ${disableReason}`,
          at: new Date(now)
        }
        yield* offerResult({ item, attempt: record, delivery, runAt: undefined, event, recorded: true, fifo })
        return
      }
      switch (decision._tag) {
        case "Delivered": {
          delivery = { ...base, status: "delivered", nextAttemptAt: null }
          event = { type: "delivery.succeeded", ...ids, attempts: attemptsMade, at: new Date(now) }
          yield* metrics.attempted("delivered", record.durationMs)
          break
        }
        case "Retry": {
          runAt = now + decision.delayMs
          delivery = { ...base, status: "pending", nextAttemptAt: runAt }
          yield* metrics.attempted("retry", record.durationMs)
          break
        }
        case "Fail":
        case "Gone": {
          const reason = decision._tag === "Gone" ? "the receiver answered 410 Gone" : decision.reason
          delivery = { ...base, status: "failed", nextAttemptAt: null }
          event = { type: "delivery.failed", ...ids, attempts: attemptsMade, reason, at: new Date(now) }
          yield* metrics.attempted(decision._tag === "Gone" ? "gone" : "failed", record.durationMs)
          if (decision._tag === "Gone") {
            // Write this delivery's result first: cancelling the endpoint's pending deliveries must not catch it.
            yield* storage.recordAttempts([{ attempt: record, delivery }]).pipe(
              logged("recording attempts"),
              retried
            )
            yield* disableEndpoint(ctx.endpoint, now, reason, "cancelled")
            yield* offerResult({ item, attempt: record, delivery, runAt, event, recorded: true, fifo })
            return
          }
          break
        }
      }
      yield* offerResult({ item, attempt: record, delivery, runAt, event, recorded: false, fifo })
    })

  /**
   * One attempt, on a worker fiber, in its own span. Built from a few combinators rather than a generator: this runs
   * once per delivery. The Clock and Random services are the dispatcher's (read once when it starts: the workers are
   * forked from it, and would read the same ones).
   */
  const attempt = ({ ctx, item, parent }: Job) => {
    // The jitter's random number is drawn only when the attempt did not deliver (the one case that may retry).
    // Set once the request may have left: from then on the delivery is never handed back to the queue early.
    let sending = false
    // What the receiver answered, for the attempt's span.
    let outcome: RetryPolicy.Outcome | undefined
    const send = Effect.suspend(() => {
      sending = true
      return attemptInternal.performThen(
        clock,
        settings,
        transport,
        ctx,
        "scheduled",
        maxTimeoutMs,
        (result) => {
          outcome = result.outcome
          return result.outcome._tag === "Response" && result.outcome.status >= 200 && result.outcome.status < 300
            ? settle(item, ctx, result, 0.5)
            : Effect.flatMap(random.next, (r) => settle(item, ctx, result, r))
        }
      )
    })
    // Most endpoints have no rate limit: skip the limiter's effect entirely for them.
    const body = ctx.endpoint.options.rateLimit === null
      ? send
      : Effect.flatMap(rateLimit(item, ctx.endpoint), (go) => go ? send : Effect.void)
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
          ? Effect.ensuring(releaseItems([item]), release(ctx.endpoint.id, item))
          : releaseNow(ctx.endpoint.id, item)
    )
  }

  /** Hands a claimed delivery to a worker (it starts on the next scheduler tick). */
  const launch = (job: Job): void => {
    if (inFlight++ === 0) idle.unsafeClose()
    observeStart(job.ctx.endpoint.id, clock.unsafeCurrentTimeMillis())
    endpointInFlight.set(job.ctx.endpoint.id, (endpointInFlight.get(job.ctx.endpoint.id) ?? 0) + 1)
    const waiter = stopped ? undefined : waitingWorkers.pop()
    if (waiter !== undefined) return waiter(Effect.succeed(job))
    pending.push(job)
    // Workers are started as needed, one per attempt in flight at most: never more than `concurrency`.
    if (!stopped && workerCount < inFlight) {
      workerCount++
      spawn(worker(), { immediate: false })
    }
  }

  // A plain loop, not `Effect.forever`, which yields to the scheduler after every job. `attempt` handles every cause
  // but interruption; should something still escape it (a defect in a finalizer), the worker logs it and goes on, so
  // the pool never shrinks. A job already waiting starts in the worker's next step.
  const worker = (): Effect.Effect<never> =>
    Effect.flatMap(
      Effect.catchAllCause(
        Effect.suspend(() => pending.length > 0 ? attempt(pending.shift()!) : Effect.flatMap(nextJob, attempt)),
        workerFailed
      ),
      worker
    )

  // --- claiming -------------------------------------------------------------------------------------------------
  /**
   * Starts the claimed deliveries; `loaded` holds their contexts when the queue loaded them with the claim. Should a
   * step fail, only the items not yet handed to a worker or to their endpoint's line go back to the queue: an item
   * whose attempt runs (or will) stays leased until its result is written or its lease expires, or it would be
   * claimed and sent again while the first send runs.
   */
  const dispatch = (
    items: ReadonlyArray<ClaimedItem>,
    now: number,
    loaded: ReadonlyArray<ClaimedForDispatch> | undefined
  ) => {
    const handedOff = new Set<ClaimedItem>()
    return Effect.gen(function*() {
      const byId = new Map<string, Model.DispatchContext>()
      if (loaded === undefined) {
        for (const ctx of yield* storage.loadForDispatch(items.map((i) => i.id))) byId.set(ctx.delivery.id, ctx)
      } else {
        for (const { context } of loaded) if (context !== undefined) byId.set(context.delivery.id, context)
      }
      const done: Array<ClaimedItem> = []
      const later: Array<{ item: ClaimedItem; runAt: number }> = []
      const failedDisabled: Array<Model.DispatchContext> = []
      const overflow = new Map<string, number>()
      yield* updateEach(metrics.queueLag, items, (item) => Math.max(0, now - item.runAt))
      // The claim's span: each attempt's span is its child.
      // The claim's span, when one was made (`Effect.currentSpan` would build an exception per claim when not).
      const parent = Option.getOrUndefined(yield* Effect.serviceOption(Tracer.ParentSpan))
      for (const item of items) {
        let ctx = byId.get(item.id)
        if (ctx === undefined || ctx.delivery.status !== "pending") {
          // Deleted, cancelled, or finished by an earlier holder of an expired lease.
          done.push(item)
          continue
        }
        if (ctx.delivery.nextAttemptAt !== null && ctx.delivery.nextAttemptAt > now + 1000) {
          // The queue ran ahead of storage (e.g. a crash between the two writes): keep storage's schedule.
          later.push({ item, runAt: ctx.delivery.nextAttemptAt })
          continue
        }
        if (ctx.endpoint.disabled) {
          failedDisabled.push(ctx)
          done.push(item)
          continue
        }
        // FIFO: only the endpoint's oldest pending delivery may go; the others wait for it (head-of-line).
        if (ctx.endpoint.options.fifo) {
          const head = yield* storage.earliestPendingDelivery(ctx.delivery.tenant, ctx.endpoint.id)
          if (head !== undefined && head.id !== ctx.delivery.id) {
            later.push({ item, runAt: Math.max(now + 1000, head.nextAttemptAt ?? 0) })
            continue
          }
        }
        // Circuit breaker: while open, deliveries wait without spending attempts; after the cool-down exactly one
        // worker wins the compare-and-set and sends the probe.
        const breaker = breakerOf(ctx.endpoint)
        if (breaker !== undefined || ctx.endpoint.health.circuit !== "closed") {
          const gate = CircuitBreaker.gate(ctx.endpoint.health, now, leaseMs)
          if (gate._tag === "Wait") {
            later.push({ item, runAt: wholeMs.ceil(gate.until) })
            continue
          }
          if (gate._tag === "Probe") {
            const won = yield* storage.patchEndpoint(
              ctx.delivery.tenant,
              ctx.endpoint.id,
              { health: gate.next, updatedAt: now },
              ctx.endpoint.health
            )
            if (won === undefined) {
              later.push({ item, runAt: now + 1000 })
              continue
            }
            ctx = { ...ctx, endpoint: won }
          }
        }
        const busy = endpointInFlight.get(ctx.endpoint.id) ?? 0
        handedOff.add(item)
        if (busy < perEndpoint) {
          occupied++
          launch({ item, ctx, parent })
        } else {
          // The endpoint is at its in-flight cap. A fast one frees a slot soon: its next deliveries wait in a short
          // line here. A slow or hung one must not tie up more of the global slots, nor be claimed again and again:
          // its deliveries go back to the queue for about one of its attempt durations, without spending an attempt.
          const typical = typicalMs.get(ctx.endpoint.id) ?? 0
          const line = waiting.get(ctx.endpoint.id) ?? []
          if (typical < 1000 && line.length < perEndpoint) {
            occupied++
            waitingCount++
            line.push({ item, ctx, parent })
            waiting.set(ctx.endpoint.id, line)
          } else {
            handedOff.delete(item)
            // The k-th overflowing delivery of this batch waits about k / cap attempt durations more: a saturated
            // endpoint can only take `perEndpointConcurrency` deliveries per attempt duration.
            const k = overflow.get(ctx.endpoint.id) ?? 0
            overflow.set(ctx.endpoint.id, k + 1)
            // `typical` is a moving average (fractional): the run time handed to the queue is whole milliseconds.
            const delay = wholeMs.ceil(Math.min(Math.max(100, typical) * (1 + Math.floor(k / perEndpoint)), 300_000))
            later.push({ item, runAt: now + delay + Math.floor((yield* Random.next) * delay * 0.5) })
          }
        }
      }
      for (const ctx of failedDisabled) {
        const failed = yield* storage.transitionDelivery(ctx.delivery.tenant, ctx.delivery.id, ["pending"], {
          status: "failed",
          nextAttemptAt: null,
          now
        })
        if (failed !== undefined) {
          yield* events.publish({
            type: "delivery.failed",
            tenant: ctx.delivery.tenant,
            deliveryId: ctx.delivery.id,
            messageId: ctx.message.id,
            endpointId: ctx.endpoint.id,
            attempts: ctx.delivery.attempts,
            reason: `the endpoint is disabled (${ctx.endpoint.disabledReason ?? "no reason given"})`,
            at: new Date(now)
          })
        }
      }
      if (done.length > 0) yield* queue.complete(done)
      if (later.length > 0) yield* queue.reschedule(later)
      if (occupied >= concurrency) {
        saturated = true
        yield* closeSlots
      }
    }).pipe(
      Effect.tapErrorCause((cause) => {
        const unstarted = items.filter((item) => !handedOff.has(item))
        return Effect.zipRight(
          Effect.logWarning(
            `Dispatcher: dispatching claimed deliveries failed; ${unstarted.length} not started return to the queue`,
            cause
          ),
          unstarted.length === 0 ? Effect.void : releaseItems(unstarted)
        )
      })
    )
  }

  // Below this many free slots, a claim right after the dispatcher was saturated first lingers one timer tick.
  const minClaim = Math.max(1, Math.floor(concurrency / 8))
  let saturated = false
  // The last claim got fewer items than it asked for: the queue had nothing more due.
  let drained = false

  const claimLoop = Effect.gen(function*() {
    while (true) {
      yield* slots.await
      let free = concurrency - occupied
      if (free <= 0) {
        yield* closeSlots
        continue
      }
      if (saturated) {
        saturated = false
        // Slots free up one response at a time: rather than claiming (and loading, and tracing) one delivery per
        // freed slot, let the responses already read in this turn of the event loop free theirs, and claim them
        // together. One macrotask, not a timer: a millisecond without claiming would leave slots idle.
        if (free < minClaim) {
          yield* nextMacrotask
          free = concurrency - occupied
        }
      }
      let now = yield* Clock.currentTimeMillis
      if (drained) {
        // The last claim took everything that was due: rather than claim again (a write, in a database), ask the
        // queue when work is next due — at once, if more came meanwhile.
        drained = false
        yield* queue.awaitWork({ now, maxWaitMs: pollMs })
        now = yield* Clock.currentTimeMillis
      }
      const loaded = queue.claimForDispatch === undefined
        ? undefined
        : yield* queue.claimForDispatch({ max: free, leaseMs, now })
      const items = loaded === undefined ? yield* queue.claim({ max: free, leaseMs, now }) : loaded.map((c) => c.item)
      if (items.length === 0) {
        yield* queue.awaitWork({ now, maxWaitMs: pollMs })
        continue
      }
      drained = items.length < free
      // `traced`: the span `Effect.withSpan` would make, in fewer runtime steps (a claim per message at low load).
      yield* attemptInternal.traced(dispatch(items, now, loaded), "Dispatcher.claim", {
        attributes: { "hookwire.claimed": items.length }
      })
    }
  })

  const spawn = yield* FiberSet.runtime(workers)<never>()
  // Supervised: a defect is logged with its cause and the fiber restarts; the scope interrupts them when it closes.
  const writerFiber = yield* supervise.supervised("Dispatcher.writer", writer)
  const claimFiber = yield* supervise.supervised("Dispatcher.claimLoop", claimLoop)

  // Shutdown, in one deadline: a queue or storage that never answers must not hold the scope's close forever (the
  // leases of what was not released or written cover it).
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      shutdownAt = clock.unsafeCurrentTimeMillis()
      return shutdown.stop({
        claimFiber,
        writerFiber,
        graceMs,
        deadlineMs,
        takeWaiting: () => {
          const items = [...waiting.values()].flat().map((w) => w.item)
          waiting.clear()
          waitingCount = 0
          return items
        },
        idle,
        stopWorkers: Effect.suspend(() => {
          stopped = true
          return FiberSet.clear(workers)
        }),
        takeUnstarted: () => pending.splice(0, pending.length).map((job) => job.item),
        stopWriter: Effect.suspend(() => {
          stopping = true
          return Effect.map(Queue.isEmpty(results), (empty) => writing === 0 && empty)
        }),
        takeUnwritten: Queue.takeAll(results),
        release: releaseItems
      })
    })
  )

  return {
    stats: Effect.sync(() => ({ occupied, inFlight, waiting: waitingCount, unwritten: 0 })).pipe(
      // Queue.size is negative while the writer waits in take: clamp it.
      Effect.zipWith(Queue.size(results), (s, size) => ({ ...s, unwritten: Math.max(0, size) + writing }))
    )
  } satisfies Dispatcher["Type"]
})

/**
 * The dispatcher as a scoped layer: it runs while the layer is alive.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<Dispatcher, never, Settings | Storage | QueuePort | Transport | OperationalEvents> =>
  Layer.scoped(Dispatcher, make(options))
