/**
 * The memory DeliveryQueue's wake-ups: `awaitWork` sleeps on Effect's `Clock` until the earliest run time or lease
 * expiry, bounded by `maxWaitMs`, and `wake` (called by `enqueue`, `reschedule` and `release`) ends every sleep at once.
 *
 * @internal
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type { State } from "./state.js"

/** @internal */
export interface WakeUps {
  /** Ends every current `awaitWork`. */
  readonly wake: () => void
  readonly awaitWork: DeliveryQueue.DeliveryQueue["Type"]["awaitWork"]
}

/** @internal */
export const make = (state: State): WakeUps => {
  // One signal per waiting call (see `DeliveryQueue.awaitSignal`), all completed by the next wake-up.
  let waiters: Array<Deferred.Deferred<void>> = []

  const wake = () => {
    if (waiters.length === 0) return
    const woken = waiters
    waiters = []
    for (const signal of woken) Deferred.unsafeDone(signal, Effect.void)
  }

  const awaitWork: WakeUps["awaitWork"] = ({ maxWaitMs, now }) =>
    Effect.suspend(() => {
      const wait = Math.min(maxWaitMs, state.nextWork() - now)
      if (!(wait > 0)) return Effect.void
      // Registered in the same synchronous step as the check: an enqueue after it completes it.
      const signal = Deferred.unsafeMake<void>(FiberId.none)
      waiters.push(signal)
      return Effect.ensuring(
        DeliveryQueue.awaitSignal(signal, wait),
        Effect.sync(() => {
          const i = waiters.indexOf(signal)
          if (i >= 0) waiters.splice(i, 1)
        })
      )
    })

  return { wake, awaitWork }
}
