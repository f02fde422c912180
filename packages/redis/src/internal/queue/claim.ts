/**
 * `RedisQueue`'s claims. `claim`: one script that first returns expired leases to the waiting set (at their own run
 * time), then leases up to `max` due items, earliest first, each with a token unique to this process (random), this
 * claim call (a counter) and the item (its index from 1, appended by the script and here alike: the reply does not
 * carry it). `claimById`: one item leased by id, queued or not, unless its lease is still running — its token made as
 * the first item of a claim of its own.
 *
 * @internal
 */
import type { ClaimedItem } from "@hookwire/core/DeliveryQueue"
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import { num, type Queue } from "./commands.js"

let instances = 0

/** @internal */
export const make = (
  { keys: k, redis, run }: Queue
): Pick<DeliveryQueue.DeliveryQueue["Type"], "claim" | "claimById"> => {
  const instance = `${Math.random().toString(36).slice(2, 10)}${(++instances).toString(36)}`
  let claims = 0
  const nextBase = () => `${instance}.${(++claims).toString(36)}`
  return {
    claim: ({ leaseMs, max, now }) =>
      Effect.suspend(() => {
        const limit = Math.floor(max)
        const base = nextBase()
        const nowText = num("RedisQueue.claim", "now", now)
        const until = num("RedisQueue.claim", "now + leaseMs", now + leaseMs)
        const maxText = String(limit > 0 ? limit : 0)
        return run(
          "RedisQueue.claim",
          () => redis.hookwireQueueClaim(k.due, k.leases, k.items, nowText, until, maxText, base)
        ).pipe(
          Effect.map((reply) => {
            const out: Array<ClaimedItem> = []
            if (reply.length === 0) return out
            // The run times and claim counts come packed in the first element; each token is the base and the index.
            const meta = reply[0].split(" ")
            for (let i = 1; i < reply.length; i++) {
              out.push({
                id: reply[i],
                runAt: Number(meta[2 * i - 2]),
                claims: Number(meta[2 * i - 1]),
                token: `${base}.${i}`
              })
            }
            return out
          })
        )
      }),

    // One item, as the first of a claim of its own.
    claimById: ({ id, leaseMs, now, runAt }) =>
      Effect.suspend(() => {
        const token = `${nextBase()}.1`
        const nowText = num("RedisQueue.claimById", "now", now)
        const until = num("RedisQueue.claimById", "now + leaseMs", now + leaseMs)
        const runText = num("RedisQueue.claimById", "runAt", runAt)
        return run(
          "RedisQueue.claimById",
          () => redis.hookwireQueueClaimById(k.due, k.leases, k.items, nowText, until, runText, token, id)
        ).pipe(
          Effect.map((leased): ClaimedItem | undefined => leased === 1 ? { id, runAt, token, claims: 1 } : undefined)
        )
      })
  }
}
