/**
 * What goes in and out of `PgQueue` outside a claim: `enqueue` (a queued id gets the new run time and loses its
 * claim), `enqueueUnclaimed` (the same, except for rows whose lease is still running: those are returned), `remove`
 * and `has`. Enqueueing notifies the other processes in its statement and wakes this one's waiters at once.
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
): Pick<Service, "enqueue" | "enqueueUnclaimed" | "remove" | "has"> => ({
  enqueue: (items) => {
    if (items.length === 0) return Effect.void
    const unique = lastById(items, (item) => item.id)
    return query(statements.enqueue, [unique.map((i) => i.id), unique.map((i) => i.runAt), channel]).pipe(
      Effect.zipRight(Effect.sync(() => wakeEarliest(wakeUps, unique))),
      mapQueue("PgQueue.enqueue")
    )
  },

  enqueueUnclaimed: (items, now) => {
    if (items.length === 0) return Effect.succeed(new Set<string>())
    const unique = lastById(items, (item) => item.id)
    return query(statements.enqueueUnclaimed, [unique.map((i) => i.id), unique.map((i) => i.runAt), now, channel])
      .pipe(
        Effect.map(([row]) => {
          const held = new Set<string>((row?.held ?? []) as Array<string>)
          const woke = unique.filter((item) => !held.has(item.id))
          if (woke.length > 0) wakeEarliest(wakeUps, woke)
          return held as ReadonlySet<string>
        }),
        mapQueue("PgQueue.enqueueUnclaimed")
      )
  },

  remove: (ids) => {
    if (ids.length === 0) return Effect.void
    return query(statements.remove, [ids]).pipe(Effect.asVoid, mapQueue("PgQueue.remove"))
  },

  has: (ids) => {
    if (ids.length === 0) return Effect.succeed(new Set<string>())
    return query(statements.has, [ids]).pipe(
      Effect.map((found) => new Set(found.map((row) => row.id as string))),
      mapQueue("PgQueue.has")
    )
  }
})
