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

/** @internal */
export const make = (
  { keys: k, redis, run }: Queue,
  wake: (runAt: number) => void
): Pick<Service, "enqueue" | "enqueueUnclaimed" | "remove" | "has"> => ({
  enqueue: (items) =>
    Effect.suspend(() => {
      if (items.length === 0) return Effect.void
      const args: Array<string> = [k.wake]
      let min = Infinity
      for (const item of items) {
        args.push(item.id, num("RedisQueue.enqueue", "runAt", item.runAt))
        if (item.runAt < min) min = item.runAt
      }
      return run("RedisQueue.enqueue", () => redis.hookwireQueueEnqueue(k.due, k.leases, k.items, ...args)).pipe(
        Effect.tap(() => Effect.sync(() => wake(min)))
      )
    }),

  enqueueUnclaimed: (items, now) =>
    Effect.suspend(() => {
      if (items.length === 0) return Effect.succeed(new Set<string>() as ReadonlySet<string>)
      const args: Array<string> = [k.wake, num("RedisQueue.enqueueUnclaimed", "now", now)]
      for (const item of items) args.push(item.id, num("RedisQueue.enqueueUnclaimed", "runAt", item.runAt))
      return run(
        "RedisQueue.enqueueUnclaimed",
        () => redis.hookwireQueueEnqueueUnclaimed(k.due, k.leases, k.items, ...args)
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
