import { chunks, declareOnly, post, servers } from "@hookwire/testing/http"
import { GITHUB as GITHUB_VECTOR, STANDARD as VECTOR } from "@hookwire/testing/vectors"
import type { DedupStore, WebhookEvent } from "@hookwire/verify"
import { generateSecret, github, isWebhookVerificationError, MemoryDedupStore, presets, sign } from "@hookwire/verify"
import express from "express"
import { request } from "node:http"
import { createRequire } from "node:module"
import { afterEach, describe, expect, it, vi } from "vitest"
import type { WebhookMiddlewareOptions, WebhookRejection } from "../src/index.js"
import { UnsupportedMediaTypeError, webhookMiddleware, webhookOf } from "../src/index.js"

// Express 4 is installed under an alias; it has the same runtime shape as far as these tests go.
const express4 = createRequire(import.meta.url)("express4") as typeof express

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
const now = () => NOW_MS

const event = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ type: "invoice.paid", data: { invoice: "in_1", amount: 4200 }, ...fields }, null, 2)

/** A MemoryDedupStore that records the ids it is asked to release; `fail` makes releasing reject. */
const releasing = (fail?: Error) => {
  const memory = new MemoryDedupStore()
  const releases: Array<string> = []
  const dedup: DedupStore = {
    claim: (id, ttl) => memory.claim(id, ttl),
    release: (id) => {
      releases.push(id)
      if (fail !== undefined) return Promise.reject(fail)
      memory.release(id)
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
    const req = request(url, { method: "POST", headers: { ...headers, "content-type": "application/json" } })
    req.on("error", () => resolve()) // the reset caused by destroy()
    req.on("response", () => resolve())
    req.end(body)
    void when.then(() => req.destroy())
  })

describe.each([
  ["Express 5", express],
  ["Express 4", express4]
])("webhookMiddleware on %s", (_name, createApp) => {
  const http = servers()
  afterEach(() => http.closeAll())

  /** Mounts `before`, then the middleware, then a recording handler, plus an error handler that records too. */
  const start = async (options: WebhookMiddlewareOptions, before: Array<express.RequestHandler> = []) => {
    const seen: Array<WebhookEvent> = []
    const errors: Array<unknown> = []
    const app = createApp()
    app.post("/webhooks", ...before, webhookMiddleware(options), (req, res) => {
      seen.push(req.webhook!)
      res.status(204).end()
    })
    app.get("/health", (_req, res) => {
      res.json({ ok: true })
    })
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(error)
      res.status(500).json({ error: "internal" })
    })
    const base = await http.listen(app)
    return { url: `${base}/webhooks`, base, seen, errors }
  }

  describe("verification", () => {
    it("accepts the official Standard Webhooks vector and exposes the event and its exact bytes", async () => {
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

    it("hands the handler id, type, payload and raw bytes of an event signed with sign()", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now })
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
      // The pretty-printed whitespace survives: the handler gets the signed bytes, not a re-serialization.
      expect(Buffer.from(seen[0]!.raw).toString("utf8")).toBe(body)
    })

    it("rejects a tampered body with 400 no_matching_signature and never calls the handler", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now })
      const body = event()
      const answer = await post(
        url,
        body.replace("4200", "1"),
        sign(body, { secret, id: "msg_tampered", timestamp: NOW_S })
      )
      expect(answer.status).toBe(400)
      expect(answer.body).toEqual({ error: "no_matching_signature", message: expect.any(String) })
      expect(answer.body.message).not.toContain(secret)
      expect(seen).toHaveLength(0)
    })

    it("rejects an expired timestamp with 400 timestamp_too_old", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now })
      const body = event()
      const answer = await post(url, body, sign(body, { secret, id: "msg_old", timestamp: NOW_S - 301 }))
      expect(answer.status).toBe(400)
      expect(answer.body.error).toBe("timestamp_too_old")
      expect(seen).toHaveLength(0)
    })

    it("rejects a timestamp from the future with 400 timestamp_too_new", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now })
      const body = event()
      const answer = await post(url, body, sign(body, { secret, id: "msg_future", timestamp: NOW_S + 301 }))
      expect(answer.status).toBe(400)
      expect(answer.body.error).toBe("timestamp_too_new")
      expect(seen).toHaveLength(0)
    })

    it("rejects a request without signature headers with 400 missing_header", async () => {
      const { seen, url } = await start({ secret: generateSecret(), now })
      const answer = await post(url, event(), {})
      expect(answer.status).toBe(400)
      expect(answer.body.error).toBe("missing_header")
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

    it("verifies the github scheme, taking the id from X-GitHub-Delivery", async () => {
      const secret = "gh-secret"
      const { seen, url } = await start({ secret, scheme: github, now })
      const body = JSON.stringify({ action: "opened", number: 7 })
      const headers = sign(body, { secret, scheme: github, id: "72d3162e-cc78-11e3-81ab-4c9367dc0958" })
      expect(Object.keys(headers).map((h) => h.toLowerCase())).toContain("x-hub-signature-256")
      const good = await post(url, body, headers)
      const bad = await post(url, body.replace("7", "8"), headers)
      expect([good.status, bad.status]).toEqual([204, 400])
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({ id: "72d3162e-cc78-11e3-81ab-4c9367dc0958", payload: { number: 7 } })
    })

    it("checks GitHub's documented signature, then rejects its non-JSON body as invalid_payload", async () => {
      const { seen, url } = await start({ secret: GITHUB_VECTOR.secret, scheme: github })
      const headers = { "x-hub-signature-256": GITHUB_VECTOR.signature, "x-github-delivery": "delivery-1" }
      const genuine = await post(url, GITHUB_VECTOR.body, headers)
      const forged = await post(url, "Hello, World?", headers)
      // invalid_payload (not no_matching_signature) proves the signature matched before JSON parsing failed.
      expect([genuine.status, genuine.body.error]).toEqual([400, "invalid_payload"])
      expect([forged.status, forged.body.error]).toEqual([400, "no_matching_signature"])
      expect(seen).toHaveLength(0)
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

  describe("deduplication", () => {
    it("answers a replayed id with 200 { duplicate: true } without calling the handler", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now, dedup: new MemoryDedupStore() })
      const body = event()
      const headers = sign(body, { secret, id: "msg_once", timestamp: NOW_S })
      const first = await post(url, body, headers)
      const replay = await post(url, body, headers)
      const other = await post(url, body, sign(body, { secret, id: "msg_other", timestamp: NOW_S }))
      expect(first.status).toBe(204)
      expect([replay.status, replay.body]).toEqual([200, { duplicate: true }])
      expect(other.status).toBe(204)
      expect(seen.map((e) => e.id)).toEqual(["msg_once", "msg_other"])
    })

    it("passes a failing dedup store to next(error) instead of answering 400", async () => {
      const secret = generateSecret()
      const dedup: DedupStore = {
        claim: () => Promise.reject(new Error("dedup store unreachable"))
      }
      const { errors, seen, url } = await start({ secret, now, dedup })
      const body = event()
      const answer = await post(url, body, sign(body, { secret, id: "msg_1", timestamp: NOW_S }))
      expect(answer.status).toBe(500)
      expect(errors).toHaveLength(1)
      expect((errors[0] as Error).message).toContain("dedup store unreachable")
      expect(seen).toHaveLength(0)
    })
  })

  describe("when the handler fails", () => {
    /** The middleware in front of `handler`, which is told how many times it was called; errors answer 500. */
    const startWith = async (
      options: WebhookMiddlewareOptions,
      handler: (call: number, req: express.Request, res: express.Response, next: express.NextFunction) => unknown
    ) => {
      const calls: Array<string | undefined> = []
      const app = createApp()
      app.post("/webhooks", webhookMiddleware(options), (req, res, next) => {
        calls.push(req.webhook!.id)
        return handler(calls.length, req, res, next)
      })
      app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).json({ error: "internal" })
      })
      return { calls, url: `${await http.listen(app)}/webhooks` }
    }

    const secret = generateSecret()
    const body = event()
    const headers = sign(body, { secret, id: "msg_retry", timestamp: NOW_S })

    it("lets the retry of an event whose handler threw reach the handler, and succeed", async () => {
      const { dedup, releases } = releasing()
      const { calls, url } = await startWith({ secret, now, dedup }, (call, _req, res) => {
        if (call === 1) throw new Error("database down")
        res.sendStatus(204)
      })
      expect((await post(url, body, headers)).status).toBe(500)
      // The same bytes and headers, as a sender's retry would send them.
      expect((await post(url, body, headers)).status).toBe(204)
      expect((await post(url, body, headers)).body).toEqual({ duplicate: true })
      expect(calls).toEqual(["msg_retry", "msg_retry"])
      expect(releases).toEqual(["msg_retry"])
    })

    it("releases for an error passed to next(), answered 500 by the error handler", async () => {
      const { dedup } = releasing()
      const { calls, url } = await startWith({ secret, now, dedup }, (call, _req, res, next) => {
        if (call === 1) return setImmediate(() => next(new Error("queue full")))
        res.sendStatus(204)
      })
      expect((await post(url, body, headers)).status).toBe(500)
      expect((await post(url, body, headers)).status).toBe(204)
      expect(calls).toHaveLength(2)
    })

    it.runIf(createApp === express)("releases for an async handler that rejects (Express 5)", async () => {
      const { dedup } = releasing()
      const { calls, url } = await startWith({ secret, now, dedup }, async (call, _req, res) => {
        await Promise.resolve()
        if (call === 1) throw new Error("database down")
        res.sendStatus(204)
      })
      expect((await post(url, body, headers)).status).toBe(500)
      expect((await post(url, body, headers)).status).toBe(204)
      expect(calls).toHaveLength(2)
    })

    it("releases when the handler answers 500 itself", async () => {
      const { dedup, releases } = releasing()
      const { calls, url } = await startWith({ secret, now, dedup }, (call, _req, res) => {
        res.sendStatus(call === 1 ? 500 : 204)
      })
      expect((await post(url, body, headers)).status).toBe(500)
      expect((await post(url, body, headers)).status).toBe(204)
      expect(calls).toHaveLength(2)
      expect(releases).toEqual(["msg_retry"])
    })

    it("keeps the claim after a 204: the retry is a duplicate and never reaches the handler", async () => {
      const { dedup, releases } = releasing()
      const { calls, url } = await startWith({ secret, now, dedup }, (_call, _req, res) => res.sendStatus(204))
      expect((await post(url, body, headers)).status).toBe(204)
      const retry = await post(url, body, headers)
      expect([retry.status, retry.body]).toEqual([200, { duplicate: true }])
      expect(calls).toHaveLength(1)
      expect(releases).toEqual([])
    })

    it("keeps the claim after a 400: the receiver rejected the event on purpose", async () => {
      const { dedup, releases } = releasing()
      const { calls, url } = await startWith({ secret, now, dedup }, (_call, _req, res) => {
        res.status(400).json({ error: "unknown invoice" })
      })
      expect((await post(url, body, headers)).status).toBe(400)
      expect((await post(url, body, headers)).body).toEqual({ duplicate: true })
      expect(calls).toHaveLength(1)
      expect(releases).toEqual([])
    })

    it("releases when the client drops the connection while the handler runs", async () => {
      const { dedup, releases } = releasing()
      const entered = signal()
      const proceed = signal()
      const { calls, url } = await startWith({ secret, now, dedup }, async (call, _req, res) => {
        if (call === 1) {
          entered.resolve()
          await proceed.promise
        }
        res.sendStatus(204)
      })
      await abortedPost(url, body, headers, entered.promise)
      await vi.waitFor(() => expect(releases).toEqual(["msg_retry"]))
      proceed.resolve() // the first handler finishes, writing into a closed connection
      expect((await post(url, body, headers)).status).toBe(204)
      expect(calls).toHaveLength(2)
      expect(releases).toEqual(["msg_retry"])
    })

    it("lets the handler release by hand, e.g. before answering 429", async () => {
      const { dedup } = releasing()
      const { calls, url } = await startWith({ secret, now, dedup }, async (call, req, res) => {
        if (call > 1) return res.sendStatus(204)
        await webhookOf(req).release()
        res.status(429).json({ retry: "later" })
      })
      expect((await post(url, body, headers)).status).toBe(429)
      expect((await post(url, body, headers)).status).toBe(204)
      expect(calls).toHaveLength(2)
    })

    it("keeps today's behaviour with a store that has no release: the retry is a duplicate", async () => {
      const memory = new MemoryDedupStore()
      const dedup: DedupStore = { claim: (id, ttl) => memory.claim(id, ttl) }
      const { calls, url } = await startWith({ secret, now, dedup }, (_call, _req, res) => res.sendStatus(500))
      expect((await post(url, body, headers)).status).toBe(500)
      expect((await post(url, body, headers)).body).toEqual({ duplicate: true })
      expect(calls).toHaveLength(1)
    })

    it("reports a store that fails to release to onReleaseError and keeps serving", async () => {
      const failure = new Error("redis down")
      const { dedup, releases } = releasing(failure)
      const reported: Array<[unknown, string | undefined]> = []
      const { url } = await startWith({
        secret,
        now,
        dedup,
        onReleaseError: (error, req) => reported.push([error, req.webhook?.id])
      }, (_call, _req, res) => res.sendStatus(500))
      expect((await post(url, body, headers)).status).toBe(500)
      await vi.waitFor(() => expect(reported).toEqual([[failure, "msg_retry"]]))
      expect(releases).toEqual(["msg_retry"])
      const other = event({ n: 2 })
      expect((await post(url, other, sign(other, { secret, id: "msg_next", timestamp: NOW_S }))).status).toBe(500)
      await vi.waitFor(() => expect(reported).toHaveLength(2))
    })

    it("logs a failing release with console.error by default", async () => {
      const logged = vi.spyOn(console, "error").mockImplementation(() => undefined)
      try {
        const failure = new Error("redis down")
        const { dedup } = releasing(failure)
        const { url } = await startWith({ secret, now, dedup }, (_call, _req, res) => res.sendStatus(503))
        expect((await post(url, body, headers)).status).toBe(503)
        await vi.waitFor(() =>
          expect(logged).toHaveBeenCalledWith(expect.stringContaining("could not release webhook msg_retry"), failure)
        )
      } finally {
        logged.mockRestore()
      }
    })
  })

  describe("receiver misconfiguration", () => {
    it("passes an unusable secret to next(error) as a 500 instead of blaming the sender with a 400", async () => {
      const unset = process.env["HOOKWIRE_TEST_SECRET_THAT_IS_NOT_SET"] as string
      const { errors, seen, url } = await start({ secret: unset, now })
      const body = event()
      const answer = await post(url, body, sign(body, { secret: generateSecret(), id: "msg_s", timestamp: NOW_S }))
      expect(answer.status).toBe(500)
      expect(errors).toHaveLength(1)
      expect(isWebhookVerificationError(errors[0]) && errors[0].code).toBe("invalid_secret")
      expect(seen).toHaveLength(0)
    })
  })

  describe("raw body", () => {
    it("fails loudly when express.json() parsed the body first, saying how to mount it", async () => {
      const secret = generateSecret()
      const { errors, seen, url } = await start({ secret, now }, [createApp.json()])
      const body = event()
      const answer = await post(url, body, sign(body, { secret, id: "msg_parsed", timestamp: NOW_S }))
      expect(answer.status).toBe(500)
      expect(errors).toHaveLength(1)
      const message = (errors[0] as Error).message
      expect(message).toContain("req.body was already parsed by express.json()")
      expect(message).toContain("Mount webhookMiddleware before express.json()")
      expect(message).toContain("express.raw({ type: 'application/json' })")
      expect(seen).toHaveLength(0)
    })

    it("names express.text() when a text parser got the body first", async () => {
      const secret = generateSecret()
      const { errors, url } = await start({ secret, now }, [createApp.text({ type: "application/json" })])
      const body = event()
      const answer = await post(url, body, sign(body, { secret, id: "msg_text", timestamp: NOW_S }))
      expect(answer.status).toBe(500)
      expect((errors[0] as Error).message).toContain("req.body was already parsed by express.text()")
    })

    it("uses the Buffer left by express.raw({ type: 'application/json' })", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now }, [createApp.raw({ type: "application/json" })])
      const body = event()
      const good = await post(url, body, sign(body, { secret, id: "msg_raw", timestamp: NOW_S }))
      const bad = await post(url, `${body} `, sign(body, { secret, id: "msg_raw2", timestamp: NOW_S }))
      expect([good.status, bad.status]).toEqual([204, 400])
      expect(seen).toHaveLength(1)
      expect(Buffer.from(seen[0]!.raw).toString("utf8")).toBe(body)
    })

    it("reads the stream itself when express.raw() did not match the content type", async () => {
      const secret = generateSecret()
      // express.raw() defaults to application/octet-stream, so it leaves a JSON request alone.
      const { seen, url } = await start({ secret, now }, [createApp.raw()])
      const body = event()
      const answer = await post(url, body, sign(body, { secret, id: "msg_unmatched", timestamp: NOW_S }))
      expect(answer.status).toBe(204)
      expect(seen.map((e) => e.id)).toEqual(["msg_unmatched"])
    })

    it("answers 413 for a declared oversized body and keeps serving", async () => {
      const secret = generateSecret()
      const { base, seen, url } = await start({ secret, now, maxBodyBytes: 1024 })
      const big = JSON.stringify({ type: "big", pad: "x".repeat(4096) })
      const tooBig = await post(url, big, sign(big, { secret, id: "msg_big", timestamp: NOW_S }))
      expect(tooBig.status).toBe(413)
      expect(tooBig.body.error).toBe("payload_too_large")
      expect(tooBig.headers.get("connection")).toBe("close")
      // Refused on the declared Content-Length alone: no body byte is ever sent here.
      expect(await declareOnly(url, 10 * 1024 * 1024)).toBe(413)

      const small = event()
      const after = await post(url, small, sign(small, { secret, id: "msg_small", timestamp: NOW_S }))
      expect(after.status).toBe(204)
      expect((await fetch(`${base}/health`)).status).toBe(200)
      expect(seen.map((e) => e.id)).toEqual(["msg_small"])
    })

    it("answers 413 for a chunked body that outgrows the limit while streaming", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now, maxBodyBytes: 4096 })
      const tooBig = await post(url, chunks(256, 1024), { "webhook-id": "msg_stream" })
      expect(tooBig.status).toBe(413)
      expect(tooBig.body.error).toBe("payload_too_large")
      const small = event()
      const after = await post(url, small, sign(small, { secret, id: "msg_after", timestamp: NOW_S }))
      expect(after.status).toBe(204)
      expect(seen.map((e) => e.id)).toEqual(["msg_after"])
    })

    it("applies the 1 MiB default limit", async () => {
      const secret = generateSecret()
      const { url } = await start({ secret, now })
      const justUnder = JSON.stringify({ pad: "x".repeat(1024 * 1024 - 20) })
      const over = JSON.stringify({ pad: "x".repeat(1024 * 1024) })
      const under = await post(url, justUnder, sign(justUnder, { secret, id: "msg_under", timestamp: NOW_S }))
      const tooBig = await post(url, over, sign(over, { secret, id: "msg_over", timestamp: NOW_S }))
      expect([under.status, tooBig.status]).toEqual([204, 413])
    })

    it("answers 413 when express.raw buffered more than maxBodyBytes", async () => {
      const secret = generateSecret()
      const { seen, url } = await start({ secret, now, maxBodyBytes: 1024 }, [
        createApp.raw({ type: "application/json", limit: "1mb" })
      ])
      const big = JSON.stringify({ pad: "x".repeat(2048) })
      const answer = await post(url, big, sign(big, { secret, id: "msg_raw_big", timestamp: NOW_S }))
      expect([answer.status, answer.body.error]).toEqual([413, "payload_too_large"])
      expect(seen).toHaveLength(0)
    })
  })

  describe("content type", () => {
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
      const charset = await post(
        url,
        body,
        sign(body, { secret, id: "msg_cs", timestamp: NOW_S }),
        "Application/JSON; charset=UTF-8"
      )
      expect([cloud.status, charset.status]).toEqual([204, 204])
      expect(seen.map((e) => e.id)).toEqual(["msg_ce", "msg_cs"])
    })
  })

  describe("onError", () => {
    it("lets the application answer rejections itself", async () => {
      const secret = generateSecret()
      const rejections: Array<WebhookRejection> = []
      const { url } = await start({
        secret,
        now,
        onError: (error, _req, res) => {
          rejections.push(error)
          res.status(error.code === "unsupported_media_type" ? 415 : 401).json({ rejected: error.code })
        }
      })
      const body = event()
      const tampered = await post(url, `${body} `, sign(body, { secret, id: "msg_e1", timestamp: NOW_S }))
      const text = await post(url, body, {}, "text/plain")
      expect([tampered.status, tampered.body]).toEqual([401, { rejected: "no_matching_signature" }])
      expect([text.status, text.body]).toEqual([415, { rejected: "unsupported_media_type" }])
      expect(isWebhookVerificationError(rejections[0])).toBe(true)
      expect(rejections[1]).toBeInstanceOf(UnsupportedMediaTypeError)
    })
  })
})

describe("webhookOf", () => {
  const http = servers()
  afterEach(() => http.closeAll())

  it("returns the typed event behind the middleware and throws a how-to error where it is missing", async () => {
    const secret = generateSecret()
    const amounts: Array<number> = []
    const errors: Array<unknown> = []
    const app = express()
    app.post("/webhooks", webhookMiddleware({ secret, now }), (req, res) => {
      amounts.push(webhookOf<{ data: { amount: number } }>(req).payload.data.amount)
      res.sendStatus(204)
    })
    app.post("/forgotten", express.raw({ type: "application/json" }), (req, res) => {
      res.json(webhookOf(req).payload)
    })
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(error)
      res.sendStatus(500)
    })
    const base = await http.listen(app)
    const body = event()
    const headers = sign(body, { secret, id: "msg_of", timestamp: NOW_S })
    expect((await post(`${base}/webhooks`, body, headers)).status).toBe(204)
    expect((await post(`${base}/forgotten`, body, headers)).status).toBe(500)
    expect(amounts).toEqual([4200])
    expect((errors[0] as Error).message).toContain("mount webhookMiddleware before this handler")
  })
})

describe("webhookMiddleware options", () => {
  it("refuses a maxBodyBytes that is not a positive integer", () => {
    expect(() => webhookMiddleware({ secret: generateSecret(), maxBodyBytes: 0 })).toThrow(/maxBodyBytes/)
    expect(() => webhookMiddleware({ secret: generateSecret(), maxBodyBytes: 1.5 })).toThrow(/maxBodyBytes/)
  })
})
