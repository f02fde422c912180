/**
 * What goes in and out of the memory DeliveryQueue outside a claim: `enqueue` (a queued id gets the new run time and
 * its holder's token goes stale), `enqueueUnclaimed` (the same, except for items whose lease is still running),
 * `remove` and `has`.
 *
 * @internal
 */
import type { QueueItem } from "@hookwire/core/DeliveryQueue"
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import type { State } from "./state.js"

type Service = DeliveryQueue.DeliveryQueue["Type"]

/** @internal */
export const make = (
  state: State,
  wake: () => void
): Pick<Service, "enqueue" | "enqueueUnclaimed" | "remove" | "has"> => {
  const enqueue = (items: ReadonlyArray<QueueItem>) => {
    for (const item of items) {
      const entry = state.entries.get(item.id)
      // Re-enqueueing replaces the run time; a claimed item is queued again and its holder's token goes stale.
      if (entry !== undefined) state.schedule(entry, item.runAt)
      else state.add(item.id, item.runAt)
    }
    state.compact()
    if (items.length > 0) wake()
  }

  return {
    enqueue: (items) => Effect.sync(() => enqueue(items)),

    enqueueUnclaimed: (items, now) =>
      Effect.sync(() => {
        const held = new Set<string>()
        const free: Array<QueueItem> = []
        for (const item of items) {
          const entry = state.entries.get(item.id)
          if (entry !== undefined && entry.leased && entry.leaseUntil > now) held.add(item.id)
          else free.push(item)
        }
        enqueue(free)
        return held
      }),

    remove: (ids) =>
      Effect.sync(() => {
        for (const id of ids) {
          const entry = state.entries.get(id)
          if (entry !== undefined) state.drop(entry)
        }
        state.compact()
      }),

    has: (ids) =>
      Effect.sync(() => {
        const out = new Set<string>()
        for (const id of ids) if (state.entries.has(id)) out.add(id)
        return out
      })
  }
}
