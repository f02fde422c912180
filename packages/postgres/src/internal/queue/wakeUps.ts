/**
 * `PgQueue`'s waiting side: `awaitWork` sleeps until the earliest run time or lease expiry in the table, bounded by
 * `maxWaitMs`, and is woken by the LISTEN connection (`listener.ts`) or at once by this process's own writes
 * (`wakeEarliest`). A `claimForDispatch` that already learnt when the rest of the queue is due leaves a hint
 * (`remember`), which spares the next `awaitWork` its look at the table.
 *
 * @internal
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import { mapQueue } from "../errors.js"
import type * as listener from "../listener.js"
import * as rows from "../rows.js"
import type { Queue } from "./statements.js"

/** What a claim learnt about the rest of the queue: when it is next due, and the wake-up count before it was sent. */
export interface Hint {
  readonly wakesBefore: number
  readonly next: number
}

/** Wakes this process's waiters that the earliest run time of `items` concerns (none when there are no items). */
export const wakeEarliest = (
  wakeUps: listener.Listener,
  items: ReadonlyArray<{ readonly runAt: number }>
): void => {
  let min = Infinity
  for (const item of items) if (item.runAt < min) min = item.runAt
  wakeUps.wake(min)
}

/** @internal */
export const make = ({ query, statements, wakeUps }: Queue): {
  readonly awaitWork: DeliveryQueue.DeliveryQueue["Type"]["awaitWork"]
  /** Keeps what the last claim learnt, for the next `awaitWork` (used once). */
  readonly remember: (hint: Hint) => void
} => {
  let hint: Hint | undefined

  const awaitWork: DeliveryQueue.DeliveryQueue["Type"]["awaitWork"] = ({ maxWaitMs, now }) =>
    Effect.suspend(() => {
      if (!(maxWaitMs > 0)) return Effect.void
      // Subscribe first, then look: work enqueued after the look notifies this waiter.
      const waiter = wakeUps.subscribe(now + maxWaitMs)
      const sleep = (next: number) => {
        const wait = Math.min(maxWaitMs, next - now)
        if (!(wait > 0)) return Effect.void
        return DeliveryQueue.awaitSignal(waiter.signal, wait)
      }
      // The last claim already told when the rest is due. Nothing notified since it was sent (and the LISTEN
      // connection up throughout) means nothing was enqueued since its snapshot: no need to look again.
      const known = hint
      hint = undefined
      const look = known !== undefined && known.wakesBefore === wakeUps.wakes() && wakeUps.isConnected()
        ? sleep(known.next)
        : query(statements.next, []).pipe(
          Effect.flatMap(([row]) => sleep(row === undefined || row.at === null ? Infinity : rows.num(row.at))),
          mapQueue("PgQueue.awaitWork")
        )
      return Effect.ensuring(look, Effect.sync(() => wakeUps.unsubscribe(waiter)))
    })

  return {
    awaitWork,
    remember: (next) => {
      hint = next
    }
  }
}
