import { Webhook as StandardWebhook } from "standardwebhooks"
import { Webhook as SvixWebhook } from "svix"
import { describe, expect, it } from "vitest"
import { generateSecret, sign, verify } from "../src/index.js"
import { STANDARD, STANDARD_NOW } from "./utils/vectors.js"

const body = "{\"type\":\"invoice.paid\",\"data\":{\"amount\":4200,\"currency\":\"eur\",\"note\":\"ünïcödé ✓\"}}"

describe("interop with the standardwebhooks package", () => {
  it("its signature of the official vector equals Hookwire's", () => {
    const theirs = new StandardWebhook(STANDARD.secret).sign(
      STANDARD.id,
      new Date(STANDARD.timestamp * 1000),
      STANDARD.body
    )
    expect(theirs).toBe(STANDARD.signature)
    const headers = {
      "webhook-id": STANDARD.id,
      "webhook-timestamp": String(STANDARD.timestamp),
      "webhook-signature": theirs
    }
    expect(verify(STANDARD.body, headers, { secret: STANDARD.secret, now: () => STANDARD_NOW }).id).toBe(STANDARD.id)
  })

  it("Hookwire verifies what it signs", () => {
    const secret = generateSecret()
    const timestamp = Math.floor(Date.now() / 1000)
    const signature = new StandardWebhook(secret).sign("msg_sw", new Date(timestamp * 1000), body)
    const headers = { "webhook-id": "msg_sw", "webhook-timestamp": String(timestamp), "webhook-signature": signature }
    expect(verify(Buffer.from(body), headers, { secret }).id).toBe("msg_sw")
  })

  it("it verifies what Hookwire signs, including with several secrets", () => {
    const secret = generateSecret()
    const headers = sign(body, { secret: [generateSecret(), secret], id: "msg_hw" })
    expect(new StandardWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
    expect(() => new StandardWebhook(generateSecret()).verify(body, headers)).toThrow()
  })
})

describe("interop with svix", () => {
  it("Hookwire verifies svix signatures under svix-* header names", () => {
    const secret = generateSecret()
    const timestamp = Math.floor(Date.now() / 1000)
    const signature = new SvixWebhook(secret).sign("msg_svix", new Date(timestamp * 1000), body)
    const headers = { "svix-id": "msg_svix", "svix-timestamp": String(timestamp), "svix-signature": signature }
    expect(verify(body, headers, { secret }).id).toBe("msg_svix")
    expect(() => verify(body.replace("4200", "4201"), headers, { secret })).toThrow(/no signature/)
  })

  it("svix verifies Hookwire signatures under both header spellings", () => {
    const secret = generateSecret()
    const headers = sign(body, { secret, id: "msg_hw" })
    const svix = new SvixWebhook(secret)
    expect(svix.verify(body, headers)).toEqual(JSON.parse(body))
    expect(
      svix.verify(body, {
        "svix-id": headers["webhook-id"],
        "svix-timestamp": headers["webhook-timestamp"],
        "svix-signature": headers["webhook-signature"]
      })
    ).toEqual(JSON.parse(body))
  })
})
