/**
 * Portable byte encodings (base64, hex, UTF-8) written against the ECMAScript standard library only, so the Web
 * Crypto implementation and secret decoding work on every runtime. Decoders are strict: they return `undefined` for
 * anything that is not canonical input instead of silently skipping characters the way `Buffer.from` does, because a
 * lenient decoder turns a malformed secret into a silent signature mismatch.
 *
 * @internal
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

const DECODE = /* @__PURE__ */ (() => {
  const table = new Int16Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

const HEX = "0123456789abcdef"

const encoder = new TextEncoder()

/** UTF-8 bytes of a string. */
export const utf8 = (s: string): Uint8Array => encoder.encode(s)

/** `pre ++ body ++ post` as one array: the signed content for primitives that cannot stream (ed25519, Web Crypto). */
export const concat = (pre: string, body: string | Uint8Array, post: string): Uint8Array => {
  if (typeof body === "string") return utf8(pre + body + post)
  const a = utf8(pre)
  const c = post.length === 0 ? undefined : utf8(post)
  const out = new Uint8Array(a.length + body.length + (c === undefined ? 0 : c.length))
  out.set(a, 0)
  out.set(body, a.length)
  if (c !== undefined) out.set(c, a.length + body.length)
  return out
}

/** Standard base64 with padding. */
export const base64Encode = (bytes: Uint8Array): string => {
  let out = ""
  const n = bytes.length
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    out += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63] + ALPHABET[(v >> 6) & 63] + ALPHABET[v & 63]
  }
  if (i < n) {
    const v = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0)
    out += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63]
    out += i + 1 < n ? ALPHABET[(v >> 6) & 63] + "=" : "=="
  }
  return out
}

/**
 * Number of bytes `s` decodes to when it is canonical standard base64 (padding optional, no whitespace, unused bits
 * zero), otherwise -1. Used to validate before handing the string to a fast native decoder.
 */
export const base64Length = (s: string): number => {
  let len = s.length
  if (len === 0) return 0
  let pad = 0
  if (s.charCodeAt(len - 1) === 61) {
    pad = s.charCodeAt(len - 2) === 61 ? 2 : 1
    if ((len & 3) !== 0) return -1
    len -= pad
  }
  const rem = len & 3
  if (rem === 1) return -1
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c > 127 || DECODE[c] < 0) return -1
  }
  // Canonical form: the bits that fall off the last byte are zero, so one byte string has one encoding.
  if (rem !== 0) {
    const last = DECODE[s.charCodeAt(len - 1)]
    if ((rem === 2 ? last & 15 : last & 3) !== 0) return -1
  }
  return (len >> 2) * 3 + (rem === 0 ? 0 : rem - 1)
}

/** Strict standard base64 decoding; `undefined` when `s` is not canonical base64. */
export const base64Decode = (s: string): Uint8Array | undefined => {
  const size = base64Length(s)
  if (size < 0) return undefined
  const out = new Uint8Array(size)
  let o = 0
  let acc = 0
  let bits = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 61) break
    acc = (acc << 6) | DECODE[c]
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 255
    }
  }
  return out
}

/** Lower-case hex. */
export const hexEncode = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15]
  return out
}

/**
 * Constant-time equality of two strings of public length (encoded signatures): the loop never exits early on a
 * difference, so the time taken does not reveal how much of a forged signature was right.
 */
export const timingSafeEqualStrings = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
