import { describe, expect, it } from "vitest"
import { sign, stripe, verify } from "../src/index.js"
import { codeOf, STANDARD, STANDARD_NOW } from "./utils/vectors.js"

const at = { secret: STANDARD.secret, now: () => STANDARD_NOW }
const BOGUS = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="

describe("headers input", () => {
  it("accepts a Fetch Headers object", () => {
    const headers = new Headers({
      "Webhook-Id": STANDARD.id,
      "Webhook-Timestamp": String(STANDARD.timestamp),
      "Webhook-Signature": STANDARD.signature
    })
    expect(verify(STANDARD.body, headers, at).id).toBe(STANDARD.id)
  })

  it("accepts repeated signature headers in a Headers object (joined with a comma)", () => {
    const headers = new Headers()
    headers.append("webhook-id", STANDARD.id)
    headers.append("webhook-timestamp", String(STANDARD.timestamp))
    headers.append("webhook-signature", BOGUS)
    headers.append("webhook-signature", STANDARD.signature)
    expect(headers.get("webhook-signature")).toBe(`${BOGUS}, ${STANDARD.signature}`)
    expect(verify(STANDARD.body, headers, at).id).toBe(STANDARD.id)
  })

  it("accepts a plain object with mixed-case names", () => {
    const headers = {
      "WEBHOOK-ID": STANDARD.id,
      "Webhook-Timestamp": String(STANDARD.timestamp),
      "webhook-Signature": STANDARD.signature
    }
    expect(verify(STANDARD.body, headers, at).id).toBe(STANDARD.id)
  })

  it("accepts arrays (Node's IncomingHttpHeaders) and joins repeated signatures", () => {
    const headers = {
      "webhook-id": [STANDARD.id],
      "webhook-timestamp": [String(STANDARD.timestamp), String(STANDARD.timestamp)],
      "webhook-signature": [BOGUS, STANDARD.signature]
    }
    expect(verify(STANDARD.body, headers, at).id).toBe(STANDARD.id)
  })

  it("rejects a single-valued header repeated with different values", () => {
    const headers = {
      "webhook-id": [STANDARD.id, "msg_other"],
      "webhook-timestamp": String(STANDARD.timestamp),
      "webhook-signature": STANDARD.signature
    }
    expect(codeOf(() => verify(STANDARD.body, headers, at))).toBe("malformed_header")
  })

  it("treats empty arrays and undefined values as missing", () => {
    const base = { "webhook-timestamp": String(STANDARD.timestamp), "webhook-signature": STANDARD.signature }
    expect(codeOf(() => verify(STANDARD.body, { ...base, "webhook-id": [] }, at))).toBe("missing_header")
    expect(codeOf(() => verify(STANDARD.body, { ...base, "webhook-id": undefined }, at))).toBe("missing_header")
  })

  it("rejects non-string header values as malformed instead of crashing", () => {
    const headers = { "webhook-id": 42, "webhook-timestamp": "1", "webhook-signature": "v1,x" } as unknown as Record<
      string,
      string
    >
    expect(codeOf(() => verify(STANDARD.body, headers, at))).toBe("malformed_header")
  })

  it("does not read headers from the object's prototype", () => {
    const proto = { "webhook-id": STANDARD.id }
    const headers = Object.assign(Object.create(proto) as Record<string, string>, {
      "webhook-timestamp": String(STANDARD.timestamp),
      "webhook-signature": STANDARD.signature
    })
    expect(codeOf(() => verify(STANDARD.body, headers, at))).toBe("missing_header")
  })

  it("joins repeated Stripe-Signature headers with commas", () => {
    const headers = sign("{}", { scheme: stripe, secret: "sk", id: "x", timestamp: 1000 })
    const [t, v1] = headers["stripe-signature"].split(",")
    expect(
      verify("{}", { "stripe-signature": [t, v1] }, { scheme: stripe, secret: "sk", now: () => 1_000_000 }).timestamp
    )
      .toBe(1000)
  })
})
