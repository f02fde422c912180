/**
 * The Queue port in process memory. Items wait in a binary min-heap on their run time; claimed items move to a second
 * min-heap on their lease expiry, so a claim first returns the expired leases to the ready heap and then pops the
 * earliest due items — O(log n) per item, never a scan. Both heaps use lazy deletion (a node whose stamp no longer
 * matches its item is skipped and dropped), and are rebuilt once stale nodes outnumber live ones. `awaitWork` sleeps on
 * Effect's `Clock` until the earliest run time or lease expiry, bounded by `maxWaitMs`, and is woken at once by
 * `enqueue`, `reschedule` and `release`. Each queued id costs about 200 bytes.
 *
 * @since 0.1.0
 */
import type { ClaimedItem, QueueItem } from "@hookwire/core/DeliveryQueue"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import { MinHeap, type Node } from "./internal/heap.js"

interface Entry {
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

/**
 * Builds an empty memory DeliveryQueue.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue>> = Effect.sync(() =>
  unsafeMake()
)

/**
 * A fresh, empty memory DeliveryQueue.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<DeliveryQueue.DeliveryQueue> = Layer.effect(DeliveryQueue.DeliveryQueue, make)

const unsafeMake = (): Context.Tag.Service<typeof DeliveryQueue.DeliveryQueue> => {
  const entries = new Map<string, Entry>()
  const ready = new MinHeap()
  const leased = new MinHeap()
  let readyLive = 0
  let leasedLive = 0
  let seq = 0
  let tokens = 0
  // One signal per waiting call (see `DeliveryQueue.awaitSignal`), all completed by the next wake-up.
  let waiters: Array<Deferred.Deferred<void>> = []

  const isReady = (node: Node) => {
    const entry = entries.get(node.id)
    return entry !== undefined && entry.seq === node.seq && !entry.leased
  }
  const isLeased = (node: Node) => {
    const entry = entries.get(node.id)
    return entry !== undefined && entry.seq === node.seq && entry.leased
  }

  const compact = () => {
    if (ready.size > 1024 && ready.size > 2 * readyLive) ready.compact(isReady)
    if (leased.size > 1024 && leased.size > 2 * leasedLive) leased.compact(isLeased)
  }

  const wake = () => {
    if (waiters.length === 0) return
    const woken = waiters
    waiters = []
    for (const signal of woken) Deferred.unsafeDone(signal, Effect.void)
  }

  // Puts an item in the ready heap at `runAt`. Its claim, if any, ends unless `keepToken` (a lease expiry).
  const schedule = (entry: Entry, runAt: number, keepToken = false) => {
    if (entry.leased) {
      entry.leased = false
      leasedLive--
      readyLive++
    }
    if (!keepToken) entry.token = null
    entry.runAt = runAt
    entry.seq = ++seq
    ready.push({ at: runAt, seq: entry.seq, id: entry.id })
  }

  const drop = (entry: Entry) => {
    entries.delete(entry.id)
    if (entry.leased) leasedLive--
    else readyLive--
  }

  // The entry, if `item` is its latest claim: a stale token (the item was claimed again, completed, rescheduled,
  // released, re-enqueued or removed since) matches nothing.
  const current = (item: ClaimedItem): Entry | undefined => {
    const entry = entries.get(item.id)
    return entry !== undefined && entry.token !== null && entry.token === item.token ? entry : undefined
  }

  const enqueue = (items: ReadonlyArray<QueueItem>) => {
    for (const item of items) {
      const entry = entries.get(item.id)
      if (entry !== undefined) {
        // Re-enqueueing replaces the run time; a claimed item is queued again and its holder's token goes stale.
        schedule(entry, item.runAt)
      } else {
        seq++
        entries.set(item.id, {
          id: item.id,
          runAt: item.runAt,
          claims: 0,
          token: null,
          leased: false,
          leaseUntil: 0,
          seq
        })
        readyLive++
        ready.push({ at: item.runAt, seq, id: item.id })
      }
    }
    compact()
    if (items.length > 0) wake()
  }

  const claim = (max: number, leaseMs: number, now: number): Array<ClaimedItem> => {
    // Expired leases go back to the ready heap at their own run time, so they keep their place in line.
    for (let top = leased.prune(isLeased); top !== undefined && top.at <= now; top = leased.prune(isLeased)) {
      leased.pop()
      const entry = entries.get(top.id)!
      schedule(entry, entry.runAt, true)
    }
    const out: Array<ClaimedItem> = []
    while (out.length < max) {
      const top = ready.prune(isReady)
      if (top === undefined || top.at > now) break
      ready.pop()
      const entry = entries.get(top.id)!
      entry.claims++
      entry.token = `${(++tokens).toString(36)}.${entry.claims}`
      entry.leased = true
      entry.leaseUntil = now + leaseMs
      entry.seq = ++seq
      readyLive--
      leasedLive++
      leased.push({ at: now + leaseMs, seq: entry.seq, id: entry.id })
      out.push({ id: entry.id, runAt: entry.runAt, token: entry.token, claims: entry.claims })
    }
    compact()
    return out
  }

  // When the next item becomes claimable: the earliest run time or lease expiry.
  const nextWork = (): number => Math.min(ready.prune(isReady)?.at ?? Infinity, leased.prune(isLeased)?.at ?? Infinity)

  return DeliveryQueue.DeliveryQueue.of({
    enqueue: (items) => Effect.sync(() => enqueue(items)),

    enqueueUnclaimed: (items, now) =>
      Effect.sync(() => {
        const held = new Set<string>()
        const free: Array<QueueItem> = []
        for (const item of items) {
          const entry = entries.get(item.id)
          if (entry !== undefined && entry.leased && entry.leaseUntil > now) held.add(item.id)
          else free.push(item)
        }
        enqueue(free)
        return held
      }),

    claim: ({ leaseMs, max, now }) => Effect.sync(() => claim(max, leaseMs, now)),

    complete: (items) =>
      Effect.sync(() => {
        for (const item of items) {
          const entry = current(item)
          if (entry !== undefined) drop(entry)
        }
        compact()
      }),

    reschedule: (items) =>
      Effect.sync(() => {
        let woke = false
        for (const { item, runAt } of items) {
          const entry = current(item)
          if (entry !== undefined) {
            // A result was recorded: the count of claims without one starts again.
            entry.claims = 0
            schedule(entry, runAt)
            woke = true
          }
        }
        compact()
        if (woke) wake()
      }),

    release: (items) =>
      Effect.sync(() => {
        let woke = false
        for (const item of items) {
          const entry = current(item)
          if (entry !== undefined) {
            // Never started: this claim does not count.
            entry.claims = 0
            schedule(entry, entry.runAt)
            woke = true
          }
        }
        compact()
        if (woke) wake()
      }),

    remove: (ids) =>
      Effect.sync(() => {
        for (const id of ids) {
          const entry = entries.get(id)
          if (entry !== undefined) drop(entry)
        }
        compact()
      }),

    has: (ids) =>
      Effect.sync(() => {
        const out = new Set<string>()
        for (const id of ids) if (entries.has(id)) out.add(id)
        return out
      }),

    awaitWork: ({ maxWaitMs, now }) =>
      Effect.suspend(() => {
        const wait = Math.min(maxWaitMs, nextWork() - now)
        if (!(wait > 0)) return Effect.void
        // Registered in the same synchronous step as the check: an enqueue after it completes it.
        const signal = Deferred.unsafeMake<void>(FiberId.none)
        waiters.push(signal)
        return Effect.ensuring(
          DeliveryQueue.awaitSignal(signal, wait),
          Effect.sync(() => {
            const i = waiters.indexOf(signal)
            if (i >= 0) waiters.splice(i, 1)
          })
        )
      })
  })
}
