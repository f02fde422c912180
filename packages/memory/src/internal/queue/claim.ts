/**
 * The memory DeliveryQueue's claim: expired leases first go back to the ready heap at their own run time (so they keep
 * their place in line), then up to `max` due items are leased, earliest first — O(log n) per item, never a scan. And
 * `claimById`, which leases one item whatever its run time (unless its lease is still running).
 *
 * @internal
 */
import type { ClaimedItem } from "@hookwire/core/DeliveryQueue"
import type { State } from "./state.js"

/** The claim function over `state`; every claimed item gets a token no other claim had (a counter per queue). */
export const make = (state: State) => {
  return (max: number, leaseMs: number, now: number): Array<ClaimedItem> => {
    const { entries, leased, ready } = state
    for (
      let top = leased.prune(state.isLeased);
      top !== undefined && top.at <= now;
      top = leased.prune(state.isLeased)
    ) {
      leased.pop()
      const entry = entries.get(top.id)!
      state.schedule(entry, entry.runAt, true)
    }
    const out: Array<ClaimedItem> = []
    while (out.length < max) {
      const top = ready.prune(state.isReady)
      if (top === undefined || top.at > now) break
      ready.pop()
      const entry = entries.get(top.id)!
      state.lease(entry, state.nextClaim(), now + leaseMs)
      out.push({ id: entry.id, runAt: entry.runAt, token: entry.token!, claims: entry.claims })
    }
    state.compact()
    return out
  }
}

/** `claimById` over `state`: the item, queued anew or taken from the line, leased with a claim count of 1. */
export const byId =
  (state: State) => (id: string, runAt: number, leaseMs: number, now: number): ClaimedItem | undefined => {
    const queued = state.entries.get(id)
    if (queued !== undefined && queued.leased && queued.leaseUntil > now) return undefined
    if (queued === undefined) state.add(id, runAt)
    else state.schedule(queued, runAt)
    const entry = queued ?? state.entries.get(id)!
    entry.claims = 0
    state.lease(entry, state.nextClaim(), now + leaseMs)
    state.compact()
    return { id, runAt, token: entry.token!, claims: entry.claims }
  }
