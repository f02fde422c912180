import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  github,
  isWebhookVerificationError,
  presets,
  type Scheme,
  sign,
  standard,
  stripe,
  verify,
  verifyAsync
} from "../src/index.js"
import { STANDARD, STANDARD_NOW } from "./utils/vectors.js"

const RUNS = { numRuns: 300 }

/** Runs `f` and reports how it ended; anything thrown that is not a WebhookVerificationError is returned as such. */
const outcome = (f: () => unknown): "ok" | "rejected" | { readonly unexpected: unknown } => {
  try {
    f()
    return "ok"
  } catch (error) {
    return isWebhookVerificationError(error) ? "rejected" : { unexpected: error }
  }
}

const schemes: Array<[string, Scheme, string]> = [
  ["standard", standard, STANDARD.secret],
  ["stripe", stripe, "whsec_stripe"],
  ["github", github, "gh-secret"],
  ["marketAlerts", presets.marketAlerts, "vq-secret"],
  ["tradingSignals", presets.tradingSignals, "ts-secret"]
]

const headerNames = [
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "svix-id",
  "svix-timestamp",
  "svix-signature",
  "stripe-signature",
  "x-hub-signature-256",
  "x-github-delivery",
  "x-vq-signature",
  "x-vq-timestamp",
  "x-vq-webhook-id",
  "x-webhook-signature",
  "Webhook-Signature"
]

// Header values that look like the real thing often enough to reach deep into the parsers.
const headerValue = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.stringMatching(/^(v1a?|v[0-9]),[A-Za-z0-9+/=]{0,90}( v1,[A-Za-z0-9+/=]{0,50}){0,3}$/),
  fc.stringMatching(/^t=[0-9]{0,12}(,v[01]=[0-9a-fA-F]{0,70}){0,3}$/),
  fc.stringMatching(/^sha256=[0-9a-fA-Z]{0,70}$/),
  fc.integer({ min: 0, max: 3_000_000_000 }).map(String),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.anything()
)

const headersArb = fc.dictionary(fc.constantFrom(...headerNames), headerValue, { maxKeys: 8 })
const bodyArb = fc.oneof(fc.string(), fc.uint8Array({ maxLength: 256 }), fc.string({ unit: "grapheme" }))

describe("property: hostile input only ever fails with WebhookVerificationError", () => {
  it.each(schemes)("%s: random headers and bodies", (_, scheme, secret) => {
    fc.assert(
      fc.property(headersArb, bodyArb, fc.integer({ min: 0, max: 4_000_000_000_000 }), (headers, body, now) => {
        const result = outcome(() =>
          verify(body, headers as Record<string, string>, { scheme, secret, now: () => now })
        )
        expect(result === "ok" || result === "rejected").toBe(true)
      }),
      RUNS
    )
  })

  it("standard: mutations of a valid signature header never verify a different body", () => {
    const valid = sign(STANDARD.body, { secret: STANDARD.secret, id: STANDARD.id, timestamp: STANDARD.timestamp })
    fc.assert(
      fc.property(fc.string(), fc.string({ maxLength: 20 }), fc.nat(200), (other, insert, at) => {
        fc.pre(other !== STANDARD.body)
        const signature = valid["webhook-signature"]
        const mutated = signature.slice(0, at) + insert + signature.slice(at)
        const headers = { ...valid, "webhook-signature": mutated }
        expect(outcome(() => verify(other, headers, { secret: STANDARD.secret, now: () => STANDARD_NOW }))).toBe(
          "rejected"
        )
      }),
      RUNS
    )
  })

  it("verifyAsync rejects (never throws synchronously) with WebhookVerificationError", async () => {
    await fc.assert(
      fc.asyncProperty(headersArb, bodyArb, async (headers, body) => {
        let unexpected: unknown
        await verifyAsync(body, headers as Record<string, string>, { secret: STANDARD.secret }).catch((error) => {
          if (!isWebhookVerificationError(error)) unexpected = error
        })
        expect(unexpected).toBeUndefined()
      }),
      { numRuns: 100 }
    )
  })
})

describe("property: sign then verify round-trips", () => {
  it.each(schemes)("%s", (_, scheme, secret) => {
    fc.assert(
      fc.property(
        bodyArb,
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.integer({ min: 0, max: 99_999_999_999 }),
        (body, id, timestamp) => {
          const headers = sign(body, { scheme, secret, id, timestamp })
          const verified = verify(body, headers, { scheme, secret, now: () => timestamp * 1000 })
          expect(verified.scheme).toBe(scheme.name)
          if (scheme.idHeader !== undefined) expect(verified.id).toBe(id)
        }
      ),
      { numRuns: 100 }
    )
  })
})
