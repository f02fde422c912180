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
  /**
   * The ids: none, one held inline (most lists — a message's deliveries and attempts, a delivery's attempts — hold
   * exactly one, and an array of one costs two more objects per list, ≈ 90 bytes), or a sorted array.
   */
  private ids: Array<string> | string | undefined = undefined
  private live = 0

  /** An index of one id. */
  static of(id: string): IdIndex {
    const index = new IdIndex()
    index.add(id)
    return index
  }

  /** How many live ids the index holds. */
  get size(): number {
    return this.live
  }

  /** Adds an id that is not live in this index (an id marked dead earlier becomes live again). */
  add(id: string): void {
    const ids = this.ids
    this.live++
    if (ids === undefined) {
      this.ids = id
      return
    }
    if (typeof ids === "string") {
      if (ids !== id) this.ids = ids < id ? [ids, id] : [id, ids]
      return
    }
    const n = ids.length
    if (n === 0) {
      this.ids = id
      return
    }
    if (ids[n - 1] < id) {
      ids.push(id)
      return
    }
    const i = this.firstAtOrAfter(ids, id)
    if (ids[i] !== id) ids.splice(i, 0, id)
  }

  /** Removes a live id at once: for small lists (a tenant's endpoints, a delivery's attempts). */
  delete(id: string): void {
    const ids = this.ids
    if (ids === undefined) return
    if (typeof ids === "string") {
      if (ids === id) {
        this.ids = undefined
        this.live--
      }
      return
    }
    const i = this.firstAtOrAfter(ids, id)
    if (ids[i] === id) {
      ids.splice(i, 1)
      this.live--
    }
  }

  /** Notes that one live id's record is gone; compacts once most of the array is dead. */
  markDead(isLive: (id: string) => boolean): void {
    this.live--
    const ids = this.ids
    if (ids === undefined || typeof ids === "string") return
    const dead = ids.length - this.live
    if (dead > 64 && dead * 2 > ids.length) {
      this.ids = ids.filter(isLive)
    }
  }

  /** Visits ids strictly after `cursor` (any string: it need not be a stored id) in ascending order, while true. */
  forEachAfter(cursor: string | undefined, visit: (id: string) => boolean): void {
    const ids = this.ids
    if (ids === undefined) return
    if (typeof ids === "string") {
      if (cursor === undefined || ids > cursor) visit(ids)
      return
    }
    let i = cursor === undefined ? 0 : this.firstAtOrAfter(ids, cursor)
    if (cursor !== undefined && ids[i] === cursor) i++
    for (; i < ids.length; i++) {
      if (!visit(ids[i])) return
    }
  }

  /** Visits ids strictly before `cursor` (all ids when undefined) in descending order, while true. */
  forEachBefore(cursor: string | undefined, visit: (id: string) => boolean): void {
    const ids = this.ids
    if (ids === undefined) return
    if (typeof ids === "string") {
      if (cursor === undefined || ids < cursor) visit(ids)
      return
    }
    let i = cursor === undefined ? ids.length - 1 : this.firstAtOrAfter(ids, cursor) - 1
    for (; i >= 0; i--) {
      if (!visit(ids[i])) return
    }
  }

  /** The ids held, ascending; dead ones included (callers check their records). */
  values(): ReadonlyArray<string> {
    const ids = this.ids
    return ids === undefined ? [] : typeof ids === "string" ? [ids] : ids
  }

  private firstAtOrAfter(ids: ReadonlyArray<string>, id: string): number {
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

/**
 * The ids of a list that nearly always holds one (a message's deliveries and attempts, a delivery's attempts): the id
 * itself, an `IdIndex` once it holds more, or nothing — so such a list costs no object of its own (≈ 40 bytes each,
 * three per message). The functions below return the list to keep.
 *
 * @internal
 */
export type IdList = string | IdIndex | undefined

/** `list` with `id` added (an id not live in it). */
export const listAdd = (list: IdList, id: string): IdList => {
  if (list === undefined || list === id) return id
  const index = typeof list === "string" ? IdIndex.of(list) : list
  index.add(id)
  return index
}

/** `list` without the live id `id`, at once (small lists: a delivery's attempts). */
export const listDelete = (list: IdList, id: string): IdList => {
  if (typeof list === "string") return list === id ? undefined : list
  list?.delete(id)
  return list
}

/** `list` once one of its live ids' record is gone (see `IdIndex.markDead`). */
export const listMarkDead = (list: IdList, isLive: (id: string) => boolean): IdList => {
  if (typeof list === "string") return isLive(list) ? list : undefined
  list?.markDead(isLive)
  return list
}

/** The ids of `list`, ascending (dead ones included, see `IdIndex.values`). */
export const listValues = (list: IdList): ReadonlyArray<string> =>
  list === undefined ? [] : typeof list === "string" ? [list] : list.values()

/** How many live ids `list` holds. */
export const listSize = (list: IdList): number => list === undefined ? 0 : typeof list === "string" ? 1 : list.size

/** `list` as an index, for cursor pages (a new one for a single id: reads only). */
export const listIndex = (list: IdList): IdIndex | undefined => typeof list === "string" ? IdIndex.of(list) : list
