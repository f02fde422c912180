/**
 * `createHookwire`'s `onEvent`: the operational events (endpoint disabled or recovered, delivery failed or succeeded)
 * handed to the host's function.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Options } from "../../Hookwire.js"
import * as OperationalEvents from "../../OperationalEvents.js"

/**
 * Hands every operational event to `onEvent` for as long as the engine runs (what it throws is logged, never
 * propagated); on close, the events still waiting are handed over within 5 seconds.
 */
export const forward = (
  onEvent: NonNullable<Options<any>["onEvent"]>
): Layer.Layer<never, never, OperationalEvents.OperationalEvents> =>
  Layer.scopedDiscard(
    Effect.gen(function*() {
      const events = yield* OperationalEvents.OperationalEvents
      const dequeue = yield* events.subscribeQueue
      const handle = (event: OperationalEvents.OperationalEvent) =>
        Effect.tryPromise(async () => {
          await onEvent(event)
        }).pipe(Effect.catchAll((error) => Effect.logError(`onEvent threw for ${event.type}`, error)))
      yield* Effect.forkScoped(Effect.forever(Effect.flatMap(dequeue.take, handle)))
      // On close, events published by the last attempts are still waiting here: hand them over (within 5 s) before
      // the subscription ends. (Finalizers run in reverse order: this runs before the consumer above is stopped.)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(dequeue.takeAll, (rest) => Effect.forEach(rest, handle, { discard: true })).pipe(
          Effect.interruptible,
          Effect.timeout("5 seconds"),
          Effect.ignore
        )
      )
    })
  )
