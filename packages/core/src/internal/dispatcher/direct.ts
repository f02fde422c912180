/**
 * Attempts without a fiber: the dispatcher's hot path when the transport can send with a callback
 * (`Transport.unsafeSend`, the default HTTP transport does) and no span would be made. An attempt is then plain
 * calls: sign and send when its job is launched, and when the transport reports, settle it (`attempts.ts`), hand the
 * result to the writer and give the slot back — the same functions the fiber path (`attempts.ts` `run`) calls, so
 * both sign, record and settle exactly alike. What needs effects runs on a fiber of this module's set: a result that
 * is not a delivery to a healthy endpoint (retries draw their jitter from `Random`; health updates, 410 Gone and
 * disabling write to storage) and a defect's log. Everything else takes the fiber path: an endpoint with a rate limit
 * or its own `transport` settings (OAuth2, TLS, proxy), a transport without `unsafeSend`, and tracing with a tracer
 * that exports (each attempt is then a span).
 *
 * Per attempt this saves the runtime steps and objects of a fiber's turn (a worker's wake-up, the span region, the
 * send's `Effect.async` and its resumption), which were most of the engine's own CPU per message on a fast receiver,
 * and what a slow receiver's 2,000 attempts in flight kept alive (and promoted to the old generation) meanwhile.
 *
 * Stopping (`stop`, at shutdown past its grace) cancels the requests still in flight: their deliveries stay leased
 * (the receiver may have them; they are sent again when their leases expire), as on the fiber path once a request
 * has left; jobs launched after it wait for `takeUnstarted`.
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import { TransportError } from "../../Errors.js"
import type * as Settings from "../../Settings.js"
import type { Transport, TransportResponse } from "../../Transport.js"
import * as attemptInternal from "../attempt.js"
import { spansMade } from "../telemetry/hotPath.js"
import type { Attempts, Job } from "./attempts.js"

export interface Direct {
  /** Whether `job` can run here (see the module's header); otherwise it takes the fiber path. */
  readonly takes: (job: Job) => boolean
  /** Starts `job`'s attempt now (its slot is taken and started). */
  readonly start: (job: Job) => void
  /** Cancels the attempts in flight (their deliveries stay leased) and interrupts the settling fibers. */
  readonly stop: Effect.Effect<void>
  /** Takes the jobs launched after `stop`. */
  readonly takeUnstarted: () => Array<Job>
}

export interface Deps {
  readonly settings: Settings.Resolved
  readonly transport: Transport["Type"]
  readonly clock: Clock.Clock
  readonly random: Effect.Effect.Success<typeof Effect.random>
  readonly maxTimeoutMs: number
  readonly attempts: Attempts
}

const is2xx = (status: number) => status >= 200 && status < 300

/**
 * The direct path of one dispatcher, in the current scope (which interrupts its settling fibers when it closes), or
 * undefined when every attempt takes the fiber path (no `unsafeSend`, or spans are made).
 */
export const make = (deps: Deps): Effect.Effect<Direct | undefined, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { attempts, clock, maxTimeoutMs, random, settings, transport } = deps
    const unsafeSend = transport.unsafeSend
    if (unsafeSend === undefined || (yield* spansMade)) return undefined
    const settling = yield* FiberSet.make<void, never>()
    const fork = yield* FiberSet.runtime(settling)<never>()
    /** The attempts in flight here: each one's cancel, and its job. */
    const inFlight = new Map<() => void, Job>()
    let stopped = false
    let unstarted: Array<Job> = []

    /** Runs what settling needs effects for on a fiber; the slot is given back however it ends. */
    const settleOnFiber = (job: Job, settle: Effect.Effect<void, unknown>): void => {
      fork(
        Effect.ensuring(
          Effect.catchAllCause(settle, attempts.failed),
          Effect.sync(() => attempts.releaseNow(job.ctx.endpoint.id, job.item))
        )
      )
    }

    /** The attempt ended with `outcome`: settle it and give its slot back. */
    const complete = (job: Job, outcome: attemptInternal.AttemptOutcome): void => {
      const { ctx, item } = job
      try {
        const o = outcome.outcome
        if (o._tag === "Response" && is2xx(o.status)) {
          // Delivered: the jitter is never read. The common case is carried out here and gives `Effect.void`.
          const rest = attempts.settle(item, ctx, outcome, 0.5)
          if (rest === Effect.void) return attempts.releaseNow(ctx.endpoint.id, item)
          return settleOnFiber(job, rest)
        }
        settleOnFiber(job, Effect.flatMap(random.next, (r) => attempts.settle(item, ctx, outcome, r)))
      } catch (error) {
        // Unexpected (a defect): logged as on the fiber path; the lease expires and the delivery is attempted again.
        settleOnFiber(job, Effect.die(error))
      }
    }

    const start = (job: Job): void => {
      if (stopped) {
        unstarted.push(job)
        return
      }
      const begun = attemptInternal.begin(clock, settings, job.ctx, "scheduled", maxTimeoutMs)
      if (attemptInternal.isOutcome(begun)) {
        // Signing failed: settled after this call, never inside the launch that started it.
        queueMicrotask(() => complete(job, begun))
        return
      }
      const { started } = begun
      let cancel: (() => void) | undefined
      const done = (result: TransportResponse | TransportError) => {
        if (cancel !== undefined) inFlight.delete(cancel)
        complete(
          job,
          result instanceof TransportError
            ? attemptInternal.failedOutcome(started, result)
            : attemptInternal.answeredOutcome(started, result)
        )
      }
      try {
        cancel = unsafeSend(begun.request, done)
      } catch (error) {
        // The port says it never throws; should it, the attempt is a defect, recorded like one.
        queueMicrotask(() => complete(job, attemptInternal.diedOutcome(started, Cause.die(error), begun.secrets)))
        return
      }
      inFlight.set(cancel, job)
    }

    const stop = Effect.suspend(() => {
      stopped = true
      for (const [cancel, job] of inFlight) {
        cancel()
        attempts.releaseNow(job.ctx.endpoint.id, job.item)
      }
      inFlight.clear()
      return FiberSet.clear(settling)
    })

    return {
      takes: (job) => job.ctx.endpoint.options.rateLimit === null && job.ctx.endpoint.transport == null,
      start,
      stop,
      takeUnstarted: () => {
        const taken = unstarted
        unstarted = []
        return taken
      }
    } satisfies Direct
  })
