/**
 * The memory DeliveryQueue's claim: expired leases first go back to the ready heap at their own run time (so they keep
 * their place in line), then up to `max` due items are leased, earliest first — O(log n) per item, never a scan.
 *
 * @internal
 */
import type { ClaimedItem } from "@hookwire/core/DeliveryQueue"
import type { State } from "./state.js"

/** The claim function over `state`; every claimed item gets a token no other claim had (a counter per queue). */
export const make = (state: State) => {
  let tokens = 0
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
      state.lease(entry, (++tokens).toString(36), now + leaseMs)
      out.push({ id: entry.id, runAt: entry.runAt, token: entry.token!, claims: entry.claims })
    }
    state.compact()
    return out
  }
}
