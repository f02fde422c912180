/**
 * An endpoint write and the operational event it causes, kept together. On a storage with transactions
 * (`Storage.transaction`: Postgres) the write and the event's durable record (the notice `OperationalWebhooks`
 * publishes) commit together or not at all, so a crash between them cannot lose the notice; then the event goes to the
 * in-process subscribers. Without (memory) the write runs alone: a crash loses that storage anyway, and the notice is
 * published from the in-process event.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { StorageError } from "../../Errors.js"
import type { OperationalEvent } from "../../OperationalEvents.js"
import type { Deps } from "./deps.js"

/** Runs `write`, then reports `eventOf` its result (no event: nothing to report, e.g. nothing was written). */
export const reported = <A, E, R>(
  { events, storage }: Pick<Deps, "events" | "storage">,
  write: Effect.Effect<A, E, R>,
  eventOf: (written: A) => OperationalEvent | undefined
): Effect.Effect<A, E | StorageError, R> => {
  const each = (f: (event: OperationalEvent) => Effect.Effect<void, StorageError>) => (written: A) => {
    const event = eventOf(written)
    return event === undefined ? Effect.void : f(event)
  }
  const committed = storage.transaction === undefined ? write : storage.transaction(
    Effect.tap(write, each(events.record))
  )
  return Effect.tap(committed, each(events.publish))
}
