/**
 * Engine-side counting for the benches that watch some endpoints among others (`hostile`, `ratelimit`): the shared
 * `DeliveryCounter` (deliveries of the watched endpoints recorded delivered, attempts that did not deliver by error
 * kind), plus what the queue did meanwhile (claims, reschedules) — the numbers that explain a slowdown.
 */
import { DeliveryQueue } from "@hookwire/core/DeliveryQueue"
import type { Adapter } from "@hookwire/core/Hookwire"
import { Storage } from "@hookwire/core/Storage"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { counted, DeliveryCounter, tapWrite } from "./adapters.js"

/** The counter of the watching benches (one class for every bench: see `DeliveryCounter`). */
export { DeliveryCounter as EndpointCounter }

/**
 * The adapter with Storage's `recordAttempts` / `recordAndSettle` and the DeliveryQueue's `claim` / `claimForDispatch` /
 * `reschedule` reporting to `counter`.
 */
export const instrumented = (adapter: Adapter, counter: DeliveryCounter): Adapter => ({
  layer: Layer.effectContext(
    Effect.gen(function*() {
      const queue = yield* DeliveryQueue
      const { claimForDispatch } = queue
      // Counts the claim and its items, and how long it took (a claim's round trip is what the dispatcher waits on).
      const timed = <A extends ReadonlyArray<unknown>, E>(claim: Effect.Effect<A, E>) =>
        Effect.suspend(() => {
          const start = performance.now()
          return Effect.tap(claim, (items) =>
            Effect.sync(() => {
              counter.claims++
              counter.claimMs += performance.now() - start
              counter.claimed += items.length
            }))
        })
      return Context.make(DeliveryQueue, {
        ...queue,
        claim: (options) => timed(queue.claim(options)),
        claimForDispatch: claimForDispatch === undefined ? undefined : (options) => timed(claimForDispatch(options)),
        reschedule: tapWrite(queue.reschedule, (items) => {
          counter.rescheduled += items.length
        })
      }).pipe(Context.add(Storage, yield* Storage))
    })
  ).pipe(Layer.provide(counted(adapter, counter).layer))
})
