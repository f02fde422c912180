/**
 * Engine-side counting for the benches that watch some endpoints among others (`hostile`, `ratelimit`): how many
 * deliveries of the watched endpoints Storage has recorded delivered (the engine's own "done", on any adapter), with
 * a promise for reaching a target, plus what the queue did meanwhile (claims, reschedules) and the attempts that did
 * not deliver, by error kind — the numbers that explain a slowdown.
 */
import type { Adapter } from "@hookwire/core/Hookwire"
import { Queue } from "@hookwire/core/Queue"
import { type AttemptResult, Storage } from "@hookwire/core/Storage"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export class EndpointCounter {
  /** Deliveries of watched endpoints recorded delivered. */
  delivered = 0
  /** `performance.now()` when `delivered` reached the target. */
  reachedAt: number | undefined = undefined
  /** Items the dispatcher claimed from the queue, and gave back with a new time (any endpoint). */
  claimed = 0
  rescheduled = 0
  /** Recorded attempts that did not deliver, by error kind (or `HTTP <status>`), any endpoint. */
  readonly failures = new Map<string, number>()
  private watched: ReadonlySet<string> = new Set()
  private target = Infinity
  private resolve: (() => void) | undefined = undefined

  /** The endpoints whose deliveries count. */
  watch(endpointIds: Iterable<string>): void {
    this.watched = new Set(endpointIds)
  }

  add(results: ReadonlyArray<AttemptResult>): void {
    for (const { attempt, delivery } of results) {
      if (delivery.status === "delivered") {
        if (this.watched.has(delivery.endpointId)) this.delivered++
      } else {
        const kind = attempt.errorKind ?? `HTTP ${attempt.responseStatus}`
        this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1)
      }
    }
    if (this.delivered >= this.target && this.reachedAt === undefined) {
      this.reachedAt = performance.now()
      this.resolve?.()
    }
  }

  /** Resolves with the time (`performance.now()`) `target` watched deliveries were recorded; rejects after `timeoutMs`. */
  until(target: number, timeoutMs: number): Promise<number> {
    this.target = target
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.resolve = undefined
        reject(new Error(`only ${this.delivered} of ${target} watched deliveries were recorded within ${timeoutMs} ms`))
      }, timeoutMs)
      this.resolve = () => {
        clearTimeout(timer)
        resolve(this.reachedAt!)
      }
      if (this.delivered >= target) {
        this.reachedAt ??= performance.now()
        this.resolve()
      }
    })
  }
}

/** The adapter with Storage's `recordAttempts` and the Queue's `claim` / `reschedule` reporting to `counter`. */
export const instrumented = (adapter: Adapter, counter: EndpointCounter): Adapter => ({
  layer: Layer.effectContext(
    Effect.gen(function*() {
      const storage = yield* Storage
      const queue = yield* Queue
      return Context.make(Storage, {
        ...storage,
        recordAttempts: (results) =>
          Effect.tap(storage.recordAttempts(results), () => Effect.sync(() => counter.add(results)))
      }).pipe(
        Context.add(Queue, {
          ...queue,
          claim: (options) =>
            Effect.tap(queue.claim(options), (items) => Effect.sync(() => (counter.claimed += items.length))),
          reschedule: (items) =>
            Effect.tap(queue.reschedule(items), () => Effect.sync(() => (counter.rescheduled += items.length)))
        })
      )
    })
  ).pipe(Layer.provide(adapter.layer))
})
