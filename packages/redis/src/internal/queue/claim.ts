/**
 * `RedisQueue`'s claim: one script that first returns expired leases to the waiting set (at their own run time), then
 * leases up to `max` due items, earliest first, each with a token unique to this process (random), this claim call
 * (a counter) and the item (its index from 1, appended by the script and here alike: the reply does not carry it).
 *
 * @internal
 */
import type { ClaimedItem } from "@hookwire/core/DeliveryQueue"
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Effect from "effect/Effect"
import { num, type Queue } from "./commands.js"

let instances = 0

/** @internal */
export const make = ({ keys: k, redis, run }: Queue): DeliveryQueue.DeliveryQueue["Type"]["claim"] => {
  const instance = `${Math.random().toString(36).slice(2, 10)}${(++instances).toString(36)}`
  let claims = 0
  return ({ leaseMs, max, now }) =>
    Effect.suspend(() => {
      const limit = Math.floor(max)
      const base = `${instance}.${(++claims).toString(36)}`
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
    })
}
