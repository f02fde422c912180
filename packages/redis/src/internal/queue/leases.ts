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
import { num, packedToken, type Queue } from "./commands.js"

type Service = DeliveryQueue.DeliveryQueue["Type"]

/** @internal */
export const make = (
  { keys: k, redis, run }: Queue,
  wake: (runAt: number) => void
): Pick<Service, "complete" | "reschedule" | "release"> => {
  // One script for both: a run time moves the item there, none (`_`) keeps its own.
  const moveBack = (
    operation: string,
    items: ReadonlyArray<{ readonly item: ClaimedItem; readonly runAt: number | undefined }>
  ) =>
    Effect.suspend(() => {
      if (items.length === 0) return Effect.void
      const ids: Array<string> = new Array(items.length)
      const tokens: Array<string> = new Array(items.length)
      const runs: Array<string> = new Array(items.length)
      let min = Infinity
      for (let i = 0; i < items.length; i++) {
        const { item, runAt } = items[i]
        ids[i] = item.id
        tokens[i] = packedToken(item.token)
        runs[i] = runAt === undefined ? "_" : num(operation, "runAt", runAt)
        const at = runAt ?? item.runAt
        if (at < min) min = at
      }
      const packedTokens = tokens.join(" ")
      const packedRuns = runs.join(" ")
      return run(
        operation,
        () => redis.hookwireQueueReschedule(k.due, k.leases, k.items, k.wake, packedTokens, packedRuns, ...ids)
      ).pipe(
        Effect.tap((moved) => Effect.sync(() => moved > 0 && wake(min)))
      )
    })

  return {
    complete: (items) =>
      Effect.suspend(() => {
        if (items.length === 0) return Effect.void
        const ids: Array<string> = new Array(items.length)
        const tokens: Array<string> = new Array(items.length)
        for (let i = 0; i < items.length; i++) {
          ids[i] = items[i].id
          tokens[i] = packedToken(items[i].token)
        }
        const packedTokens = tokens.join(" ")
        return Effect.asVoid(
          run("RedisQueue.complete", () => redis.hookwireQueueComplete(k.due, k.leases, k.items, packedTokens, ...ids))
        )
      }),

    reschedule: (items) => moveBack("RedisQueue.reschedule", items),

    release: (items) => moveBack("RedisQueue.release", items.map((item) => ({ item, runAt: undefined })))
  }
}
