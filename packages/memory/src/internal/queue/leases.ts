/**
 * What the holder of a claim does with it in the memory DeliveryQueue: `complete` (the item leaves the queue),
 * `reschedule` (a result was recorded: due again at a new run time, its count of claims without a result back to 0)
 * and `release` (never started: due again at its own run time, the claim not counted). A stale token matches nothing.
 *
 * @internal
 */
import type { ClaimedItem } from "@hookwire/core/DeliveryQueue"
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import type { State } from "./state.js"

type Service = DeliveryQueue.DeliveryQueue["Type"]

/** @internal */
export const make = (state: State, wake: () => void): Pick<Service, "complete" | "reschedule" | "release"> => {
  // Puts the current claims back in line (at `runAt`, or their own run time), claims count from 0 again.
  const moveBack = (items: ReadonlyArray<{ readonly item: ClaimedItem; readonly runAt: number | undefined }>) => {
    let woke = false
    for (const { item, runAt } of items) {
      const entry = state.current(item)
      if (entry !== undefined) {
        entry.claims = 0
        state.schedule(entry, runAt ?? entry.runAt)
        woke = true
      }
    }
    state.compact()
    if (woke) wake()
  }

  const complete = (items: ReadonlyArray<ClaimedItem>): void => {
    for (const item of items) {
      const entry = state.current(item)
      if (entry !== undefined) state.drop(entry)
    }
    state.compact()
  }

  return {
    // Both also as plain calls (`unsafeSync`), for the dispatcher's synchronous writes.
    complete: Object.assign((items: ReadonlyArray<ClaimedItem>) => Effect.sync(() => complete(items)), {
      unsafeSync: complete
    }),

    reschedule: Object.assign(
      (items: ReadonlyArray<{ readonly item: ClaimedItem; readonly runAt: number }>) =>
        Effect.sync(() => moveBack(items)),
      { unsafeSync: moveBack }
    ),

    release: (items) => Effect.sync(() => moveBack(items.map((item) => ({ item, runAt: undefined }))))
  }
}
