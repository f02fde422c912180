/**
 * What goes in and out of `RedisQueue` outside a claim: `enqueue` (a queued id gets the new run time and its holder's
 * token goes stale), `enqueueUnclaimed` (the same, except for items whose lease is still running: those are
 * returned), `remove` and `has`. Enqueueing publishes a wake-up in its script and wakes this process's waiters at once.
 *
 * @internal
 */
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import { num, type Queue } from "./commands.js"

type Service = DeliveryQueue.DeliveryQueue["Type"]

/** The ids, their run times packed as the scripts take them (one for all when they are all the same), the earliest. */
const packed = (operation: string, items: ReadonlyArray<DeliveryQueue.QueueItem>) => {
  const ids: Array<string> = new Array(items.length)
  const first = items[0].runAt
  let min = first
  let same = true
  for (let i = 0; i < items.length; i++) {
    const runAt = items[i].runAt
    ids[i] = items[i].id
    if (runAt !== first) same = false
    if (runAt < min) min = runAt
  }
  const runs = same
    ? num(operation, "runAt", first)
    : items.map((item) => num(operation, "runAt", item.runAt)).join(" ")
  return { ids, min, runs }
}

/** @internal */
export const make = (
  { keys: k, redis, run }: Queue,
  wake: (runAt: number) => void
): Pick<Service, "enqueue" | "enqueueUnclaimed" | "remove" | "has"> => ({
  enqueue: (items) =>
    Effect.suspend(() => {
      if (items.length === 0) return Effect.void
      const { ids, min, runs } = packed("RedisQueue.enqueue", items)
      return run("RedisQueue.enqueue", () => redis.hookwireQueueEnqueue(k.due, k.leases, k.items, k.wake, runs, ...ids))
        .pipe(Effect.tap(() => Effect.sync(() => wake(min))))
    }),

  enqueueUnclaimed: (items, now) =>
    Effect.suspend(() => {
      if (items.length === 0) return Effect.succeed(new Set<string>() as ReadonlySet<string>)
      const nowText = num("RedisQueue.enqueueUnclaimed", "now", now)
      const { ids, runs } = packed("RedisQueue.enqueueUnclaimed", items)
      return run(
        "RedisQueue.enqueueUnclaimed",
        () => redis.hookwireQueueEnqueueUnclaimed(k.due, k.leases, k.items, k.wake, nowText, runs, ...ids)
      ).pipe(
        Effect.map((heldIds) => {
          const held: ReadonlySet<string> = new Set(heldIds)
          let min = Infinity
          for (const item of items) if (!held.has(item.id) && item.runAt < min) min = item.runAt
          if (min < Infinity) wake(min)
          return held
        })
      )
    }),

  remove: (ids) =>
    ids.length === 0
      ? Effect.void
      : Effect.asVoid(run("RedisQueue.remove", () => redis.hookwireQueueRemove(k.due, k.leases, k.items, ...ids))),

  has: (ids) =>
    Effect.suspend(() => {
      if (ids.length === 0) return Effect.succeed(new Set<string>())
      return run("RedisQueue.has", () => redis.hmget(k.items, ...ids)).pipe(
        Effect.map((values) => {
          const out = new Set<string>()
          for (let i = 0; i < ids.length; i++) if (values[i] !== null) out.add(ids[i])
          return out as ReadonlySet<string>
        })
      )
    })
})
