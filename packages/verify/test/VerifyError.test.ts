import { describe, expect, it } from "vitest"
import {
  isWebhookVerificationError,
  MemoryDedupStore,
  receive,
  sign,
  statusFor,
  stripe,
  verify,
  type VerifyErrorCode,
  verifyRequest,
  WebhookVerificationError
} from "../src/index.js"
import { codeOf, codeOfAsync, errorOf, STANDARD, STANDARD_NOW, standardHeaders } from "./utils/vectors.js"

const at = (now: number) => ({ secret: STANDARD.secret, now: () => now })
const expectedSignature = STANDARD.signature.slice(3)
const secretBody = STANDARD.secret.slice(6)

/** One way to provoke each code. */
const provoke: Record<VerifyErrorCode, () => Promise<unknown>> = {
  missing_header: async () => verify(STANDARD.body, standardHeaders({ "webhook-id": undefined }), at(STANDARD_NOW)),
  malformed_header: async () =>
    verify(STANDARD.body, standardHeaders({ "webhook-signature": "nonsense" }), at(STANDARD_NOW)),
  invalid_timestamp: async () =>
    verify(STANDARD.body, standardHeaders({ "webhook-timestamp": "yesterday" }), at(STANDARD_NOW)),
  timestamp_too_old: async () => verify(STANDARD.body, standardHeaders(), at(STANDARD_NOW + 3_600_000)),
  timestamp_too_new: async () => verify(STANDARD.body, standardHeaders(), at(STANDARD_NOW - 3_600_000)),
  no_matching_signature: async () => verify(STANDARD.body + " ", standardHeaders(), at(STANDARD_NOW)),
  invalid_secret: async () => verify(STANDARD.body, standardHeaders(), { secret: "whsec_?", now: () => STANDARD_NOW }),
  invalid_payload: async () => {
    const headers = sign("not json", { secret: STANDARD.secret, id: "m" })
    return receive(Buffer.from("not json"), headers, { secret: STANDARD.secret })
  },
  payload_too_large: async () => {
    const body = "{\"pad\":\"" + "x".repeat(2000) + "\"}"
    const headers = sign(body, { secret: STANDARD.secret, id: "m" })
    return verifyRequest(new Request("http://localhost/hook", { method: "POST", body, headers }), {
      secret: STANDARD.secret,
      maxBodyBytes: 1000
    })
  }
}

describe("WebhookVerificationError", () => {
  it.each(Object.keys(provoke) as Array<VerifyErrorCode>)("code %s is produced, typed and tagged", async (code) => {
    let caught: unknown
    try {
      await provoke[code]()
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(WebhookVerificationError)
    const error = caught as WebhookVerificationError
    expect(error.code).toBe(code)
    expect(error._tag).toBe("WebhookVerificationError")
    expect(error.name).toBe("WebhookVerificationError")
    expect(isWebhookVerificationError(error)).toBe(true)
    expect(error.message.length).toBeGreaterThan(20)
    // Never the secret, never the signature the receiver would have accepted.
    expect(error.message).not.toContain(secretBody)
    expect(error.message).not.toContain(expectedSignature)
    expect(statusFor(code)).toBe(code === "payload_too_large" ? 413 : 400)
  })

  it("the no-match message says what to check, without leaking the computed signature", () => {
    const error = errorOf(() => verify("{}", standardHeaders(), at(STANDARD_NOW))) as Error
    expect(error.message).toMatch(/raw body/)
    expect(error.message).not.toContain(expectedSignature)
  })

  it("names the ignored versions when no known version is present", () => {
    const headers = { "stripe-signature": "t=1,v0=abc" }
    const error = errorOf(() => verify("{}", headers, { scheme: stripe, secret: "s", now: () => 1000 })) as Error
    expect(error.message).toContain("v0")
    expect(codeOf(() => verify("{}", headers, { scheme: stripe, secret: "s", now: () => 1000 }))).toBe(
      "no_matching_signature"
    )
  })

  it("isWebhookVerificationError recognises copies by tag and rejects look-alikes", () => {
    expect(isWebhookVerificationError({ _tag: "WebhookVerificationError", code: "missing_header" })).toBe(true)
    expect(isWebhookVerificationError(new Error("missing_header"))).toBe(false)
    expect(isWebhookVerificationError(null)).toBe(false)
    expect(isWebhookVerificationError("WebhookVerificationError")).toBe(false)
  })

  it("duplicates are not errors: a second receive resolves with duplicate = true", async () => {
    const dedup = new MemoryDedupStore()
    const body = Buffer.from("{}")
    const headers = sign(body, { secret: STANDARD.secret, id: "m" })
    await receive(body, headers, { secret: STANDARD.secret, dedup })
    expect((await receive(body, headers, { secret: STANDARD.secret, dedup })).duplicate).toBe(true)
    expect(await codeOfAsync(() => receive(Buffer.from("{ }"), headers, { secret: STANDARD.secret, dedup }))).toBe(
      "no_matching_signature"
    )
  })
})
