/**
 * The memory DeliveryQueue's shared state: one entry per queued id, a min-heap of waiting items on their run time and
 * a min-heap of claimed items on their lease expiry. Both heaps use lazy deletion (a node whose stamp no longer
 * matches its entry is skipped and dropped) and are rebuilt once stale nodes outnumber live ones. The operations
 * (`items.ts`, `claim.ts`, `leases.ts`, `wakeUps.ts`) change entries only through the methods here, which keep the
 * heaps and their live counts in step. Every method is synchronous.
 *
 * @internal
 */
import type { ClaimedItem } from "@hookwire/core/DeliveryQueue"
import { MinHeap, type Node } from "../heap.js"

/** One queued id. */
export interface Entry {
  readonly id: string
  runAt: number
  claims: number
  /**
   * The last claim's token. It stays valid after the lease expires, until the item is claimed again (or completed,
   * rescheduled, released, re-enqueued): a slow holder can still finish what nobody else has picked up.
   */
  token: string | null
  /** Whether the item is in the lease heap (claimed) rather than the ready heap. */
  leased: boolean
  /** When the current lease ends (epoch ms), while `leased`. */
  leaseUntil: number
  /** Stamp of the item's one live heap node (ready or leased); older nodes are stale. */
  seq: number
}

/** @internal */
export class State {
  readonly entries = new Map<string, Entry>()
  readonly ready = new MinHeap()
  readonly leased = new MinHeap()
  readyLive = 0
  leasedLive = 0
  seq = 0
  /** Claims made so far (`claim` calls and `claimById`): each names its tokens, so no two claims share one. */
  claimsMade = 0

  readonly isReady = (node: Node): boolean => {
    const entry = this.entries.get(node.id)
    return entry !== undefined && entry.seq === node.seq && !entry.leased
  }

  readonly isLeased = (node: Node): boolean => {
    const entry = this.entries.get(node.id)
    return entry !== undefined && entry.seq === node.seq && entry.leased
  }

  /** Rebuilds a heap once its stale nodes outnumber its live ones. */
  compact(): void {
    if (this.ready.size > 1024 && this.ready.size > 2 * this.readyLive) this.ready.compact(this.isReady)
    if (this.leased.size > 1024 && this.leased.size > 2 * this.leasedLive) this.leased.compact(this.isLeased)
  }

  /** Queues a new id at `runAt`. */
  add(id: string, runAt: number): void {
    const seq = ++this.seq
    this.entries.set(id, { id, runAt, claims: 0, token: null, leased: false, leaseUntil: 0, seq })
    this.readyLive++
    this.ready.push({ at: runAt, seq, id })
  }

  /** Puts an item in the ready heap at `runAt`. Its claim, if any, ends unless `keepToken` (a lease expiry). */
  schedule(entry: Entry, runAt: number, keepToken = false): void {
    if (entry.leased) {
      entry.leased = false
      this.leasedLive--
      this.readyLive++
    }
    if (!keepToken) entry.token = null
    entry.runAt = runAt
    entry.seq = ++this.seq
    this.ready.push({ at: runAt, seq: entry.seq, id: entry.id })
  }

  /** A name for a new claim, unique in this queue. */
  nextClaim(): string {
    return (++this.claimsMade).toString(36)
  }

  /** Moves a ready item to the lease heap until `leaseUntil`; its claim's token is `<claim>.<claims>`. */
  lease(entry: Entry, claim: string, leaseUntil: number): void {
    entry.claims++
    entry.token = `${claim}.${entry.claims}`
    entry.leased = true
    entry.leaseUntil = leaseUntil
    entry.seq = ++this.seq
    this.readyLive--
    this.leasedLive++
    this.leased.push({ at: leaseUntil, seq: entry.seq, id: entry.id })
  }

  /** Forgets an item (its heap node goes stale). */
  drop(entry: Entry): void {
    this.entries.delete(entry.id)
    if (entry.leased) this.leasedLive--
    else this.readyLive--
  }

  /**
   * The entry, if `item` is its latest claim: a stale token (the item was claimed again, completed, rescheduled,
   * released, re-enqueued or removed since) matches nothing.
   */
  current(item: ClaimedItem): Entry | undefined {
    const entry = this.entries.get(item.id)
    return entry !== undefined && entry.token !== null && entry.token === item.token ? entry : undefined
  }

  /** When the next item becomes claimable: the earliest run time or lease expiry. */
  nextWork(): number {
    return Math.min(this.ready.prune(this.isReady)?.at ?? Infinity, this.leased.prune(this.isLeased)?.at ?? Infinity)
  }
}
