/**
 * Faults for adapters' crash tests, as layers over a real adapter: a worker process built with them behaves like one
 * whose database stopped answering, so a test can kill it at its worst moment and count what is sent twice.
 *
 * @since 0.3.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { DeliveryQueue } from "../../src/DeliveryQueue.js"
import { Storage } from "../../src/Storage.js"

/**
 * The adapter's layer with every write of attempt results (`recordAttempts`, `recordAndSettle`) hanging forever: a
 * storage stall as the dispatcher sees it. Everything else (claims, loads) still works.
 *
 * @since 0.3.0
 * @category constructors
 */
export const stallResultWrites = <E, R>(
  adapter: Layer.Layer<Storage | DeliveryQueue, E, R>
): Layer.Layer<Storage | DeliveryQueue, E, R> =>
  Layer.map(adapter, (context) => {
    const storage = Context.get(context, Storage)
    return Context.add(context, Storage, {
      ...storage,
      recordAttempts: () => Effect.never,
      recordAndSettle: storage.recordAndSettle === undefined ? undefined : () => Effect.never
    })
  })
