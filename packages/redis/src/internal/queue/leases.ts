/**
 * What the holder of a claim does with it in `RedisQueue`: `complete` (the item leaves the queue), `reschedule` (due
 * again at a new run time, its claims back to 0) and `release` (never started: due again at its own run time). A
 * stale token (the item was claimed again since) makes each a no-op. Moving items back publishes a wake-up in its
 * script and wakes this process's waiters at once.
 *
 * @internal
 */
import type { ClaimedItem } from "@hookwire/core/DeliveryQueue"
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import { num, type Queue } from "./commands.js"

type Service = DeliveryQueue.DeliveryQueue["Type"]

/** @internal */
export const make = (
  { keys: k, redis, run }: Queue,
  wake: (runAt: number) => void
): Pick<Service, "complete" | "reschedule" | "release"> => {
  // One script for both: a run time moves the item there, none (the empty string) keeps its own.
  const moveBack = (
    operation: string,
    items: ReadonlyArray<{ readonly item: ClaimedItem; readonly runAt: number | undefined }>
  ) =>
    Effect.suspend(() => {
      if (items.length === 0) return Effect.void
      const args: Array<string> = [k.wake]
      let min = Infinity
      for (const { item, runAt } of items) {
        args.push(item.id, item.token, runAt === undefined ? "" : num(operation, "runAt", runAt))
        const at = runAt ?? item.runAt
        if (at < min) min = at
      }
      return run(operation, () => redis.hookwireQueueReschedule(k.due, k.leases, k.items, ...args)).pipe(
        Effect.tap((moved) => Effect.sync(() => moved > 0 && wake(min)))
      )
    })

  return {
    complete: (items) =>
      Effect.suspend(() => {
        if (items.length === 0) return Effect.void
        const args: Array<string> = []
        for (const item of items) args.push(item.id, item.token)
        return Effect.asVoid(
          run("RedisQueue.complete", () => redis.hookwireQueueComplete(k.due, k.leases, k.items, ...args))
        )
      }),

    reschedule: (items) => moveBack("RedisQueue.reschedule", items),

    release: (items) => moveBack("RedisQueue.release", items.map((item) => ({ item, runAt: undefined })))
  }
}
