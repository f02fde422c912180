import { describe, expect, it } from "vitest"
import { generateKeyPair, generateSecret, sign, standard, verify, verifyAsync } from "../src/index.js"
import { codeOf, codeOfAsync, hmacBase64, STANDARD, STANDARD_NOW, standardHeaders } from "./utils/vectors.js"

const at = (now: number) => ({ secret: STANDARD.secret, now: () => now })

describe("standard scheme: the official Standard Webhooks vector", () => {
  it("sign reproduces the vector's signature", () => {
    const headers = sign(STANDARD.body, { secret: STANDARD.secret, id: STANDARD.id, timestamp: STANDARD.timestamp })
    expect(headers).toEqual({
      "webhook-id": STANDARD.id,
      "webhook-timestamp": String(STANDARD.timestamp),
      "webhook-signature": STANDARD.signature
    })
  })

  it("verify accepts the vector and returns its id and timestamp", () => {
    expect(verify(STANDARD.body, standardHeaders(), at(STANDARD_NOW))).toEqual({
      id: STANDARD.id,
      timestamp: STANDARD.timestamp,
      scheme: "standard"
    })
  })

  it("verifyAsync accepts the vector", async () => {
    await expect(verifyAsync(STANDARD.body, standardHeaders(), at(STANDARD_NOW))).resolves.toMatchObject({
      id: STANDARD.id
    })
  })

  it("verifies the body given as bytes, exactly as given", () => {
    expect(verify(Buffer.from(STANDARD.body), standardHeaders(), at(STANDARD_NOW)).id).toBe(STANDARD.id)
    expect(verify(new TextEncoder().encode(STANDARD.body), standardHeaders(), at(STANDARD_NOW)).id).toBe(STANDARD.id)
  })

  it("rejects a tampered body", () => {
    expect(codeOf(() => verify("{\"test\": 2432232315}", standardHeaders(), at(STANDARD_NOW)))).toBe(
      "no_matching_signature"
    )
    // Re-serialized JSON is a different byte string: the classic receiver bug must fail.
    const reserialized = JSON.stringify(JSON.parse(STANDARD.body))
    expect(codeOf(() => verify(reserialized, standardHeaders(), at(STANDARD_NOW)))).toBe("no_matching_signature")
  })

  it("rejects a wrong id and a wrong secret", () => {
    expect(codeOf(() => verify(STANDARD.body, standardHeaders({ "webhook-id": "msg_other" }), at(STANDARD_NOW))))
      .toBe("no_matching_signature")
    expect(
      codeOf(() => verify(STANDARD.body, standardHeaders(), { secret: generateSecret(), now: () => STANDARD_NOW }))
    ).toBe("no_matching_signature")
  })

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])("rejects a missing %s header", (name) => {
    expect(codeOf(() => verify(STANDARD.body, standardHeaders({ [name]: undefined }), at(STANDARD_NOW)))).toBe(
      "missing_header"
    )
    expect(codeOf(() => verify(STANDARD.body, standardHeaders({ [name]: "" }), at(STANDARD_NOW)))).toBe(
      "missing_header"
    )
  })

  it.each([
    "abc",
    "1614265330.5",
    "-1614265330",
    "+1614265330",
    " 1614265330",
    "1e9",
    "１６１４２６５３３０",
    "9".repeat(13)
  ])(
    "rejects the malformed timestamp %j",
    (timestamp) => {
      expect(codeOf(() => verify(STANDARD.body, standardHeaders({ "webhook-timestamp": timestamp }), at(STANDARD_NOW))))
        .toBe("invalid_timestamp")
    }
  )

  it("rejects timestamps outside the tolerance and accepts them exactly at ±300 s", () => {
    const body = STANDARD.body
    expect(verify(body, standardHeaders(), at(STANDARD_NOW + 300_000)).id).toBe(STANDARD.id)
    expect(verify(body, standardHeaders(), at(STANDARD_NOW + 300_999)).id).toBe(STANDARD.id)
    expect(verify(body, standardHeaders(), at(STANDARD_NOW - 300_000)).id).toBe(STANDARD.id)
    expect(codeOf(() => verify(body, standardHeaders(), at(STANDARD_NOW + 301_000)))).toBe("timestamp_too_old")
    expect(codeOf(() => verify(body, standardHeaders(), at(STANDARD_NOW - 301_000)))).toBe("timestamp_too_new")
  })

  it("applies a custom tolerance, including zero", () => {
    const options = (tolerance: number, now: number) => ({ secret: STANDARD.secret, tolerance, now: () => now })
    expect(verify(STANDARD.body, standardHeaders(), options(0, STANDARD_NOW)).id).toBe(STANDARD.id)
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), options(0, STANDARD_NOW + 1000)))).toBe(
      "timestamp_too_old"
    )
    expect(verify(STANDARD.body, standardHeaders(), options(3600, STANDARD_NOW - 3_600_000)).id).toBe(STANDARD.id)
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), options(3600, STANDARD_NOW - 3_601_000)))).toBe(
      "timestamp_too_new"
    )
  })

  it("checks the timestamp before the signature, so a replay fails as too old even with a valid signature", () => {
    expect(codeOf(() => verify(STANDARD.body, standardHeaders(), at(Date.now())))).toBe("timestamp_too_old")
  })

  it("ignores unknown signature versions, and fails when only unknown versions are present", () => {
    const onlyUnknown = standardHeaders({ "webhook-signature": "v2,abc v1b,def" })
    expect(codeOf(() => verify(STANDARD.body, onlyUnknown, at(STANDARD_NOW)))).toBe("no_matching_signature")
    const withKnown = standardHeaders({ "webhook-signature": `v2,abc ${STANDARD.signature} v3,x` })
    expect(verify(STANDARD.body, withKnown, at(STANDARD_NOW)).id).toBe(STANDARD.id)
  })

  it("accepts any valid signature among several, in any position", () => {
    const bogus = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
    for (
      const list of [
        `${bogus} ${STANDARD.signature}`,
        `${STANDARD.signature} ${bogus}`,
        `${bogus}  ${STANDARD.signature}`
      ]
    ) {
      expect(verify(STANDARD.body, standardHeaders({ "webhook-signature": list }), at(STANDARD_NOW)).id).toBe(
        STANDARD.id
      )
    }
    expect(codeOf(() => verify(STANDARD.body, standardHeaders({ "webhook-signature": bogus }), at(STANDARD_NOW))))
      .toBe("no_matching_signature")
  })

  it("accepts the secret without its whsec_ prefix, and as raw key bytes", () => {
    const bare = STANDARD.secret.slice("whsec_".length)
    expect(verify(STANDARD.body, standardHeaders(), { secret: bare, now: () => STANDARD_NOW }).id).toBe(STANDARD.id)
    const bytes = Buffer.from(bare, "base64")
    expect(verify(STANDARD.body, standardHeaders(), { secret: bytes, now: () => STANDARD_NOW }).id).toBe(STANDARD.id)
  })

  it("accepts svix-* header names (Svix sends the same scheme under its own names)", () => {
    const headers = {
      "svix-id": STANDARD.id,
      "svix-timestamp": String(STANDARD.timestamp),
      "svix-signature": STANDARD.signature
    }
    expect(verify(STANDARD.body, headers, at(STANDARD_NOW)).id).toBe(STANDARD.id)
    expect(codeOf(() => verify(STANDARD.body, { ...headers, "svix-id": "msg_x" }, at(STANDARD_NOW)))).toBe(
      "no_matching_signature"
    )
  })

  it("does not accept non-canonical or truncated base64 signatures", () => {
    const sig = STANDARD.signature.slice(3)
    for (const variant of [sig.slice(0, -1), sig + "=", sig.slice(0, 20), ` ${sig}`.slice(1) + "A"]) {
      const headers = standardHeaders({ "webhook-signature": `v1,${variant}` })
      expect(codeOf(() => verify(STANDARD.body, headers, at(STANDARD_NOW)))).toBe("no_matching_signature")
    }
  })

  it("rejects a signature header without any <version>,<signature> entry as malformed", () => {
    for (const value of ["garbage", "v1", "v1,", ",abc", "   "]) {
      const headers = standardHeaders({ "webhook-signature": value })
      expect(codeOf(() => verify(STANDARD.body, headers, at(STANDARD_NOW)))).toBe("malformed_header")
    }
  })

  it("rejects a header with an absurd number of signatures", () => {
    const many = Array.from({ length: 100 }, () => STANDARD.signature).join(" ")
    expect(codeOf(() => verify(STANDARD.body, standardHeaders({ "webhook-signature": many }), at(STANDARD_NOW))))
      .toBe("malformed_header")
  })
})

describe("standard scheme: rotation", () => {
  const body = "{\"type\":\"invoice.paid\"}"
  const [current, previous, unrelated] = [generateSecret(), generateSecret(), generateSecret()]

  it("signs with every active secret, one v1 signature each", () => {
    const headers = sign(body, { secret: [current, previous], id: "msg_1", timestamp: 1_700_000_000 })
    const content = `msg_1.1700000000.${body}`
    const key = (s: string) => Buffer.from(s.slice(6), "base64")
    expect(headers["webhook-signature"]).toBe(
      `v1,${hmacBase64(key(current), content)} v1,${hmacBase64(key(previous), content)}`
    )
  })

  it("verifies with any one of the signing secrets, or a list containing one", () => {
    const headers = sign(body, { secret: [current, previous], id: "msg_1" })
    expect(verify(body, headers, { secret: current }).id).toBe("msg_1")
    expect(verify(body, headers, { secret: previous }).id).toBe("msg_1")
    expect(verify(body, headers, { secret: [unrelated, previous] }).id).toBe("msg_1")
    expect(codeOf(() => verify(body, headers, { secret: unrelated }))).toBe("no_matching_signature")
  })

  it("a receiver holding old and new secrets accepts a sender that signs with either", () => {
    const receiver = { secret: [current, previous] }
    expect(verify(body, sign(body, { secret: previous, id: "a" }), receiver).id).toBe("a")
    expect(verify(body, sign(body, { secret: current, id: "b" }), receiver).id).toBe("b")
  })
})

describe("standard scheme: ed25519 (v1a)", () => {
  const body = "{\"type\":\"user.created\"}"

  it("generates whsk_/whpk_ keys of the right size", () => {
    const { publicKey, secretKey } = generateKeyPair()
    expect(secretKey).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/)
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/)
    expect(generateKeyPair().secretKey).not.toBe(secretKey)
  })

  it("signs with the secret key and verifies with the public key", () => {
    const { publicKey, secretKey } = generateKeyPair()
    const headers = sign(body, { secret: secretKey, id: "msg_ed" })
    expect(headers["webhook-signature"]).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/)
    expect(verify(body, headers, { secret: publicKey }).id).toBe("msg_ed")
    expect(verify(body, headers, { secret: secretKey }).id).toBe("msg_ed")
  })

  it("rejects another public key, a tampered body and a wrong id", () => {
    const { publicKey, secretKey } = generateKeyPair()
    const headers = sign(body, { secret: secretKey, id: "msg_ed" })
    expect(codeOf(() => verify(body, headers, { secret: generateKeyPair().publicKey }))).toBe("no_matching_signature")
    expect(codeOf(() => verify(body + " ", headers, { secret: publicKey }))).toBe("no_matching_signature")
    const otherId = { ...headers, "webhook-id": "msg_other" }
    expect(codeOf(() => verify(body, otherId, { secret: publicKey }))).toBe("no_matching_signature")
  })

  it("mixes with HMAC signatures in one header, each verifiable on its own", () => {
    const pair = generateKeyPair()
    const secret = generateSecret()
    const headers = sign(body, { secret: [pair.secretKey, secret], id: "msg_mix" })
    expect(headers["webhook-signature"]).toMatch(/^v1a,\S+ v1,\S+$/)
    expect(verify(body, headers, { secret: pair.publicKey }).id).toBe("msg_mix")
    expect(verify(body, headers, { secret }).id).toBe("msg_mix")
    expect(verify(body, headers, { secret: [generateSecret(), pair.publicKey] }).id).toBe("msg_mix")
  })

  it("says when only v1a signatures arrive but only HMAC secrets are configured", () => {
    const headers = sign(body, { secret: generateKeyPair().secretKey, id: "msg_ed" })
    let message = ""
    try {
      verify(body, headers, { secret: generateSecret() })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain("whpk_")
  })

  it("refuses to sign with a public key", () => {
    expect(codeOf(() => sign(body, { secret: generateKeyPair().publicKey, id: "msg" }))).toBe("invalid_secret")
  })

  it("verifyAsync handles ed25519 too", async () => {
    const { publicKey, secretKey } = generateKeyPair()
    const headers = sign(body, { secret: secretKey, id: "msg_async" })
    await expect(verifyAsync(body, headers, { secret: publicKey })).resolves.toMatchObject({ id: "msg_async" })
    expect(await codeOfAsync(() => verifyAsync(body, headers, { secret: generateKeyPair().publicKey }))).toBe(
      "no_matching_signature"
    )
  })
})

describe("standard scheme object", () => {
  it("exposes its name and id header", () => {
    expect(standard.name).toBe("standard")
    expect(standard.idHeader).toBe("webhook-id")
  })

  it("sign defaults the timestamp to now", () => {
    const before = Math.floor(Date.now() / 1000)
    const ts = Number(sign("x", { secret: STANDARD.secret, id: "m" })["webhook-timestamp"])
    expect(ts).toBeGreaterThanOrEqual(before)
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
  })

  it("sign validates its input", () => {
    expect(() => sign("x", { secret: STANDARD.secret, id: "" })).toThrow(TypeError)
    expect(() => sign("x", { secret: STANDARD.secret, id: "a\r\nx-evil: 1" })).toThrow(TypeError)
    expect(() => sign("x", { secret: STANDARD.secret, id: "m", timestamp: 1.5 })).toThrow(TypeError)
    expect(() => sign("x", { secret: STANDARD.secret, id: "m", timestamp: -1 })).toThrow(TypeError)
  })
})
