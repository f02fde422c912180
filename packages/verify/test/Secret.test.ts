import { describe, expect, it } from "vitest"
import {
  generateKeyPair,
  generateSecret,
  github,
  sign,
  stripe,
  verify,
  WebhookVerificationError
} from "../src/index.js"
import { codeOf, errorOf, STANDARD, STANDARD_NOW, standardHeaders } from "./utils/vectors.js"

const at = { now: () => STANDARD_NOW }

describe("generateSecret", () => {
  it("returns whsec_ + base64 of 24 random bytes, different each time", () => {
    const a = generateSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(24)
    expect(generateSecret()).not.toBe(a)
  })

  it("produces secrets the standard scheme signs and verifies with", () => {
    const secret = generateSecret()
    expect(verify("x", sign("x", { secret, id: "m" }), { secret }).id).toBe("m")
  })
})

describe("malformed secrets fail with invalid_secret, never as a mismatch", () => {
  const standardCases: Array<[string, unknown]> = [
    ["bad base64", "whsec_not base64!"],
    ["bad base64 without prefix", "%%%%"],
    ["empty string", ""],
    ["empty after the prefix", "whsec_"],
    ["an unknown prefix", "sk_live_abcdef"],
    ["a non-canonical base64 tail", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx="],
    ["a whpk_ key of the wrong size", "whpk_" + Buffer.alloc(16).toString("base64")],
    ["a whsk_ key that is not base64", "whsk_???"],
    ["an empty byte array", new Uint8Array(0)],
    ["undefined (unset environment variable)", undefined],
    ["a number", 42]
  ]

  it.each(standardCases)("standard: %s", (_, secret) => {
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), { secret: secret as string, ...at }))).toBe(
      "invalid_secret"
    )
  })

  const rawCases: Array<[string, unknown]> = [
    ["empty string", ""],
    ["a whpk_ public key", generateKeyPair().publicKey],
    ["a whsk_ secret key", generateKeyPair().secretKey],
    ["a trailing newline", "whsec_abc\n"],
    ["a leading space", " whsec_abc"],
    ["null", null]
  ]

  it.each(rawCases)("stripe and github: %s", (_, secret) => {
    const stripeHeaders = { "stripe-signature": "t=1,v1=00" }
    expect(codeOf(() => verify("x", stripeHeaders, { scheme: stripe, secret: secret as string, now: () => 1000 })))
      .toBe("invalid_secret")
    expect(
      codeOf(() => verify("x", { "x-hub-signature-256": "sha256=00" }, { scheme: github, secret: secret as string }))
    )
      .toBe("invalid_secret")
  })

  it("an empty secret list is invalid_secret", () => {
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), { secret: [], ...at }))).toBe("invalid_secret")
  })

  it("one bad secret in a rotation list fails even when another secret matches", () => {
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), { secret: [STANDARD.secret, "whsec_!"], ...at })))
      .toBe("invalid_secret")
  })

  it("secret problems are reported before header problems", () => {
    expect(codeOf(() => verify(STANDARD.body, {}, { secret: "whsec_!", ...at }))).toBe("invalid_secret")
  })

  it("a failed decode is not cached as a success", () => {
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), { secret: "whsec_%", ...at }))).toBe("invalid_secret")
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), { secret: "whsec_%", ...at }))).toBe("invalid_secret")
  })

  it("messages describe the secret, never reveal it", () => {
    const secret = "whsec_" + "A".repeat(30) + "!"
    const error = errorOf(() => verify(STANDARD.body, standardHeaders(), { secret, ...at }))
    expect(error).toBeInstanceOf(WebhookVerificationError)
    expect((error as Error).message).not.toContain("A".repeat(30))
    expect((error as Error).message).toMatch(/base64/)
  })
})

describe("secret caching", () => {
  it("many distinct secrets (beyond the cache bound) all keep working", () => {
    const body = "{}"
    for (let i = 0; i < 600; i++) {
      const secret = generateSecret()
      expect(verify(body, sign(body, { secret, id: `m${i}` }), { secret }).id).toBe(`m${i}`)
    }
    // An early secret, long evicted, still decodes correctly.
    expect(verify(STANDARD.body, standardHeaders(), { secret: STANDARD.secret, ...at }).id).toBe(STANDARD.id)
  })

  it("a byte-array secret mutated after use is not served from a stale cache", () => {
    const bytes = new Uint8Array(Buffer.from(STANDARD.secret.slice(6), "base64"))
    expect(verify(STANDARD.body, standardHeaders(), { secret: bytes, ...at }).id).toBe(STANDARD.id)
    bytes[0] ^= 1
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), { secret: bytes, ...at }))).toBe(
      "no_matching_signature"
    )
  })
})
