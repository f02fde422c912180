/**
 * An endpoint write and the operational events it causes, kept together (endpoint management and the dispatcher's
 * health writes use it). On a storage with transactions
 * (`Storage.transaction`: Postgres) the write and the event's durable record (the notice `OperationalWebhooks`
 * publishes) commit together or not at all, so a crash between them cannot lose the notice; then the event goes to the
 * in-process subscribers. Without (memory) the write runs alone: a crash loses that storage anyway, and the notice is
 * published from the in-process event.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { StorageError } from "../../Errors.js"
import type { OperationalEvent, OperationalEvents } from "../../OperationalEvents.js"
import type { Storage } from "../../Storage.js"

/** Runs `write`, then reports the events `eventsOf` its result (none: nothing to report, e.g. nothing was written). */
export const reported = <A, E, R>(
  { events, storage }: { readonly events: OperationalEvents["Type"]; readonly storage: Storage["Type"] },
  write: Effect.Effect<A, E, R>,
  eventsOf: (written: A) => ReadonlyArray<OperationalEvent>
): Effect.Effect<A, E | StorageError, R> => {
  const committed = storage.transaction === undefined ? write : storage.transaction(
    Effect.tap(write, (written) => Effect.forEach(eventsOf(written), events.record, { discard: true }))
  )
  return Effect.tap(committed, (written) => events.publishAll(eventsOf(written)))
}
