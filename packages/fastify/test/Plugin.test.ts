import { chunks, declareOnly, post } from "@hookwire/testing/http"
import { GITHUB as GITHUB_VECTOR, STANDARD as VECTOR } from "@hookwire/testing/vectors"
import type { DedupStore, WebhookEvent } from "@hookwire/verify"
import { generateSecret, github, isWebhookVerificationError, MemoryDedupStore, presets, sign } from "@hookwire/verify"
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify"
import Fastify from "fastify"
import { request as httpRequest } from "node:http"
import { Writable } from "node:stream"
import { afterEach, describe, expect, it, vi } from "vitest"
import type { HookwireOptions, WebhookRejection } from "../src/index.js"
import { hookwirePlugin, UnsupportedMediaTypeError, webhookOf } from "../src/index.js"

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
const now = () => NOW_MS

const event = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "invoice.paid", data: { invoice: "in_1", amount: 4200 }, ...fields }, null, 2)

const apps: Array<FastifyInstance> = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/**
 * An app with a plain JSON route at the root (`POST /json`) and a webhook scope (`POST /webhooks`) that records
 * what its handler saw. `listen: false` leaves it for `app.inject`.
 */
const start = async (options: HookwireOptions, config: { readonly listen?: boolean } = {}) => {
  const seen: Array<WebhookEvent> = []
  const bodies: Array<unknown> = []
  const app = Fastify()
  apps.push(app)
  app.post("/json", async (request) => ({ parsed: request.body }))
  await app.register(async (webhooks) => {
    await webhooks.register(hookwirePlugin, options)
    webhooks.post("/webhooks", async (request, reply) => {
      seen.push(request.webhook!)
      bodies.push(request.body)
      return reply.code(204).send()
    })
  })
  if (config.listen === false) {
    await app.ready()
    return { app, base: "", url: "", seen, bodies }
  }
  const base = await app.listen({ port: 0, host: "127.0.0.1" })
  return { app, base, url: `${base}/webhooks`, seen, bodies }
}

describe("hookwirePlugin over HTTP", () => {
  it("accepts the official Standard Webhooks vector", async () => {
    const { seen, url } = await start({ secret: VECTOR.secret, now: () => VECTOR.timestamp * 1000 })
    const answer = await post(url, VECTOR.body, {
      "webhook-id": VECTOR.id,
      "webhook-timestamp": String(VECTOR.timestamp),
      "webhook-signature": VECTOR.signature
    })
    expect(answer.status).toBe(204)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ id: VECTOR.id, timestamp: VECTOR.timestamp, payload: { test: 2432232314 } })
    expect(Buffer.from(seen[0]!.raw).toString("utf8")).toBe(VECTOR.body)
  })

  it("hands the handler request.webhook (id, type, payload, raw) and the payload as request.body", async () => {
    const secret = generateSecret()
    const { bodies, seen, url } = await start({ secret, now })
    const body = event()
    const answer = await post(url, body, sign(body, { secret, id: "msg_valid", timestamp: NOW_S }))
    expect(answer.status).toBe(204)
    expect(seen).toEqual([{
      id: "msg_valid",
      timestamp: NOW_S,
      type: "invoice.paid",
      payload: JSON.parse(body),
      raw: expect.any(Uint8Array),
      release: expect.any(Function)
    }])
    expect(Buffer.from(seen[0]!.raw).toString("utf8")).toBe(body)
    expect(bodies).toEqual([JSON.parse(body)])
  })

  it("rejects a tampered body with 400 no_matching_signature", async () => {
    const secret = generateSecret()
    const { seen, url } = await start({ secret, now })
    const body = event()
    const answer = await post(url, body.replace("4200", "1"), sign(body, { secret, id: "msg_t", timestamp: NOW_S }))
    expect(answer.status).toBe(400)
    expect(answer.body).toEqual({ error: "no_matching_signature", message: expect.any(String) })
    expect(answer.body.message).not.toContain(secret)
    expect(seen).toHaveLength(0)
  })

  it("rejects expired and future timestamps with 400", async () => {
    const secret = generateSecret()
    const { seen, url } = await start({ secret, now })
    const body = event()
    const old = await post(url, body, sign(body, { secret, id: "msg_old", timestamp: NOW_S - 301 }))
    const future = await post(url, body, sign(body, { secret, id: "msg_new", timestamp: NOW_S + 301 }))
    expect([old.status, old.body.error]).toEqual([400, "timestamp_too_old"])
    expect([future.status, future.body.error]).toEqual([400, "timestamp_too_new"])
    expect(seen).toHaveLength(0)
  })

  it("answers a replayed id with 200 { duplicate: true } without calling the handler", async () => {
    const secret = generateSecret()
    const { seen, url } = await start({ secret, now, dedup: new MemoryDedupStore() })
    const body = event()
    const headers = sign(body, { secret, id: "msg_once", timestamp: NOW_S })
    const first = await post(url, body, headers)
    const replay = await post(url, body, headers)
    expect(first.status).toBe(204)
    expect([replay.status, replay.body]).toEqual([200, { duplicate: true }])
    expect(seen.map((e) => e.id)).toEqual(["msg_once"])
  })

  it("lets a failing dedup store surface as a 500, not as a signature failure", async () => {
    const secret = generateSecret()
    const dedup: DedupStore = { claim: () => Promise.reject(new Error("dedup store unreachable")) }
    const { seen, url } = await start({ secret, now, dedup })
    const body = event()
    const answer = await post(url, body, sign(body, { secret, id: "msg_1", timestamp: NOW_S }))
    expect(answer.status).toBe(500)
    expect(answer.body.message).toContain("dedup store unreachable")
    expect(seen).toHaveLength(0)
  })

  it("answers an unusable secret with a 500 instead of blaming the sender with a 400", async () => {
    const unset = process.env["HOOKWIRE_TEST_SECRET_THAT_IS_NOT_SET"] as string
    const { seen, url } = await start({ secret: unset, now })
    const body = event()
    const answer = await post(url, body, sign(body, { secret: generateSecret(), id: "msg_s", timestamp: NOW_S }))
    expect([answer.status, answer.body.code]).toEqual([500, "invalid_secret"])
    expect(seen).toHaveLength(0)
  })

  it("accepts any of several secrets during a rotation, and only those", async () => {
    const [current, previous, stranger] = [generateSecret(), generateSecret(), generateSecret()]
    const { seen, url } = await start({ secret: [current, previous], now })
    const body = event()
    const byPrevious = await post(url, body, sign(body, { secret: previous, id: "msg_prev", timestamp: NOW_S }))
    const byCurrent = await post(url, body, sign(body, { secret: current, id: "msg_cur", timestamp: NOW_S }))
    const byStranger = await post(url, body, sign(body, { secret: stranger, id: "msg_x", timestamp: NOW_S }))
    expect([byPrevious.status, byCurrent.status, byStranger.status]).toEqual([204, 204, 400])
    expect(seen.map((e) => e.id)).toEqual(["msg_prev", "msg_cur"])
  })

  it("verifies the github scheme and GitHub's documented signature", async () => {
    const { seen, url } = await start({ secret: GITHUB_VECTOR.secret, scheme: github })
    const body = JSON.stringify({ action: "opened", number: 7 })
    const good = await post(url, body, sign(body, { secret: GITHUB_VECTOR.secret, scheme: github, id: "d-1" }))
    const vectorHeaders = { "x-hub-signature-256": GITHUB_VECTOR.signature, "x-github-delivery": "d-2" }
    const vector = await post(url, GITHUB_VECTOR.body, vectorHeaders)
    const forged = await post(url, "Hello, World?", vectorHeaders)
    expect(good.status).toBe(204)
    // invalid_payload (not no_matching_signature) proves the signature matched before JSON parsing failed.
    expect([vector.status, vector.body.error]).toEqual([400, "invalid_payload"])
    expect([forged.status, forged.body.error]).toEqual([400, "no_matching_signature"])
    expect(seen.map((e) => [e.id, e.payload])).toEqual([["d-1", { action: "opened", number: 7 }]])
  })

  it("verifies the tradingSignals preset", async () => {
    const secret = generateSecret()
    const scheme = presets.tradingSignals
    const { seen, url } = await start({ secret, scheme, now })
    const body = JSON.stringify({ type: "signal.buy", symbol: "ACME", price: 101.5 })
    const good = await post(url, body, sign(body, { secret, scheme, id: "sig_1", timestamp: NOW_S }))
    const bad = await post(url, body, sign(body, { secret: generateSecret(), scheme, id: "sig_2", timestamp: NOW_S }))
    expect([good.status, bad.status]).toEqual([204, 400])
    expect(seen.map((e) => e.payload)).toEqual([{ type: "signal.buy", symbol: "ACME", price: 101.5 }])
  })
})

describe("hookwirePlugin scoping", () => {
  it("leaves the app's JSON parser alone outside the webhook scope", async () => {
    const secret = generateSecret()
    const { base, seen, url } = await start({ secret, now })
    const sibling = await post(`${base}/json`, "{\"hello\": \"world\"}", {})
    expect([sibling.status, sibling.body]).toEqual([200, { parsed: { hello: "world" } }])
    // An unsigned request to the webhook route in the same app is still rejected.
    const unsigned = await post(url, "{\"hello\": \"world\"}", {})
    expect([unsigned.status, unsigned.body.error]).toEqual([400, "missing_header"])
    expect(seen).toHaveLength(0)
  })

  it("serves two webhook scopes with different schemes side by side", async () => {
    const [standardSecret, githubSecret] = [generateSecret(), "gh-secret"]
    const app = Fastify()
    apps.push(app)
    const ids: Array<string | undefined> = []
    await app.register(async (scope) => {
      await scope.register(hookwirePlugin, { secret: standardSecret, now })
      scope.post("/standard", async (request) => {
        ids.push(request.webhook!.id)
        return { ok: true }
      })
    })
    await app.register(async (scope) => {
      await scope.register(hookwirePlugin, { secret: githubSecret, scheme: github })
      scope.post("/github", async (request) => {
        ids.push(request.webhook!.id)
        return { ok: true }
      })
    })
    const base = await app.listen({ port: 0, host: "127.0.0.1" })
    const body = event()
    const standardHeaders = sign(body, { secret: standardSecret, id: "msg_s", timestamp: NOW_S })
    const githubHeaders = sign(body, { secret: githubSecret, scheme: github, id: "gh_1" })
    const results = [
      await post(`${base}/standard`, body, standardHeaders),
      await post(`${base}/github`, body, githubHeaders),
      await post(`${base}/github`, body, standardHeaders),
      await post(`${base}/standard`, body, githubHeaders)
    ]
    expect(results.map((r) => r.status)).toEqual([200, 200, 400, 400])
    expect(ids).toEqual(["msg_s", "gh_1"])
  })

  it("fails loudly when another parser inside the scope turned the body into an object", async () => {
    const secret = generateSecret()
    const app = Fastify()
    apps.push(app)
    const seen: Array<unknown> = []
    await app.register(async (scope) => {
      await scope.register(hookwirePlugin, { secret, now })
      await scope.register(async (child) => {
        child.removeContentTypeParser("application/json")
        child.addContentTypeParser("application/json", { parseAs: "string" }, (_request, text, done) => {
          done(null, JSON.parse(text as string))
        })
        child.post("/webhooks", async (request) => {
          seen.push(request.body)
          return { ok: true }
        })
      })
    })
    const base = await app.listen({ port: 0, host: "127.0.0.1" })
    const body = event()
    const answer = await post(`${base}/webhooks`, body, sign(body, { secret, id: "msg_p", timestamp: NOW_S }))
    expect(answer.status).toBe(500)
    expect(answer.body.message).toContain("request.body was already parsed by another content-type parser")
    expect(answer.body.message).toContain("keep webhook routes in their own scope")
    expect(seen).toHaveLength(0)
  })

  it("lets a route body schema validate the verified payload", async () => {
    const secret = generateSecret()
    const app = Fastify()
    apps.push(app)
    await app.register(async (scope) => {
      await scope.register(hookwirePlugin, { secret, now })
      scope.post("/typed", {
        schema: { body: { type: "object", required: ["symbol"], properties: { symbol: { type: "string" } } } }
      }, async (request) => ({ symbol: (request.body as { symbol: string }).symbol }))
    })
    const base = await app.listen({ port: 0, host: "127.0.0.1" })
    const good = JSON.stringify({ symbol: "ACME" })
    const incomplete = JSON.stringify({ price: 1 })
    const accepted = await post(`${base}/typed`, good, sign(good, { secret, id: "m1", timestamp: NOW_S }))
    const invalid = await post(`${base}/typed`, incomplete, sign(incomplete, { secret, id: "m2", timestamp: NOW_S }))
    expect([accepted.status, accepted.body]).toEqual([200, { symbol: "ACME" }])
    expect([invalid.status, invalid.body.code]).toEqual([400, "FST_ERR_VALIDATION"])
  })
})

describe("webhookOf", () => {
  it("returns the typed event in a webhook scope and throws a how-to error outside one", async () => {
    const secret = generateSecret()
    const app = Fastify()
    apps.push(app)
    const amounts: Array<number> = []
    app.post("/outside", async (request) => webhookOf(request).payload)
    await app.register(async (scope) => {
      await scope.register(hookwirePlugin, { secret, now })
      scope.post("/webhooks", async (request, reply) => {
        amounts.push(webhookOf<{ data: { amount: number } }>(request).payload.data.amount)
        return reply.code(204).send()
      })
    })
    await app.ready()
    const body = event()
    const headers = { ...sign(body, { secret, id: "msg_of", timestamp: NOW_S }), "content-type": "application/json" }
    const inside = await app.inject({ method: "POST", url: "/webhooks", headers, payload: body })
    const outside = await app.inject({ method: "POST", url: "/outside", headers, payload: body })
    expect(inside.statusCode).toBe(204)
    expect(amounts).toEqual([4200])
    expect([outside.statusCode, outside.json().message]).toEqual([
      500,
      expect.stringContaining("register hookwirePlugin in the same scope as this route")
    ])
  })
})

describe("hookwirePlugin body limits and content types", () => {
  it("answers 413 for a declared oversized body and keeps serving", async () => {
    const secret = generateSecret()
    const { base, seen, url } = await start({ secret, now, maxBodyBytes: 1024 })
    const big = JSON.stringify({ type: "big", pad: "x".repeat(4096) })
    const tooBig = await post(url, big, sign(big, { secret, id: "msg_big", timestamp: NOW_S }))
    expect([tooBig.status, tooBig.body.error]).toEqual([413, "payload_too_large"])
    expect(tooBig.headers.get("connection")).toBe("close")
    // Refused on the declared Content-Length alone: no body byte is ever sent here.
    expect(await declareOnly(url, 10 * 1024 * 1024)).toBe(413)
    const small = event()
    const after = await post(url, small, sign(small, { secret, id: "msg_small", timestamp: NOW_S }))
    const sibling = await post(`${base}/json`, "{\"a\":1}", {})
    expect([after.status, sibling.status]).toEqual([204, 200])
    expect(seen.map((e) => e.id)).toEqual(["msg_small"])
  })

  it("answers 413 for a chunked body that outgrows the limit while streaming", async () => {
    const secret = generateSecret()
    const { seen, url } = await start({ secret, now, maxBodyBytes: 4096 })
    const tooBig = await post(url, chunks(256, 1024), { "webhook-id": "msg_stream" })
    expect([tooBig.status, tooBig.body.error]).toEqual([413, "payload_too_large"])
    const small = event()
    const after = await post(url, small, sign(small, { secret, id: "msg_after", timestamp: NOW_S }))
    expect(after.status).toBe(204)
    expect(seen.map((e) => e.id)).toEqual(["msg_after"])
  })

  it("applies the 1 MiB default limit, independent of Fastify's bodyLimit", async () => {
    const secret = generateSecret()
    const { url } = await start({ secret, now })
    const justUnder = JSON.stringify({ pad: "x".repeat(1024 * 1024 - 20) })
    const over = JSON.stringify({ pad: "x".repeat(1024 * 1024) })
    const under = await post(url, justUnder, sign(justUnder, { secret, id: "msg_under", timestamp: NOW_S }))
    const tooBig = await post(url, over, sign(over, { secret, id: "msg_over", timestamp: NOW_S }))
    expect([under.status, tooBig.status, tooBig.body.error]).toEqual([204, 413, "payload_too_large"])
  })

  it("answers 415 for a non-JSON or missing content type", async () => {
    const secret = generateSecret()
    const { seen, url } = await start({ secret, now })
    const body = event()
    const headers = sign(body, { secret, id: "msg_ct", timestamp: NOW_S })
    const text = await post(url, body, headers, "text/plain")
    const form = await post(url, "a=1", headers, "application/x-www-form-urlencoded")
    const none = await post(url, new TextEncoder().encode(body), headers, null)
    expect([text.status, form.status, none.status]).toEqual([415, 415, 415])
    expect(text.body).toEqual({ error: "unsupported_media_type", message: expect.stringContaining("text/plain") })
    expect(seen).toHaveLength(0)
  })

  it("accepts +json media types and parameters", async () => {
    const secret = generateSecret()
    const { seen, url } = await start({ secret, now })
    const body = event()
    const cloud = await post(
      url,
      body,
      sign(body, { secret, id: "msg_ce", timestamp: NOW_S }),
      "application/cloudevents+json; charset=utf-8"
    )
    const charset = await post(url, body, sign(body, { secret, id: "msg_cs", timestamp: NOW_S }), "Application/JSON")
    expect([cloud.status, charset.status]).toEqual([204, 204])
    expect(seen.map((e) => e.id)).toEqual(["msg_ce", "msg_cs"])
  })

  it("refuses a maxBodyBytes that is not a positive integer when the app boots", async () => {
    const app = Fastify()
    apps.push(app)
    app.register(hookwirePlugin, { secret: generateSecret(), maxBodyBytes: -1 })
    await expect(app.ready()).rejects.toThrow(/maxBodyBytes/)
  })
})

describe("hookwirePlugin through app.inject", () => {
  it("accepts the official vector and rejects it once tampered", async () => {
    const { app, seen } = await start({ secret: VECTOR.secret, now: () => VECTOR.timestamp * 1000 }, { listen: false })
    const headers = {
      "content-type": "application/json",
      "webhook-id": VECTOR.id,
      "webhook-timestamp": String(VECTOR.timestamp),
      "webhook-signature": VECTOR.signature
    }
    const good = await app.inject({ method: "POST", url: "/webhooks", headers, payload: VECTOR.body })
    const bad = await app.inject({ method: "POST", url: "/webhooks", headers, payload: VECTOR.body.replace("4", "5") })
    expect(good.statusCode).toBe(204)
    expect([bad.statusCode, bad.json().error]).toEqual([400, "no_matching_signature"])
    expect(seen.map((e) => e.payload)).toEqual([{ test: 2432232314 }])
  })

  it("rejects an old timestamp, a wrong content type and an oversized body", async () => {
    const secret = generateSecret()
    const { app, seen } = await start({ secret, now, maxBodyBytes: 64 }, { listen: false })
    const body = event()
    const old = await app.inject({
      method: "POST",
      url: "/webhooks",
      headers: { ...sign(body, { secret, id: "m_old", timestamp: NOW_S - 3600 }), "content-type": "application/json" },
      payload: "{}"
    })
    const text = await app.inject({
      method: "POST",
      url: "/webhooks",
      headers: { "content-type": "text/plain" },
      payload: "hi"
    })
    const big = await app.inject({
      method: "POST",
      url: "/webhooks",
      headers: { "content-type": "application/json" },
      payload: body
    })
    expect([old.statusCode, old.json().error]).toEqual([400, "timestamp_too_old"])
    expect([text.statusCode, text.json().error]).toEqual([415, "unsupported_media_type"])
    expect([big.statusCode, big.json().error]).toEqual([413, "payload_too_large"])
    expect(seen).toHaveLength(0)
  })

  it("calls onError instead of the default answer", async () => {
    const secret = generateSecret()
    const rejections: Array<WebhookRejection> = []
    const { app } = await start({
      secret,
      now,
      onError: async (error, _request, reply) => {
        rejections.push(error)
        await reply.code(error.code === "unsupported_media_type" ? 415 : 401).send({ rejected: error.code })
      }
    }, { listen: false })
    const tampered = await app.inject({
      method: "POST",
      url: "/webhooks",
      headers: { ...sign("{}", { secret, id: "m", timestamp: NOW_S }), "content-type": "application/json" },
      payload: "{ }"
    })
    const text = await app.inject({ method: "POST", url: "/webhooks", headers: { "content-type": "text/plain" } })
    expect([tampered.statusCode, tampered.json()]).toEqual([401, { rejected: "no_matching_signature" }])
    expect([text.statusCode, text.json()]).toEqual([415, { rejected: "unsupported_media_type" }])
    expect(isWebhookVerificationError(rejections[0])).toBe(true)
    expect(rejections[1]).toBeInstanceOf(UnsupportedMediaTypeError)
  })
})

/** A MemoryDedupStore that records the ids it is asked to release; `release` replaces the forgetting. */
const releasing = (release?: (forget: () => void) => void | Promise<void>) => {
  const memory = new MemoryDedupStore()
  const releases: Array<string> = []
  const dedup: DedupStore = {
    claim: (id, ttl) => memory.claim(id, ttl),
    release: (id) => {
      releases.push(id)
      const forget = () => memory.release(id)
      return release === undefined ? forget() : release(forget)
    }
  }
  return { dedup, releases }
}

/** A promise and the function that resolves it. */
const signal = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** POSTs over real HTTP and drops the connection once `when` resolves, before any answer. */
const abortedPost = (url: string, body: string, headers: Record<string, string>, when: Promise<void>) =>
  new Promise<void>((resolve) => {
    const req = httpRequest(url, { method: "POST", headers: { ...headers, "content-type": "application/json" } })
    req.on("error", () => resolve()) // the reset caused by destroy()
    req.on("response", () => resolve())
    req.end(body)
    void when.then(() => req.destroy())
  })

describe("hookwirePlugin when the handler fails", () => {
  /** A webhook scope whose handler is told how many times it was called; `logs` collects error log lines. */
  const startWith = async (
    options: HookwireOptions,
    handler: (call: number, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    config: { readonly listen?: boolean } = {}
  ) => {
    const calls: Array<string | undefined> = []
    const logs: Array<Record<string, unknown>> = []
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>)
        done()
      }
    })
    const app = Fastify({ logger: { level: "error", stream } })
    apps.push(app)
    await app.register(async (webhooks) => {
      await webhooks.register(hookwirePlugin, options)
      webhooks.post("/webhooks", async (request, reply) => {
        calls.push(request.webhook!.id)
        return handler(calls.length, request, reply)
      })
    })
    if (config.listen === false) {
      await app.ready()
      return { app, calls, logs, url: "" }
    }
    return { app, calls, logs, url: `${await app.listen({ port: 0, host: "127.0.0.1" })}/webhooks` }
  }

  const secret = generateSecret()
  const body = event()
  const headers = sign(body, { secret, id: "msg_retry", timestamp: NOW_S })

  it("lets the retry of an event whose handler threw reach the handler, and succeed", async () => {
    const { dedup, releases } = releasing()
    const { calls, url } = await startWith({ secret, now, dedup }, async (call, _request, reply) => {
      if (call === 1) throw new Error("database down")
      return reply.code(204).send()
    })
    expect((await post(url, body, headers)).status).toBe(500)
    // The same bytes and headers, as a sender's retry would send them.
    expect((await post(url, body, headers)).status).toBe(204)
    expect((await post(url, body, headers)).body).toEqual({ duplicate: true })
    expect(calls).toEqual(["msg_retry", "msg_retry"])
    expect(releases).toEqual(["msg_retry"])
  })

  it("releases when the handler answers 500 itself", async () => {
    const { dedup, releases } = releasing()
    const { calls, url } = await startWith(
      { secret, now, dedup },
      async (call, _request, reply) => reply.code(call === 1 ? 500 : 204).send()
    )
    expect((await post(url, body, headers)).status).toBe(500)
    expect((await post(url, body, headers)).status).toBe(204)
    expect(calls).toHaveLength(2)
    expect(releases).toEqual(["msg_retry"])
  })

  it("releases before the 5xx is sent, so even an immediate retry finds a slow store's id free", async () => {
    const { dedup } = releasing(async (forget) => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      forget()
    })
    const { calls, url } = await startWith(
      { secret, now, dedup },
      async (call, _request, reply) => reply.code(call === 1 ? 503 : 204).send()
    )
    expect((await post(url, body, headers)).status).toBe(503)
    expect((await post(url, body, headers)).status).toBe(204)
    expect(calls).toHaveLength(2)
  })

  it("keeps the claim after a 204: the retry is a duplicate and never reaches the handler", async () => {
    const { dedup, releases } = releasing()
    const { calls, url } = await startWith(
      { secret, now, dedup },
      async (_call, _request, reply) => reply.code(204).send()
    )
    expect((await post(url, body, headers)).status).toBe(204)
    const retry = await post(url, body, headers)
    expect([retry.status, retry.body]).toEqual([200, { duplicate: true }])
    expect(calls).toHaveLength(1)
    expect(releases).toEqual([])
  })

  it("keeps the claim after a 400: the receiver rejected the event on purpose", async () => {
    const { dedup, releases } = releasing()
    const { calls, url } = await startWith(
      { secret, now, dedup },
      async (_call, _request, reply) => reply.code(400).send({ error: "unknown invoice" })
    )
    expect((await post(url, body, headers)).status).toBe(400)
    expect((await post(url, body, headers)).body).toEqual({ duplicate: true })
    expect(calls).toHaveLength(1)
    expect(releases).toEqual([])
  })

  it("releases when the client drops the connection while the handler runs", async () => {
    const { dedup, releases } = releasing()
    const entered = signal()
    const proceed = signal()
    const { calls, url } = await startWith({ secret, now, dedup }, async (call, _request, reply) => {
      if (call === 1) {
        entered.resolve()
        await proceed.promise
      }
      return reply.code(204).send()
    })
    await abortedPost(url, body, headers, entered.promise)
    await vi.waitFor(() => expect(releases).toEqual(["msg_retry"]))
    proceed.resolve() // the first handler finishes, replying into a closed connection
    expect((await post(url, body, headers)).status).toBe(204)
    expect(calls).toHaveLength(2)
    expect(releases).toEqual(["msg_retry"])
  })

  it("lets the handler release by hand, e.g. before answering 429", async () => {
    const { dedup } = releasing()
    const { calls, url } = await startWith({ secret, now, dedup }, async (call, request, reply) => {
      if (call > 1) return reply.code(204).send()
      await webhookOf(request).release()
      return reply.code(429).send({ retry: "later" })
    })
    expect((await post(url, body, headers)).status).toBe(429)
    expect((await post(url, body, headers)).status).toBe(204)
    expect(calls).toHaveLength(2)
  })

  it("keeps today's behaviour with a store that has no release: the retry is a duplicate", async () => {
    const memory = new MemoryDedupStore()
    const dedup: DedupStore = { claim: (id, ttl) => memory.claim(id, ttl) }
    const { calls, url } = await startWith(
      { secret, now, dedup },
      async (_call, _request, reply) => reply.code(500).send()
    )
    expect((await post(url, body, headers)).status).toBe(500)
    expect((await post(url, body, headers)).body).toEqual({ duplicate: true })
    expect(calls).toHaveLength(1)
  })

  it("logs a store that fails to release once, through the request logger, without changing the reply", async () => {
    const { dedup, releases } = releasing(() => Promise.reject(new Error("redis down")))
    const { logs, url } = await startWith({ secret, now, dedup }, async () => {
      throw new Error("database down")
    })
    const answer = await post(url, body, headers)
    expect([answer.status, answer.body.message]).toEqual([500, "database down"])
    await vi.waitFor(() =>
      expect(logs.filter((line) => String(line.msg).includes("could not release"))).toHaveLength(1)
    )
    const line = logs.find((l) => String(l.msg).includes("could not release"))!
    expect(line).toMatchObject({ webhookId: "msg_retry", err: { message: "redis down" } })
    expect(releases).toEqual(["msg_retry"])
  })

  it("releases through app.inject too", async () => {
    const { dedup, releases } = releasing()
    const { app, calls } = await startWith({ secret, now, dedup }, async (call, _request, reply) => {
      if (call === 1) throw new Error("database down")
      return reply.code(204).send()
    }, { listen: false })
    const inject = () =>
      app.inject({
        method: "POST",
        url: "/webhooks",
        headers: { ...headers, "content-type": "application/json" },
        payload: body
      })
    expect((await inject()).statusCode).toBe(500)
    expect((await inject()).statusCode).toBe(204)
    const duplicate = await inject()
    expect([duplicate.statusCode, duplicate.json()]).toEqual([200, { duplicate: true }])
    expect(calls).toHaveLength(2)
    expect(releases).toEqual(["msg_retry"])
  })
})
