/**
 * Deduplication for receivers. Senders retry, and at-least-once delivery means the same webhook id can arrive more
 * than once; a `DedupStore` remembers ids it has seen for a while so the handler runs once per id. The in-memory
 * store here suits a single process; Redis and Postgres stores live in their adapter packages and implement the same
 * interface: `claim`, and `release` to forget an id whose handling failed.
 *
 * @since 0.1.0
 */

/**
 * Remembers webhook ids. `claim` returns `true` the first time an id is seen within `ttlSeconds` (the caller
 * proceeds) and `false` for a duplicate. It must be atomic: two concurrent claims of one id return one `true`.
 *
 * `release` forgets a claimed id, for when handling it failed: the sender's retry must then be handled rather than
 * acknowledged as a duplicate. `receive` claims before the handler runs and `ReceiveResult.release` (called for you by
 * `@hookwire/express` and `@hookwire/fastify` when the handler fails) calls it. It is optional only so that older
 * stores keep working, and every store should implement it: without it the event of a failed handler is lost, since
 * its retry is answered as a duplicate until the claim expires. Releasing an id that is not claimed must do nothing.
 *
 * @since 0.1.0
 * @category models
 */
export interface DedupStore {
  claim(id: string, ttlSeconds: number): boolean | Promise<boolean>
  release?(id: string): void | Promise<void>
}

/**
 * Options of `MemoryDedupStore`.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryDedupStoreOptions {
  /** Upper bound on remembered ids; when full, the oldest is forgotten. Default 100,000. */
  readonly maxEntries?: number
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number
}

const DEFAULT_MAX_ENTRIES = 100_000
// Expired entries are dropped a few at a time on each claim, so memory follows the live set without a timer.
const SWEEP_PER_CLAIM = 8

/**
 * A `DedupStore` in process memory, bounded in size: for one process, tests and development. Claims are synchronous,
 * hence atomic within the process.
 *
 * @since 0.1.0
 * @category constructors
 */
export class MemoryDedupStore implements DedupStore {
  readonly #expiry = new Map<string, number>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: MemoryDedupStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(`MemoryDedupStore: maxEntries must be a positive integer, got ${String(maxEntries)}`)
    }
    this.#maxEntries = maxEntries
    this.#now = options.now ?? Date.now
  }

  /**
   * Number of ids currently remembered (including expired ones not yet swept).
   *
   * @since 0.1.0
   */
  get size(): number {
    return this.#expiry.size
  }

  /**
   * `true` the first time `id` is seen within `ttlSeconds`, `false` for a duplicate.
   *
   * @since 0.1.0
   */
  claim(id: string, ttlSeconds: number): boolean {
    if (typeof id !== "string" || id.length === 0) throw new TypeError("MemoryDedupStore.claim: id must be a string")
    if (typeof ttlSeconds !== "number" || !(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) {
      throw new TypeError(`MemoryDedupStore.claim: ttlSeconds must be a positive number, got ${String(ttlSeconds)}`)
    }
    const now = this.#now()
    const map = this.#expiry
    this.#sweep(now)
    const expiresAt = map.get(id)
    if (expiresAt !== undefined) {
      if (expiresAt > now) return false
      // Re-inserting moves the id to the back, keeping the map in (roughly) expiry order for sweeping and eviction.
      map.delete(id)
    }
    map.set(id, now + ttlSeconds * 1000)
    if (map.size > this.#maxEntries) map.delete(map.keys().next().value as string)
    return true
  }

  /**
   * Forgets `id`, so its next delivery is handled again (call it when handling failed).
   *
   * @since 0.1.0
   */
  release(id: string): void {
    this.#expiry.delete(id)
  }

  #sweep(now: number): void {
    let budget = SWEEP_PER_CLAIM
    for (const [id, expiresAt] of this.#expiry) {
      if (budget-- === 0 || expiresAt > now) return
      this.#expiry.delete(id)
    }
  }
}
