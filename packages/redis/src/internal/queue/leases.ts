/**
 * What the holder of a claim does with it in `RedisQueue`: `complete` (the item leaves the queue; calls made while one
 * is on its way to Redis go together in the next), `reschedule` (due again at a new run time, its claims back to 0)
 * and `release` (never started: due again at its own run time). A
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

/**
 * One call to Redis at a time for `send`: what callers hand over while one is on its way goes in the next, together
 * (the dispatcher's result writers complete a batch each, several at once, and each call costs the process a socket
 * write and Redis a script run, whatever its size). Each caller's promise settles with the call that carried its items.
 */
export const coalesced = <A>(send: (items: ReadonlyArray<A>) => Promise<unknown>) => {
  let pending: Array<A> = []
  let waiting: Array<{ readonly resolve: () => void; readonly reject: (error: unknown) => void }> = []
  let busy = false
  const next = (): void => {
    if (pending.length === 0) {
      busy = false
      return
    }
    busy = true
    const items = pending
    const callers = waiting
    pending = []
    waiting = []
    let sent: Promise<unknown>
    try {
      sent = send(items)
    } catch (error) {
      sent = Promise.reject(error)
    }
    sent.then(
      () => {
        for (const caller of callers) caller.resolve()
      },
      (error) => {
        for (const caller of callers) caller.reject(error)
      }
    ).finally(next)
  }
  return (items: ReadonlyArray<A>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      for (const item of items) pending.push(item)
      waiting.push({ resolve, reject })
      if (!busy) next()
    })
}

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

  const completing = coalesced<ClaimedItem>((items) => {
    const ids: Array<string> = new Array(items.length)
    const tokens: Array<string> = new Array(items.length)
    for (let i = 0; i < items.length; i++) {
      ids[i] = items[i].id
      tokens[i] = packedToken(items[i].token)
    }
    return redis.hookwireQueueComplete(k.due, k.leases, k.items, tokens.join(" "), ...ids)
  })

  return {
    complete: (items) =>
      items.length === 0
        ? Effect.void
        : run("RedisQueue.complete", () => completing(items)),

    reschedule: (items) => moveBack("RedisQueue.reschedule", items),

    release: (items) => moveBack("RedisQueue.release", items.map((item) => ({ item, runAt: undefined })))
  }
}
