import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { base64Decode, base64Encode, hexEncode, timingSafeEqualStrings } from "../src/internal/encoding.js"

describe("portable encodings (used by the Web Crypto path and secret decoding)", () => {
  it("base64 and hex encode exactly like Buffer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64Encode(bytes)).toBe(Buffer.from(bytes).toString("base64"))
        expect(hexEncode(bytes)).toBe(Buffer.from(bytes).toString("hex"))
      })
    )
  })

  it("base64 decoding inverts encoding, with or without padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = base64Encode(bytes)
        expect(base64Decode(encoded)).toEqual(bytes)
        expect(base64Decode(encoded.replace(/=+$/, ""))).toEqual(bytes)
      })
    )
  })

  it("base64 decoding is strict where Buffer is lenient", () => {
    // Whitespace, URL-safe letters, bad padding, and non-zero unused bits ("YR==", "ab==") are all refused.
    for (const bad of ["ab c", "ab\n", "a", "ab=c", "abc==", "ab-_", "YQ=", "YR==", "====", "ab=="]) {
      expect(base64Decode(bad), JSON.stringify(bad)).toBeUndefined()
    }
    expect(base64Decode("YQ==")).toEqual(new Uint8Array([97]))
    expect(base64Decode("")).toEqual(new Uint8Array(0))
  })

  it("timingSafeEqualStrings compares exactly", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(timingSafeEqualStrings(a, b)).toBe(a === b)
        expect(timingSafeEqualStrings(a, a)).toBe(true)
      })
    )
  })
})
