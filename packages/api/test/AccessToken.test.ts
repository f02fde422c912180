import { describe, expect, it } from "vitest"
import * as AccessToken from "../src/AccessToken.js"

const key = "s".repeat(32)

describe("AccessToken", () => {
  it("creates a token that verifies to its tenant, scope and expiry", () => {
    const tokens = AccessToken.make({ keys: key })
    const token = tokens.create({ tenant: "acme", scope: "read", ttl: "1 hour", now: 1_700_000_000_000 })
    expect(token).toMatch(/^hwt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(tokens.verify(token, 1_700_000_000_000)).toStrictEqual({
      ok: true,
      caller: { tenant: "acme", scope: "read", expiresAt: new Date(1_700_003_600_000) }
    })
  })

  it("refuses expired, tampered, malformed and other keys' tokens", () => {
    const tokens = AccessToken.make({ keys: key })
    const token = tokens.create({ tenant: "acme", scope: "manage", ttl: "10 minutes", now: 0 })
    expect(tokens.verify(token, 600_000)).toStrictEqual({ ok: false, reason: "expired" })
    const [head, signature] = token.split(".")
    const forgedPayload = Buffer.from(JSON.stringify({ v: 1, t: "other", s: "manage", e: 9e9 })).toString("base64url")
    expect(tokens.verify(`hwt_${forgedPayload}.${signature}`, 0)).toStrictEqual({ ok: false, reason: "bad_signature" })
    expect(tokens.verify(`${head}.${signature.slice(1)}x`, 0)).toStrictEqual({ ok: false, reason: "bad_signature" })
    expect(tokens.verify("hwt_nodot", 0)).toStrictEqual({ ok: false, reason: "malformed" })
    expect(tokens.verify("Bearer x", 0)).toStrictEqual({ ok: false, reason: "malformed" })
    const other = AccessToken.make({ keys: "o".repeat(32) })
    expect(other.verify(token, 0)).toStrictEqual({ ok: false, reason: "bad_signature" })
  })

  it("a token verified before is still checked for expiry, and a tampered copy of it still refused", () => {
    const tokens = AccessToken.make({ keys: key })
    const token = tokens.create({ tenant: "acme", scope: "read", ttl: "10 minutes", now: 0 })
    expect(tokens.verify(token, 0).ok).toBe(true)
    expect(tokens.verify(token, 599_000).ok).toBe(true)
    expect(tokens.verify(token, 600_000)).toStrictEqual({ ok: false, reason: "expired" })
    const [head, signature] = token.split(".")
    const tampered = `${head}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`
    expect(tokens.verify(tampered, 0)).toStrictEqual({
      ok: false,
      reason: "bad_signature"
    })
    // Many other tokens later (more than are remembered), the first still verifies, and still expires.
    for (let i = 0; i < 1_100; i++) tokens.verify(tokens.create({ tenant: `t${i}`, scope: "read", ttl: "1 hour" }))
    expect(tokens.verify(token, 1_000).ok).toBe(true)
    expect(tokens.verify(token, 600_000)).toStrictEqual({ ok: false, reason: "expired" })
  })

  it("rotation: the first key signs, every key verifies; dropping a key revokes its tokens", () => {
    const old = AccessToken.make({ keys: key })
    const token = old.create({ tenant: "acme", scope: "read", ttl: "1 hour", now: 0 })
    const rotating = AccessToken.make({ keys: ["n".repeat(32), key] })
    expect(rotating.verify(token, 0).ok).toBe(true)
    expect(old.verify(rotating.create({ tenant: "acme", scope: "read", ttl: "1 hour", now: 0 }), 0).ok).toBe(false)
    expect(AccessToken.make({ keys: ["n".repeat(32)] }).verify(token, 0)).toStrictEqual({
      ok: false,
      reason: "bad_signature"
    })
  })

  it("refuses short keys and bad arguments with a message", () => {
    expect(() => AccessToken.make({ keys: "short" })).toThrow(/at least 32 random bytes/)
    expect(() => AccessToken.make({ keys: [] })).toThrow(/at least one signing key/)
    const tokens = AccessToken.make({ keys: key })
    expect(() => tokens.create({ tenant: "", scope: "read", ttl: "1 hour" })).toThrow(/tenant/)
    expect(() => tokens.create({ tenant: "a", scope: "admin" as "read", ttl: "1 hour" })).toThrow(/scope/)
    expect(() => tokens.create({ tenant: "a", scope: "read", ttl: "365 days" })).toThrow(/ttl/)
  })
})
