/**
 * Ids of one list (a tenant's endpoints, an endpoint's deliveries, ...) kept sorted, for cursor pages. Ids are
 * time-ordered, so inserts are appends in practice; a binary search handles the rest. Removal is lazy: the owner
 * deletes the record and calls `markDead`, pages skip ids whose record is gone, and the array is compacted once half
 * of it is dead — so evicting a message with 10,000 deliveries costs O(1) per index, not a splice each.
 *
 * @internal
 */

/** @internal */
export class IdIndex {
  private ids: Array<string> = []
  private live = 0

  /** How many live ids the index holds. */
  get size(): number {
    return this.live
  }

  /** Adds an id that is not live in this index (an id marked dead earlier becomes live again). */
  add(id: string): void {
    const ids = this.ids
    const n = ids.length
    this.live++
    if (n === 0) {
      // Most lists (a message's deliveries and attempts, a delivery's attempts) hold one id: an array of exactly one
      // element, where a push onto an empty array reserves room for 17.
      this.ids = [id]
      return
    }
    if (ids[n - 1] < id) {
      ids.push(id)
      return
    }
    const i = this.firstAtOrAfter(id)
    if (ids[i] !== id) ids.splice(i, 0, id)
  }

  /** Removes a live id at once: for small lists (a tenant's endpoints, a delivery's attempts). */
  delete(id: string): void {
    const i = this.firstAtOrAfter(id)
    if (this.ids[i] === id) {
      this.ids.splice(i, 1)
      this.live--
    }
  }

  /** Notes that one live id's record is gone; compacts once most of the array is dead. */
  markDead(isLive: (id: string) => boolean): void {
    this.live--
    const dead = this.ids.length - this.live
    if (dead > 64 && dead * 2 > this.ids.length) {
      this.ids = this.ids.filter(isLive)
    }
  }

  /** Visits ids strictly after `cursor` (any string: it need not be a stored id) in ascending order, while true. */
  forEachAfter(cursor: string | undefined, visit: (id: string) => boolean): void {
    const ids = this.ids
    let i = cursor === undefined ? 0 : this.firstAtOrAfter(cursor)
    if (cursor !== undefined && ids[i] === cursor) i++
    for (; i < ids.length; i++) {
      if (!visit(ids[i])) return
    }
  }

  /** Visits ids strictly before `cursor` (all ids when undefined) in descending order, while true. */
  forEachBefore(cursor: string | undefined, visit: (id: string) => boolean): void {
    const ids = this.ids
    let i = cursor === undefined ? ids.length - 1 : this.firstAtOrAfter(cursor) - 1
    for (; i >= 0; i--) {
      if (!visit(ids[i])) return
    }
  }

  /** The ids held, ascending; dead ones included (callers check their records). */
  values(): ReadonlyArray<string> {
    return this.ids
  }

  private firstAtOrAfter(id: string): number {
    const ids = this.ids
    let lo = 0
    let hi = ids.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (ids[mid] < id) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
