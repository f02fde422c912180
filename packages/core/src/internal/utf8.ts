/**
 * Decoding of response bodies cut at a byte limit: the cut can fall inside a multi-byte character, whose partial
 * bytes are dropped rather than decoded as U+FFFD.
 *
 * @internal
 */

/**
 * Decodes `bytes`, which were cut at a byte limit: an incomplete trailing UTF-8 sequence is left out.
 *
 * @internal
 */
export const decodeCut = (bytes: Buffer): string => {
  const length = bytes.length
  let lead = length - 1
  const stop = length - 4
  // Walk back over continuation bytes (10xxxxxx) to the lead byte of the last sequence.
  while (lead >= 0 && lead > stop && (bytes[lead] & 0xc0) === 0x80) lead--
  if (lead >= 0) {
    const byte = bytes[lead]
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    if (lead + size > length) return bytes.toString("utf8", 0, lead)
  }
  return bytes.toString("utf8")
}

/**
 * `text` cut to at most `maxBytes` bytes of UTF-8, on a character boundary.
 *
 * @internal
 */
export const cut = (text: string, maxBytes: number): string => {
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, "utf8") <= maxBytes) return text
  return decodeCut(Buffer.from(text, "utf8").subarray(0, Math.max(0, maxBytes)))
}
