/**
 * Prefixed, time-sortable identifiers (`ep_…`, `msg_…`, `dlv_…`, `atm_…`). The body is a ULID-style value: 48 bits
 * of milliseconds then 80 random bits, Crockford base32, monotonic within one process so ids created in the same
 * millisecond still sort in creation order. Written here rather than taken from a package because it must be
 * synchronous, use the platform CSPRNG, carry a prefix and stay monotonic — a few lines, no dependency.
 *
 * @since 0.1.0
 */
import { randomFillSync } from "node:crypto"

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/**
 * @since 0.1.0
 * @category models
 */
export type Prefix = "ep" | "msg" | "dlv" | "atm"

let lastTime = -1
const lastRandom = new Uint8Array(10)
// Random bytes are drawn from the CSPRNG a pool at a time (each byte used once): one `randomFillSync` call costs
// about as much for 4 KiB as for the 10 bytes of one id.
const pool = new Uint8Array(4096)
let poolOffset = pool.length

const freshRandom = (): void => {
  if (poolOffset + lastRandom.length > pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  for (let i = 0; i < lastRandom.length; i++) lastRandom[i] = pool[poolOffset + i]!
  poolOffset += lastRandom.length
}

const incrementRandom = (): void => {
  for (let i = lastRandom.length - 1; i >= 0; i--) {
    if (lastRandom[i] === 255) {
      lastRandom[i] = 0
    } else {
      lastRandom[i]!++
      return
    }
  }
}

const encodeTime = (time: number): string => {
  let out = ""
  let t = time
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out
    t = Math.floor(t / 32)
  }
  return out
}

// The 16 characters of an id's random part, reused: one string is made per id, rather than one per character.
const CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0))
const chars: Array<number> = new Array(16).fill(0)

const encodeRandom = (bytes: Uint8Array): string => {
  // 80 bits → 16 base32 characters, taken 5 bits at a time.
  let buffer = 0
  let bits = 0
  let n = 0
  for (let i = 0; i < bytes.length; i++) {
    buffer = (buffer << 8) | bytes[i]!
    bits += 8
    while (bits >= 5) {
      chars[n++] = CODES[(buffer >>> (bits - 5)) & 31]!
      bits -= 5
    }
    buffer &= (1 << bits) - 1
  }
  return String.fromCharCode.apply(null, chars)
}

// The encoded time of the latest id: ids made in the same millisecond share it.
let encodedTime = ""
let encodedFor = -1

/**
 * The sortable body of an id, for a given time in epoch milliseconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ulid = (now: number): string => {
  if (now <= lastTime) {
    incrementRandom()
  } else {
    lastTime = now
    freshRandom()
  }
  if (encodedFor !== lastTime) {
    encodedTime = encodeTime(lastTime)
    encodedFor = lastTime
  }
  return encodedTime + encodeRandom(lastRandom)
}

/**
 * A new prefixed id such as `msg_01JD3…`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (prefix: Prefix, now: number = Date.now()): string => `${prefix}_${ulid(now)}`

/**
 * The smallest id of a prefix created at or after `time`: a cursor bound for time-window queries.
 *
 * @since 0.1.0
 * @category constructors
 */
export const lowerBound = (prefix: Prefix, time: number): string => `${prefix}_${encodeTime(time)}0000000000000000`

/**
 * The epoch milliseconds encoded in an id.
 *
 * @since 0.1.0
 * @category guards
 */
export const timeOf = (id: string): number => {
  const body = id.slice(id.indexOf("_") + 1, id.indexOf("_") + 11)
  let t = 0
  for (const c of body) t = t * 32 + ALPHABET.indexOf(c)
  return t
}
