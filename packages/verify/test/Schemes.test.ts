import { describe, expect, it } from "vitest"
import { github, hmac, presets, sign, stripe, verify } from "../src/index.js"
import { codeOf, GITHUB, hmacBase64, hmacHex } from "./utils/vectors.js"

const NOW = 1_700_000_000
const clock = { now: () => NOW * 1000 }

describe("stripe", () => {
  const secret = "whsec_stripe_test_0123456789abcdef"
  const body = "{\"id\":\"evt_1\",\"type\":\"charge.succeeded\"}"
  const v1 = (t: number, s = secret) => hmacHex(s, `${t}.${body}`)
  const options = { secret, scheme: stripe, ...clock }

  it("verifies t=…,v1=… with the secret used as-is", () => {
    const headers = { "stripe-signature": `t=${NOW},v1=${v1(NOW)}` }
    expect(verify(body, headers, options)).toEqual({ id: undefined, timestamp: NOW, scheme: "stripe" })
  })

  it("accepts any of several v1 signatures and ignores v0", () => {
    const other = hmacHex("whsec_other", `${NOW}.${body}`)
    expect(verify(body, { "stripe-signature": `t=${NOW},v1=${other},v1=${v1(NOW)},v0=${other}` }, options).timestamp)
      .toBe(NOW)
    // v0 carrying the right HMAC does not count: only v1 does.
    expect(codeOf(() => verify(body, { "stripe-signature": `t=${NOW},v0=${v1(NOW)}` }, options))).toBe(
      "no_matching_signature"
    )
  })

  it("accepts upper-case hex", () => {
    expect(verify(body, { "stripe-signature": `t=${NOW},v1=${v1(NOW).toUpperCase()}` }, options).timestamp).toBe(NOW)
  })

  it("requires t=, a numeric t, and the header", () => {
    expect(codeOf(() => verify(body, { "stripe-signature": `v1=${v1(NOW)}` }, options))).toBe("malformed_header")
    expect(codeOf(() => verify(body, { "stripe-signature": `t=abc,v1=${v1(NOW)}` }, options))).toBe(
      "invalid_timestamp"
    )
    expect(codeOf(() => verify(body, { "stripe-signature": `t=${NOW},t=${NOW + 1},v1=x` }, options))).toBe(
      "malformed_header"
    )
    expect(codeOf(() => verify(body, {}, options))).toBe("missing_header")
  })

  it("applies the tolerance both ways, inclusive at 300 s", () => {
    for (const t of [NOW - 300, NOW + 300]) {
      expect(verify(body, { "stripe-signature": `t=${t},v1=${v1(t)}` }, options).timestamp).toBe(t)
    }
    expect(codeOf(() => verify(body, { "stripe-signature": `t=${NOW - 301},v1=${v1(NOW - 301)}` }, options))).toBe(
      "timestamp_too_old"
    )
    expect(codeOf(() => verify(body, { "stripe-signature": `t=${NOW + 301},v1=${v1(NOW + 301)}` }, options))).toBe(
      "timestamp_too_new"
    )
  })

  it("rejects a tampered body and a wrong secret", () => {
    const headers = { "stripe-signature": `t=${NOW},v1=${v1(NOW)}` }
    expect(codeOf(() => verify(body + " ", headers, options))).toBe("no_matching_signature")
    expect(codeOf(() => verify(body, headers, { ...options, secret: "whsec_other" }))).toBe("no_matching_signature")
  })

  it("signs with every secret and round-trips", () => {
    const headers = sign(body, { scheme: stripe, secret: [secret, "whsec_next"], id: "ignored", timestamp: NOW })
    expect(headers).toEqual({ "stripe-signature": `t=${NOW},v1=${v1(NOW)},v1=${v1(NOW, "whsec_next")}` })
    expect(verify(body, headers, { ...options, secret: "whsec_next" }).timestamp).toBe(NOW)
    expect(stripe.idHeader).toBeUndefined()
  })
})

describe("github", () => {
  it("reproduces GitHub's documented signature", () => {
    expect(sign(GITHUB.body, { scheme: github, secret: GITHUB.secret, id: "d1" })).toEqual({
      "x-hub-signature-256": GITHUB.signature,
      "x-github-delivery": "d1"
    })
  })

  it("verifies it, takes the id from X-GitHub-Delivery and applies no tolerance", () => {
    const headers = { "X-Hub-Signature-256": GITHUB.signature, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab" }
    const options = { scheme: github, secret: GITHUB.secret, now: () => 0 }
    expect(verify(GITHUB.body, headers, options)).toEqual({
      id: "72d3162e-cc78-11e3-81ab",
      timestamp: undefined,
      scheme: "github"
    })
    expect(verify(GITHUB.body, { "x-hub-signature-256": GITHUB.signature }, options).id).toBeUndefined()
  })

  it("rejects tampering, a missing prefix and a missing header", () => {
    const options = { scheme: github, secret: GITHUB.secret }
    expect(codeOf(() => verify("Hello, World?", { "x-hub-signature-256": GITHUB.signature }, options))).toBe(
      "no_matching_signature"
    )
    const bare = GITHUB.signature.slice("sha256=".length)
    expect(codeOf(() => verify(GITHUB.body, { "x-hub-signature-256": bare }, options))).toBe("malformed_header")
    expect(codeOf(() => verify(GITHUB.body, { "x-hub-signature": "sha1=abc" }, options))).toBe("missing_header")
  })
})

describe("hmac presets", () => {
  it("marketAlerts: X-VQ-Signature = hex HMAC of {timestamp}.{body}, with id and timestamp", () => {
    const secret = "whsec_your_webhook_secret"
    const body = "{\"id\":\"evt_abc123\",\"type\":\"price.alert\",\"data\":{\"symbol\":\"AAPL\"}}"
    const headers = {
      "X-VQ-Signature": hmacHex(secret, `${NOW}.${body}`),
      "X-VQ-Timestamp": String(NOW),
      "X-VQ-Webhook-Id": "wh_del_1"
    }
    const options = { scheme: presets.marketAlerts, secret, ...clock }
    expect(verify(body, headers, options)).toEqual({ id: "wh_del_1", timestamp: NOW, scheme: "marketAlerts" })
    expect(sign(body, { scheme: presets.marketAlerts, secret, id: "wh_del_1", timestamp: NOW })).toEqual({
      "x-vq-signature": headers["X-VQ-Signature"],
      "x-vq-timestamp": String(NOW),
      "x-vq-webhook-id": "wh_del_1"
    })
    expect(presets.marketAlerts.idHeader).toBe("x-vq-webhook-id")
    expect(codeOf(() => verify(body, { ...headers, "X-VQ-Timestamp": String(NOW + 1) }, options))).toBe(
      "no_matching_signature"
    )
    expect(codeOf(() => verify(body, { ...headers, "X-VQ-Timestamp": undefined }, options))).toBe("missing_header")
    expect(codeOf(() => verify(body, headers, { ...options, now: () => (NOW + 301) * 1000 }))).toBe(
      "timestamp_too_old"
    )
  })

  it("tradingSignals: X-Webhook-Signature = sha256=<hex HMAC of the body>, no timestamp, no id", () => {
    const secret = "ts_secret_42"
    const body = "{\"event\":\"signal.buy\",\"timestamp\":\"2026-04-03T14:30:00Z\",\"data\":{\"pair\":\"BTCUSDT\"}}"
    const headers = { "X-Webhook-Signature": "sha256=" + hmacHex(secret, body) }
    const options = { scheme: presets.tradingSignals, secret, now: () => 0 }
    expect(verify(body, headers, options)).toEqual({ id: undefined, timestamp: undefined, scheme: "tradingSignals" })
    expect(sign(body, { scheme: presets.tradingSignals, secret, id: "x", timestamp: NOW })).toEqual({
      "x-webhook-signature": headers["X-Webhook-Signature"]
    })
    expect(codeOf(() => verify(body.replace("buy", "sell"), headers, options))).toBe("no_matching_signature")
  })
})

describe("hmac(...)", () => {
  const scheme = hmac({
    name: "acme",
    signatureHeader: "X-Acme-Sig",
    timestampHeader: "X-Acme-Time",
    idHeader: "X-Acme-Id",
    encoding: "base64",
    content: "{id}:{body}:{timestamp}"
  })

  it("signs and verifies a template over id, body and timestamp", () => {
    const body = "{\"a\":1}"
    const expected = hmacBase64("acme-secret", `evt_9:${body}:${NOW}`)
    const headers = sign(body, { scheme, secret: "acme-secret", id: "evt_9", timestamp: NOW })
    expect(headers).toEqual({ "x-acme-sig": expected, "x-acme-time": String(NOW), "x-acme-id": "evt_9" })
    expect(verify(body, headers, { scheme, secret: "acme-secret", ...clock })).toEqual({
      id: "evt_9",
      timestamp: NOW,
      scheme: "acme"
    })
    // The id is signed: a different id fails; without the id header it cannot be verified at all.
    expect(
      codeOf(() => verify(body, { ...headers, "x-acme-id": "evt_8" }, { scheme, secret: "acme-secret", ...clock }))
    )
      .toBe("no_matching_signature")
    expect(
      codeOf(() => verify(body, { ...headers, "x-acme-id": undefined }, { scheme, secret: "acme-secret", ...clock }))
    )
      .toBe("missing_header")
  })

  it("signs with the first secret only, since its header holds one signature", () => {
    const headers = sign("b", { scheme, secret: ["first", "second"], id: "i", timestamp: NOW })
    expect(headers["x-acme-sig"]).toBe(hmacBase64("first", `i:b:${NOW}`))
  })

  it("rejects inconsistent options with a TypeError", () => {
    expect(() => hmac({ signatureHeader: "x-sig", content: "{id}", idHeader: "x-id" })).toThrow(/\{body\} exactly once/)
    expect(() => hmac({ signatureHeader: "x-sig", content: "{body}{body}" })).toThrow(TypeError)
    expect(() => hmac({ signatureHeader: "x-sig", content: "{timestamp}.{body}" })).toThrow(/timestampHeader/)
    expect(() => hmac({ signatureHeader: "x-sig", content: "{id}.{body}" })).toThrow(/idHeader/)
    expect(() => hmac({ signatureHeader: "bad header" })).toThrow(/header name/)
    expect(() => hmac({ signatureHeader: "x-sig", encoding: "base32" as "hex" })).toThrow(/encoding/)
  })
})
