/**
 * Response headers as the memory Storage keeps them in its attempt log. Receivers answer with the same few headers
 * again and again (`connection`, `keep-alive`, a `date` that changes once a second), yet every response parses into
 * a new object of new strings: kept for every attempt, that is ≈ 170 bytes each. An attempt's headers equal to the
 * last ones kept are stored as that same object; others are copied with their values interned (short values only,
 * in a bounded table), so equal values share one string. Stored headers are never changed, so sharing is invisible.
 *
 * @internal
 */

/** Values longer than this are kept as they are (ids, tokens: seldom repeated). */
const maxInterned = 64
/** The interning table is dropped and refilled past this many values. */
const maxValues = 4096

/** @internal */
export class SharedHeaders {
  private last: Readonly<Record<string, string>> | undefined = undefined
  private lastSize = 0
  private readonly values = new Map<string, string>()

  /** `headers` as to be stored: the last stored object when equal to it, otherwise a copy with values interned. */
  share(headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const last = this.last
    let size = 0
    if (last !== undefined) {
      let same = true
      for (const name in headers) {
        size++
        if (last[name] !== headers[name]) {
          same = false
          break
        }
      }
      if (same && size === this.lastSize) return last
    }
    const copy: Record<string, string> = {}
    size = 0
    for (const name in headers) {
      copy[name] = this.intern(headers[name])
      size++
    }
    this.last = copy
    this.lastSize = size
    return copy
  }

  private intern(value: string): string {
    if (value.length > maxInterned) return value
    const known = this.values.get(value)
    if (known !== undefined) return known
    if (this.values.size >= maxValues) this.values.clear()
    this.values.set(value, value)
    return value
  }
}
