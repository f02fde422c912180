/**
 * What attempts teach the dispatcher about an endpoint: its circuit breaker (the engine's or its own), the recent
 * attempts within the breaker's window (failure-ratio rule, in this process), the compare-and-set update of its stored
 * health (publishing recovered / circuit opened / circuit closed), and disabling an endpoint the engine gave up on
 * (410 Gone, or failing for `disableAfter`), which ends its pending deliveries.
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as CircuitBreaker from "../../CircuitBreaker.js"
import type { ClaimedItem, DeliveryQueue } from "../../DeliveryQueue.js"
import type { QueueError, StorageError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { OperationalEvent, OperationalEvents } from "../../OperationalEvents.js"
import type * as Settings from "../../Settings.js"
import type { Storage } from "../../Storage.js"
import { reported } from "../events/reported.js"
import * as logs from "./logs.js"
import { isHealthy } from "./settle.js"
import * as supervise from "./supervise.js"

/** The endpoint's circuit breaker: its own, the engine's, or none (`circuitBreaker: false`). */
export const breakerOf = (
  settings: Settings.Resolved,
  endpoint: Model.EndpointRecord
): Model.CircuitBreakerSpec | undefined =>
  endpoint.options.circuitBreaker === false ? undefined : endpoint.options.circuitBreaker ?? settings.circuitBreaker

export interface EndpointHealth {
  /**
   * Applies the outcome of an attempt of `ctx` to its endpoint's health; returns a reason when the endpoint must be
   * disabled. A circuit that opens is logged at `warn` with the attempt's ids.
   * Storage trouble is logged and retried (forever: the error channel is the storage's, never reached).
   */
  readonly update: (
    ctx: Model.DispatchContext,
    success: boolean,
    now: number
  ) => Effect.Effect<string | undefined, StorageError>
  /**
   * Disables the endpoint of `ctx` (logged at `warn` with its ids) and ends its pending deliveries: cancelled for 410 (the receiver asked for nothing more),
   * failed otherwise (recoverable after re-enabling). Storage and queue trouble is logged and retried.
   */
  readonly disable: (
    ctx: Model.DispatchContext,
    now: number,
    reason: string,
    pending: "cancelled" | "failed"
  ) => Effect.Effect<void, StorageError | QueueError>
}

export interface Deps {
  readonly settings: Settings.Resolved
  readonly storage: Storage["Type"]
  readonly queue: DeliveryQueue["Type"]
  readonly events: OperationalEvents["Type"]
  /**
   * Takes this process's deliveries of the endpoint waiting for its in-flight cap (their slots are freed; the
   * endpoint's pending deliveries were just ended, so they are completed instead of sent).
   */
  readonly dropWaiting: (endpointId: string) => Effect.Effect<ReadonlyArray<ClaimedItem> | undefined>
}

const logIds = (ctx: Model.DispatchContext): logs.Ids => ({
  tenant: ctx.delivery.tenant,
  endpointId: ctx.endpoint.id,
  deliveryId: ctx.delivery.id
})

const logged = (what: string) => supervise.logRetry(`Dispatcher: ${what}`)

/** The endpoint-health part of one dispatcher: its windows and locks live as long as the dispatcher. */
export const make = ({ dropWaiting, events, queue, settings, storage }: Deps): EndpointHealth => {
  const retried = supervise.retrying()
  // Attempts and failures per endpoint within the circuit breaker's window (failure-ratio rule), in this process.
  const windows = new Map<string, Array<{ readonly at: number; readonly ok: boolean }>>()
  const healthLocks = new Map<string, Effect.Semaphore>()

  const windowOf = (endpointId: string, breaker: Model.CircuitBreakerSpec | undefined, now: number, ok: boolean) => {
    if (breaker === undefined || breaker.failureRatio === null) return undefined
    const entries = (windows.get(endpointId) ?? []).filter((e) => e.at > now - breaker.windowMs)
    entries.push({ at: now, ok })
    windows.set(endpointId, entries)
    return { attempts: entries.length, failures: entries.filter((e) => !e.ok).length }
  }

  // Read-modify-write with compare-and-set on the stored health (the snapshot loaded at claim time may be stale, and
  // other workers update the same endpoint), retried a few times.
  const healthUpdate = (
    ctx: Model.DispatchContext,
    success: boolean,
    now: number,
    breaker: Model.CircuitBreakerSpec | undefined,
    window: { readonly attempts: number; readonly failures: number } | undefined
  ) =>
    Effect.gen(function*() {
      const endpoint = ctx.endpoint
      for (let i = 0; i < 10; i++) {
        if (i > 0) yield* Effect.sleep(Math.floor((yield* Random.next) * 20 * i))
        const fresh = yield* storage.getEndpoint(endpoint.tenant, endpoint.id)
        if (fresh === undefined) return undefined
        const health = fresh.health
        if (success && isHealthy(health)) return undefined
        const transition = success
          ? CircuitBreaker.onSuccess(health)
          : CircuitBreaker.onFailure(health, now, { breaker, disableAfterMs: settings.disableAfterMs, window })
        const ids = { tenant: endpoint.tenant, endpointId: endpoint.id, at: new Date(now) }
        const reason = health.circuit === "half_open"
          ? "the probe failed"
          : `${transition.health.consecutiveFailures} consecutive failures`
        const retryAt = transition.health.circuitRetryAt
        const announced: Array<OperationalEvent> = []
        if (transition.recovered) announced.push({ type: "endpoint.recovered", reason: "succeeded", ...ids })
        if (transition.closed) announced.push({ type: "endpoint.circuit_closed", ...ids })
        if (transition.opened && retryAt !== null) {
          announced.push({ type: "endpoint.circuit_opened", reason, retryAt: new Date(retryAt), ...ids })
        }
        const write = storage.patchEndpoint(
          endpoint.tenant,
          endpoint.id,
          { health: transition.health, updatedAt: now },
          health
        )
        // A write that changes what is announced commits with the notices (see reported.ts); the others stay one
        // statement.
        const patched = announced.length === 0
          ? yield* write
          : yield* reported({ events, storage }, write, (written) => written === undefined ? [] : announced)
        if (patched === undefined) continue
        if (transition.opened && retryAt !== null) yield* logs.circuitOpened(logIds(ctx), reason, retryAt)
        return transition.disable
      }
      yield* Effect.logDebug("Dispatcher: endpoint health kept changing under ten updates in a row; skipping one")
      return undefined
    }).pipe(logged("updating endpoint health"), retried)

  const update = (ctx: Model.DispatchContext, success: boolean, now: number) =>
    Effect.gen(function*() {
      const endpoint = ctx.endpoint
      // The common case costs nothing: a success on an endpoint that was healthy when claimed.
      if (success && isHealthy(endpoint.health)) return undefined
      const breaker = breakerOf(settings, endpoint)
      const window = windowOf(endpoint.id, breaker, now, success)
      // Updates of one endpoint are serialized within this process, so concurrent results never race each other
      // here; across processes the compare-and-set retries, with a short random pause.
      const lock = healthLocks.get(endpoint.id) ?? (yield* Effect.makeSemaphore(1))
      healthLocks.set(endpoint.id, lock)
      return yield* lock.withPermits(1)(healthUpdate(ctx, success, now, breaker, window)).pipe(
        Effect.ensuring(Effect.sync(() => {
          if (healthLocks.size > 10_000) healthLocks.clear()
        }))
      )
    })

  const disable = (ctx: Model.DispatchContext, now: number, reason: string, pending: "cancelled" | "failed") =>
    Effect.gen(function*() {
      const endpoint = ctx.endpoint
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
        yield* logs.endpointDisabled(logIds(ctx), reason)
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
      const waiting = yield* dropWaiting(endpoint.id)
      if (waiting !== undefined) yield* queue.complete(waiting)
    }).pipe(logged("disabling an endpoint"), retried)

  return { update, disable }
}
