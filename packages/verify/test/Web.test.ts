/**
 * The Web Crypto primitives run on Node too (Node 20 has `crypto.subtle`), so both implementations are tested here:
 * the same vectors go through `verifyAsync` on an engine built from `crypto.web.ts`.
 */
import { primitives as runtimePrimitives } from "#crypto"
import { describe, expect, it } from "vitest"
import {
  generateKeyPair,
  github,
  isWebhookVerificationError,
  presets,
  sign,
  standard,
  stripe,
  verify,
  type VerifyOptions
} from "../src/index.js"
import { primitives as nodePrimitives } from "../src/internal/crypto.node.js"
import { primitives as webPrimitives } from "../src/internal/crypto.web.js"
import { makeEngine } from "../src/internal/engine.js"
import { verifyAsyncWith } from "../src/internal/options.js"
import { verifyRequestWith } from "../src/internal/receive.js"
import { engine as runtimeEngine } from "../src/internal/runtime.js"
import { coreOf } from "../src/internal/schemes.js"
import type { HeadersInput, Payload } from "../src/Scheme.js"
import { codeOfAsync, GITHUB, hmacHex, RFC8032, STANDARD, STANDARD_NOW, standardHeaders } from "./utils/vectors.js"

const web = makeEngine(webPrimitives)
const verifyWeb = (body: Payload, headers: HeadersInput, options: VerifyOptions) =>
  verifyAsyncWith(web, body, headers, options)
const at = (now: number) => ({ secret: STANDARD.secret, now: () => now })
const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"))

describe("runtime selection", () => {
  it("#crypto resolves to node:crypto under vitest (the \"node\" condition)", () => {
    expect(runtimePrimitives.runtime).toBe("node")
    expect(runtimeEngine.primitives.runtime).toBe("node")
    expect(webPrimitives.runtime).toBe("web")
  })
})

describe("Web Crypto primitives", () => {
  it("verify the official Standard Webhooks vector", async () => {
    await expect(verifyWeb(STANDARD.body, standardHeaders(), at(STANDARD_NOW))).resolves.toEqual({
      id: STANDARD.id,
      timestamp: STANDARD.timestamp,
      scheme: "standard"
    })
    await expect(verifyWeb(new TextEncoder().encode(STANDARD.body), standardHeaders(), at(STANDARD_NOW))).resolves
      .toMatchObject({ id: STANDARD.id })
  })

  it("reject the vector's negative cases with the same codes", async () => {
    expect(await codeOfAsync(() => verifyWeb(STANDARD.body + " ", standardHeaders(), at(STANDARD_NOW)))).toBe(
      "no_matching_signature"
    )
    expect(
      await codeOfAsync(() => verifyWeb(STANDARD.body, standardHeaders({ "webhook-id": "msg_x" }), at(STANDARD_NOW)))
    ).toBe("no_matching_signature")
    expect(await codeOfAsync(() => verifyWeb(STANDARD.body, standardHeaders(), at(STANDARD_NOW + 301_000)))).toBe(
      "timestamp_too_old"
    )
    expect(await codeOfAsync(() => verifyWeb(STANDARD.body, {}, at(STANDARD_NOW)))).toBe("missing_header")
    expect(
      await codeOfAsync(() =>
        verifyWeb(STANDARD.body, standardHeaders(), { secret: "whsec_%", now: () => STANDARD_NOW })
      )
    ).toBe("invalid_secret")
  })

  it("sign the vector identically to node:crypto", async () => {
    const input = { id: STANDARD.id, timestamp: STANDARD.timestamp, body: STANDARD.body, secrets: [STANDARD.secret] }
    expect(await web.signAsync(coreOf(standard)!, input)).toEqual(standardHeaders())
  })

  it("verify GitHub's vector and hex schemes", async () => {
    await expect(
      verifyWeb(GITHUB.body, { "X-Hub-Signature-256": GITHUB.signature }, { scheme: github, secret: GITHUB.secret })
    ).resolves.toMatchObject({ scheme: "github" })
    const t = 1_700_000_000
    const body = "{\"id\":\"evt_1\"}"
    const stripeHeaders = { "stripe-signature": `t=${t},v1=${hmacHex("whsec_s", `${t}.${body}`)}` }
    await expect(verifyWeb(body, stripeHeaders, { scheme: stripe, secret: "whsec_s", now: () => t * 1000 })).resolves
      .toMatchObject({ timestamp: t })
    const alerts = {
      "x-vq-signature": hmacHex("vq", `${t}.${body}`),
      "x-vq-timestamp": String(t),
      "x-vq-webhook-id": "d"
    }
    await expect(verifyWeb(body, alerts, { scheme: presets.marketAlerts, secret: "vq", now: () => t * 1000 })).resolves
      .toMatchObject({ id: "d" })
  })

  it("reproduce the RFC 8032 ed25519 known answer, like node:crypto", async () => {
    for (const primitives of [webPrimitives, nodePrimitives]) {
      const key = primitives.ed25519SecretKey(hex(RFC8032.seed))
      const signature = await primitives.ed25519SignAsync(key, new Uint8Array(0))
      expect(Buffer.from(signature).toString("hex")).toBe(RFC8032.signature)
      const publicKey = primitives.ed25519PublicKey(hex(RFC8032.publicKey))
      expect(await primitives.ed25519VerifyAsync(publicKey, new Uint8Array(0), signature)).toBe(true)
      expect(await primitives.ed25519VerifyAsync(publicKey, new Uint8Array(1), signature)).toBe(false)
    }
  })

  it("verify ed25519 signatures made with node:crypto, and the other way round", async () => {
    const { publicKey, secretKey } = generateKeyPair()
    const body = "{\"type\":\"a\"}"
    const nodeSigned = sign(body, { secret: secretKey, id: "msg_n" })
    await expect(verifyWeb(body, nodeSigned, { secret: publicKey })).resolves.toMatchObject({ id: "msg_n" })
    await expect(verifyWeb(body, nodeSigned, { secret: secretKey })).resolves.toMatchObject({ id: "msg_n" })
    expect(await codeOfAsync(() => verifyWeb(body, nodeSigned, { secret: generateKeyPair().publicKey }))).toBe(
      "no_matching_signature"
    )
    const webSigned = await web.signAsync(coreOf(standard)!, {
      id: "msg_w",
      timestamp: Math.floor(Date.now() / 1000),
      body,
      secrets: [secretKey]
    })
    expect(webSigned["webhook-signature"]).toBe(
      sign(body, {
        secret: secretKey,
        id: "msg_w",
        timestamp: Number(webSigned["webhook-timestamp"])
      })["webhook-signature"]
    )
    expect(verify(body, webSigned, { secret: publicKey }).id).toBe("msg_w")
  })

  it("make the synchronous path fail with a plain Error pointing at verifyAsync", () => {
    let error: unknown
    try {
      web.verify(coreOf(standard)!, {
        body: STANDARD.body,
        headers: standardHeaders(),
        secrets: [STANDARD.secret],
        tolerance: 300,
        now: STANDARD_NOW
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(Error)
    expect(isWebhookVerificationError(error)).toBe(false)
    expect((error as Error).message).toMatch(/synchronous verification needs node:crypto; use verifyAsync/)
    // Also for a request that would be rejected anyway: the runtime problem shows up on the first call.
    const input = { body: "x", headers: {}, secrets: [STANDARD.secret], tolerance: 300, now: 0 }
    expect(() => web.verify(coreOf(standard)!, input)).toThrow(/use verifyAsync/)
    const signInput = { id: "m", timestamp: 1, body: "x", secrets: [STANDARD.secret] }
    expect(() => web.sign(coreOf(standard)!, signInput)).toThrow(/node:crypto/)
    expect(() => webPrimitives.ed25519Generate()).toThrow(/node:crypto/)
  })

  it("serve verifyRequest", async () => {
    const body = "{\"type\":\"ping\"}"
    const headers = sign(body, { secret: STANDARD.secret, id: "msg_req" })
    const request = new Request("http://localhost/hook", { method: "POST", body, headers })
    const { event } = await verifyRequestWith(web, request, { secret: STANDARD.secret })
    expect(event).toMatchObject({ id: "msg_req", type: "ping", payload: { type: "ping" } })
  })
})
