/**
 * The Queue port in process memory. Items wait in a binary min-heap on their run time; claimed items move to a second
 * min-heap on their lease expiry, so a claim first returns the expired leases to the ready heap and then pops the
 * earliest due items — O(log n) per item, never a scan. Both heaps use lazy deletion (a node whose stamp no longer
 * matches its item is skipped and dropped), and are rebuilt once stale nodes outnumber live ones. `awaitWork` sleeps on
 * Effect's `Clock` until the earliest run time or lease expiry, bounded by `maxWaitMs`, and is woken at once by
 * `enqueue`, `reschedule` and `release`. Each queued id costs about 200 bytes.
 *
 * The service is composed from one module per job under `internal/queue/`: `state.ts` (the entries and both heaps),
 * `items.ts` (enqueue, remove, has), `claim.ts` (claim, claimById), `leases.ts` (complete, reschedule, release) and `wakeUps.ts`
 * (awaitWork).
 *
 * @since 0.1.0
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as claim from "./internal/queue/claim.js"
import * as items from "./internal/queue/items.js"
import * as leases from "./internal/queue/leases.js"
import { State } from "./internal/queue/state.js"
import * as wakeUps from "./internal/queue/wakeUps.js"

/**
 * Builds an empty memory DeliveryQueue.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>> = Effect.sync(() =>
  unsafeMake()
)

/**
 * A fresh, empty memory DeliveryQueue.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<DeliveryQueue.DeliveryQueue> = Layer.effect(DeliveryQueue.DeliveryQueue, make)

const unsafeMake = (): Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue> => {
  const state = new State()
  const wake = wakeUps.make(state)
  const claimItems = claim.make(state)
  const claimOne = claim.byId(state)
  return DeliveryQueue.DeliveryQueue.of({
    ...items.make(state, wake.wake),
    claim: ({ leaseMs, max, now }) => Effect.sync(() => claimItems(max, leaseMs, now)),
    claimById: ({ id, leaseMs, now, runAt }) => Effect.sync(() => claimOne(id, runAt, leaseMs, now)),
    ...leases.make(state, wake.wake),
    awaitWork: wake.awaitWork
  })
}
