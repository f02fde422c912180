/**
 * What the holder of a claim does with it in `PgQueue`, matched on (id, token) so that a worker whose lease expired
 * cannot undo the work of the one that claimed the item after it: `complete` (the row is deleted), `reschedule` (due
 * again at a new run time, its claims back to 0) and `release` (never started: due again at its own run time).
 * Rescheduling and releasing notify the other processes in their statement and wake this one's waiters at once.
 *
 * @internal
 */
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import { mapQueue } from "../errors.js"
import { lastById } from "../query.js"
import type { Queue } from "./statements.js"
import { wakeEarliest } from "./wakeUps.js"

type Service = DeliveryQueue.DeliveryQueue["Type"]

/** @internal */
export const make = (
  { channel, query, statements, wakeUps }: Queue
): Pick<Service, "complete" | "reschedule" | "release"> => ({
  complete: (items) => {
    if (items.length === 0) return Effect.void
    return query(statements.complete, [items.map((i) => i.id), items.map((i) => i.token)]).pipe(
      Effect.asVoid,
      mapQueue("PgQueue.complete")
    )
  },

  reschedule: (items) => {
    if (items.length === 0) return Effect.void
    const unique = lastById(items, (entry) => entry.item.id)
    return query(statements.reschedule, [
      unique.map((e) => e.item.id),
      unique.map((e) => e.item.token),
      unique.map((e) => e.runAt),
      channel
    ]).pipe(
      Effect.zipRight(Effect.sync(() => wakeEarliest(wakeUps, unique))),
      mapQueue("PgQueue.reschedule")
    )
  },

  release: (items) => {
    if (items.length === 0) return Effect.void
    return query(statements.release, [items.map((i) => i.id), items.map((i) => i.token), channel]).pipe(
      Effect.zipRight(Effect.sync(() => wakeEarliest(wakeUps, items))),
      mapQueue("PgQueue.release")
    )
  }
})
