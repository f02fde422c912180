/**
 * The VecTrade webhooks page, checked end to end: real HTTPS on 127.0.0.1 (a test CA the transport is told to trust),
 * the customer's receiver from `src/customer-receiver.ts` (node built-ins only), and the documented events, payload,
 * headers, symbol filter, retries, timeout and HTTPS rule.
 */
import { RetryPolicy, Settings } from "@hookwire/core"
import { createHmac } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createWebhookHandler, type VecTradeEvent } from "../src/customer-receiver.js"
import { eventTypes } from "../src/events.js"
import { type LocalTls, makeLocalTls } from "../src/localTls.js"
import { defaults, eventIdOf, MarketAlerts } from "../src/MarketAlerts.js"
import { attemptsOf, makePlatform, post, serveHttps, settled, signedHeaders, waitFor } from "./helpers.js"

let tls: LocalTls
beforeAll(() => {
  tls = makeLocalTls()
})
afterAll(() => tls?.dispose())

const account = "acct_42"

const priceAlert = { symbol: "AAPL", price: 200, alert_type: "crosses_above", threshold: 199.5 } as const
const news = {
  article_id: "art_1",
  symbols: ["GOOGL", "MSFT"],
  headline: "Cloud spending rises",
  source: "Reuters",
  url: "https://news.example.com/1",
  published_at: "2026-05-15T14:31:00Z"
} as const
const quote = { symbol: "TSLA", price: 412.3, previous_close: 398.1, change: 14.2, change_percent: 3.57, volume: 1000 }
const screener = {
  screener_id: "scr_1",
  screener_name: "Breakouts",
  symbol: "NVDA",
  price: 131.2,
  criteria: ["rsi_14 > 70"]
}

/** A customer receiver over HTTPS that records what it processed. */
const customerReceiver = async (
  secrets: Array<string>,
  onEvent: (event: VecTradeEvent, id: string) => void | Promise<void> = () => {}
) => {
  const processed: Array<{ readonly event: VecTradeEvent; readonly id: string }> = []
  const served = await serveHttps(
    tls,
    createWebhookHandler({
      secrets,
      onEvent: async (event, id) => {
        await onEvent(event, id)
        processed.push({ event, id })
      }
    })
  )
  return { ...served, processed, url: `${served.url}/api/webhooks/vectrade` }
}

describe("configuration", () => {
  it("is the documented one: 5 s timeout, 3 retries, X-VQ-* scheme, https only", async () => {
    const platform = new MarketAlerts()
    try {
      const settings = await platform.hookwire.runtime.runPromise(Settings.Settings)
      expect(settings.timeoutMs).toBe(5_000)
      expect(RetryPolicy.maxAttempts(settings.retryPolicy)).toBe(4)
      expect(settings.retryPolicy.spec).toMatchObject({ _tag: "fixed", delaysMs: [60_000, 600_000, 3_600_000] })
      expect(settings.allowHttp).toBe(false)
      expect(settings.scheme.name).toBe("marketAlerts")
      expect(defaults.timeout).toBe("5 seconds")
      expect(Object.keys(platform.hookwire.eventTypes()).sort()).toEqual([...eventTypes].sort())
    } finally {
      await platform.close()
    }
  })

  it("promises exactly 3 retries: other counts are refused", () => {
    expect(() => new MarketAlerts({ retryDelays: ["1 second"] })).toThrow(/exactly 3 delays/)
  })

  it("refuses http:// webhook URLs (HTTPS required)", async () => {
    const platform = makePlatform(tls)
    const client = platform.client(account)
    await expect(client.webhooks.create({ url: "http://127.0.0.1:8080/hook", events: ["price.alert"] }))
      .rejects.toMatchObject({ _tag: "ValidationError", code: "insecure_url" })
    expect(await client.webhooks.list()).toEqual([])
  })

  it("refuses invalid event data with a readable error", async () => {
    const platform = makePlatform(tls)
    await expect(
      platform.publish(account, "price.alert", { ...priceAlert, alert_type: "sideways" as "crosses_above" })
    ).rejects.toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
  })
})

describe("webhooks API", () => {
  it("create returns the secret once; list/get never show it; delete removes; accounts are isolated", async () => {
    const platform = makePlatform(tls)
    const client = platform.client(account)
    const other = platform.client("acct_other")
    const webhook = await client.webhooks.create({
      url: "https://your-app.example/api/webhooks/vectrade",
      events: ["price.alert", "news.published"],
      symbols: ["aapl", "GOOGL", "MSFT"]
    })
    expect(webhook.id).toMatch(/^ep_/)
    expect(webhook.secret).toMatch(/^whsec_/)
    expect(webhook.symbols).toEqual(["AAPL", "GOOGL", "MSFT"])
    expect(webhook.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)

    const listed = await client.webhooks.list()
    expect(listed).toEqual([{
      id: webhook.id,
      url: webhook.url,
      events: ["price.alert", "news.published"],
      symbols: ["AAPL", "GOOGL", "MSFT"],
      created_at: webhook.created_at
    }])
    expect(JSON.stringify(listed)).not.toContain(webhook.secret)
    expect(JSON.stringify(await client.webhooks.get(webhook.id))).not.toContain(webhook.secret)

    expect(await other.webhooks.list()).toEqual([])
    await expect(other.webhooks.delete(webhook.id)).rejects.toMatchObject({ _tag: "NotFound" })

    await client.webhooks.delete(webhook.id)
    expect(await client.webhooks.list()).toEqual([])
    await expect(client.webhooks.get(webhook.id)).rejects.toMatchObject({ _tag: "NotFound" })
  })

  it("lists every webhook across pages", async () => {
    const platform = makePlatform(tls)
    const client = platform.client(account)
    for (let i = 0; i < 105; i++) await client.webhooks.create({ url: `https://hooks.example/${i}` })
    const listed = await client.webhooks.list()
    expect(listed).toHaveLength(105)
    expect(new Set(listed.map((w) => w.id)).size).toBe(105)
  })
})

describe("delivery over HTTPS", () => {
  it("delivers each event type with the documented envelope and X-VQ-* headers; the customer receiver accepts", async () => {
    const secrets: Array<string> = []
    const receiver = await customerReceiver(secrets)
    const platform = makePlatform(tls)
    const client = platform.client(account)
    const webhook = await client.webhooks.create({ url: receiver.url })
    secrets.push(webhook.secret)
    await platform.start()

    const published = [
      await platform.publish(account, "quote.update", quote),
      await platform.publish(account, "price.alert", priceAlert),
      await platform.publish(account, "news.published", news),
      await platform.publish(account, "screener.match", screener)
    ]
    const deliveries = await settled(platform, account, 4)
    expect(deliveries.map((d) => d.status)).toEqual(["delivered", "delivered", "delivered", "delivered"])
    expect(receiver.processed).toHaveLength(4)
    expect(receiver.requests.map((r) => r.status)).toEqual([200, 200, 200, 200])

    const datas = [quote, priceAlert, news, screener]
    for (const [i, p] of published.entries()) {
      const { event, id } = receiver.processed.find((r) => r.event.type === p.message.type)!
      // {"id":"evt_…","type":…,"created_at":ISO,"data":{…}} — exactly these keys, in this order.
      expect(Object.keys(event)).toEqual(["id", "type", "created_at", "data"])
      expect(event.id).toBe(eventIdOf(p.message.id))
      expect(event.id).toMatch(/^evt_[0-9A-Z]{26}$/)
      expect(event.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      expect(event.data).toEqual(datas[i])
      // X-VQ-Webhook-Id is the delivery id: unique per webhook, the same for every try, so receivers can dedupe on it.
      expect(id).toBe(deliveries.find((d) => d.messageId === p.message.id)!.id)
    }
    for (const request of receiver.requests) {
      expect(request.headers["content-type"]).toBe("application/json")
      expect(request.headers["x-vq-signature"]).toMatch(/^[0-9a-f]{64}$/)
      const timestamp = Number(request.headers["x-vq-timestamp"])
      expect(Number.isInteger(timestamp)).toBe(true)
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60)
    }
  })

  it("signs hex HMAC-SHA256 of `{timestamp}.{body}` over the exact body bytes", async () => {
    const secrets: Array<string> = []
    const receiver = await customerReceiver(secrets)
    const platform = makePlatform(tls)
    const webhook = await platform.client(account).webhooks.create({ url: receiver.url })
    secrets.push(webhook.secret)
    await platform.start()
    const { message } = await platform.publish(account, "price.alert", priceAlert)
    await settled(platform, account, 1)
    const [request] = receiver.requests
    const expected = createHmac("sha256", webhook.secret)
      .update(`${request.headers["x-vq-timestamp"]}.${message.body}`)
      .digest("hex")
    expect(request.headers["x-vq-signature"]).toBe(expected)
    expect(JSON.parse(message.body)).toEqual({
      id: eventIdOf(message.id),
      type: "price.alert",
      created_at: expect.any(String),
      data: priceAlert
    })
  })

  it("sends each event only to webhooks watching one of its symbols and subscribed to its type", async () => {
    const platform = makePlatform(tls)
    const client = platform.client(account)
    const aapl = await client.webhooks.create({ url: "https://a.example/h", symbols: ["AAPL"] })
    const msft = await client.webhooks.create({ url: "https://b.example/h", symbols: ["MSFT"] })
    const all = await client.webhooks.create({ url: "https://c.example/h" })
    const googlNews = await client.webhooks.create({
      url: "https://d.example/h",
      events: ["news.published"],
      symbols: ["GOOGL"]
    })
    const alert = await platform.publish(account, "price.alert", priceAlert) // AAPL
    const article = await platform.publish(account, "news.published", news) // GOOGL, MSFT
    const tsla = await platform.publish(account, "quote.update", quote) // TSLA
    expect([alert.deliveries, article.deliveries, tsla.deliveries]).toEqual([2, 3, 1])

    const { items } = await platform.hookwire.deliveries.list({ tenant: account, limit: 100 })
    const receivers = (messageId: string) =>
      items.filter((d) => d.messageId === messageId).map((d) => d.endpointId).sort()
    expect(receivers(alert.message.id)).toEqual([aapl.id, all.id].sort())
    expect(receivers(article.message.id)).toEqual([msft.id, all.id, googlNews.id].sort())
    expect(receivers(tsla.message.id)).toEqual([all.id])
    expect(alert.message.channels).toEqual(["AAPL"])
    expect(article.message.channels).toEqual(["GOOGL", "MSFT"])
  })

  it("verifies the receiver's certificate: without the test CA every attempt fails with a TLS error", async () => {
    const receiver = await customerReceiver([])
    const platform = makePlatform(tls, { http: { allowCidrs: ["127.0.0.1/32"] } })
    await platform.client(account).webhooks.create({ url: receiver.url })
    await platform.start()
    await platform.publish(account, "price.alert", priceAlert)
    const [delivery] = await settled(platform, account, 1)
    expect(delivery.status).toBe("failed")
    expect(delivery.lastError).toBe("tls")
    expect(receiver.processed).toEqual([])
  })

  it("refuses loopback unless allowed: without allowCidrs the attempt is blocked, and not retried", async () => {
    const receiver = await customerReceiver([])
    const platform = makePlatform(tls, { http: { ca: tls.ca } })
    await platform.client(account).webhooks.create({ url: receiver.url })
    await platform.start()
    await platform.publish(account, "price.alert", priceAlert)
    const [delivery] = await settled(platform, account, 1)
    expect(delivery).toMatchObject({ status: "failed", lastError: "blocked", attempts: 1 })
    expect(receiver.requests).toEqual([])
  })
})

describe("the customer's receiver", () => {
  it("rejects tampered, re-signed, stale and unsigned copies with 401; answers a replay as a duplicate", async () => {
    const secrets: Array<string> = []
    const receiver = await customerReceiver(secrets)
    const platform = makePlatform(tls)
    const webhook = await platform.client(account).webhooks.create({ url: receiver.url })
    secrets.push(webhook.secret)
    await platform.start()
    const { message } = await platform.publish(account, "price.alert", priceAlert)
    await settled(platform, account, 1)
    expect(receiver.processed).toHaveLength(1)

    const headers = signedHeaders(receiver.requests[0])
    const send = (h: Record<string, string>, body: string) => post(receiver.url, h, body, tls.ca)

    // The body changed in transit (a price edited): the signature no longer matches.
    const tampered = message.body.replace("\"price\":200", "\"price\":2000")
    expect(tampered).not.toBe(message.body)
    expect(await send(headers, tampered)).toEqual({ status: 401, body: "Invalid signature" })
    // Signed, but with somebody else's secret.
    const ts = headers["x-vq-timestamp"]
    const forged = createHmac("sha256", "whsec_not-the-secret").update(`${ts}.${message.body}`).digest("hex")
    expect((await send({ ...headers, "x-vq-signature": forged }, message.body)).status).toBe(401)
    // The timestamp moved (replay with a fresh-looking time): it is part of the signed content.
    expect((await send({ ...headers, "x-vq-timestamp": String(Number(ts) + 1) }, message.body)).status).toBe(401)
    // Correctly signed, but 10 minutes old: outside the 5-minute window.
    const old = String(Math.floor(Date.now() / 1000) - 600)
    const stale = createHmac("sha256", webhook.secret).update(`${old}.${message.body}`).digest("hex")
    expect(
      (await send(
        { ...headers, "x-vq-timestamp": old, "x-vq-signature": stale, "x-vq-webhook-id": "msg_x" },
        message.body
      ))
        .status
    ).toBe(401)
    // No signature at all.
    expect((await send({ "content-type": "application/json" }, message.body)).status).toBe(401)
    // A byte-exact replay within the window: acknowledged, not processed again.
    expect(await send(headers, message.body)).toEqual({ status: 200, body: "Duplicate" })
    expect(receiver.processed).toHaveLength(1)
  })
})

describe("retries", () => {
  it("retries 3 times: 1 + 3 attempts with the same X-VQ-Webhook-Id, then the delivery is failed", async () => {
    const failed: Array<{ readonly deliveryId: string; readonly attempts: number }> = []
    const secrets: Array<string> = []
    const receiver = await customerReceiver(secrets, () => {
      throw new Error("receiver is down")
    })
    const platform = makePlatform(tls, {
      onEvent: (event) => {
        if (event.type === "delivery.failed") failed.push({ deliveryId: event.deliveryId, attempts: event.attempts })
      }
    })
    const webhook = await platform.client(account).webhooks.create({ url: receiver.url })
    secrets.push(webhook.secret)
    await platform.start()
    await platform.publish(account, "price.alert", priceAlert)
    const [delivery] = await settled(platform, account, 1)

    expect(delivery).toMatchObject({ status: "failed", attempts: 4, lastResponseStatus: 500 })
    const attempts = await attemptsOf(platform, account, delivery)
    expect(attempts.map((a) => [a.attempt, a.responseStatus, a.trigger])).toEqual([
      [1, 500, "scheduled"],
      [2, 500, "scheduled"],
      [3, 500, "scheduled"],
      [4, 500, "scheduled"]
    ])
    expect(attempts[0].responseBody).toBe("Processing failed")
    expect(receiver.requests).toHaveLength(4)
    expect(new Set(receiver.requests.map((r) => r.headers["x-vq-webhook-id"]))).toEqual(new Set([delivery.id]))
    await waitFor("the delivery.failed event", () => (failed.length > 0 ? failed : undefined))
    expect(failed).toEqual([{ deliveryId: delivery.id, attempts: 4 }])
  })

  it("a delivery that succeeds on a retry is delivered once", async () => {
    const secrets: Array<string> = []
    let calls = 0
    const receiver = await customerReceiver(secrets, () => {
      if (++calls <= 2) throw new Error("flaky")
    })
    const platform = makePlatform(tls)
    const webhook = await platform.client(account).webhooks.create({ url: receiver.url })
    secrets.push(webhook.secret)
    await platform.start()
    await platform.publish(account, "quote.update", quote)
    const [delivery] = await settled(platform, account, 1)
    expect(delivery).toMatchObject({ status: "delivered", attempts: 3, lastResponseStatus: 200 })
    expect(receiver.processed).toHaveLength(1)
  })

  it("a retry after a lost response is recognised by X-VQ-Webhook-Id and not processed twice", async () => {
    const secrets: Array<string> = []
    let release = () => {}
    const slowFirstTry = new Promise<void>((resolve) => (release = resolve))
    let calls = 0
    const receiver = await customerReceiver(secrets, async () => {
      // The first try is processed, but too slowly: VecTrade gives up waiting and retries.
      if (++calls === 1) await slowFirstTry
    })
    const platform = makePlatform(tls, { timeout: "300 millis" })
    const webhook = await platform.client(account).webhooks.create({ url: receiver.url })
    secrets.push(webhook.secret)
    await platform.start()
    await platform.publish(account, "price.alert", priceAlert)
    try {
      const [delivery] = await settled(platform, account, 1)
      expect(delivery).toMatchObject({ status: "delivered", attempts: 2 })
      const attempts = await attemptsOf(platform, account, delivery)
      expect(attempts.map((a) => a.errorKind ?? a.responseStatus)).toEqual(["timeout", 200])
      expect(attempts[1].responseBody).toBe("Duplicate")
      expect(receiver.requests[0].headers["x-vq-webhook-id"]).toBe(receiver.requests[1].headers["x-vq-webhook-id"])
    } finally {
      release()
    }
    await waitFor("the first try to finish", () => (receiver.processed.length === 1 ? true : undefined))
    expect(calls).toBe(1)
  })
})

describe("timeout", () => {
  it("an answer after the timeout counts as a failed attempt with error kind timeout", async () => {
    const served = await serveHttps(tls, (_req, res) => {
      // Answers, but only after 1 s: later than the (shortened) timeout of 250 ms.
      const timer = setTimeout(() => res.writeHead(200).end("OK"), 1_000)
      res.on("close", () => clearTimeout(timer))
    })
    const platform = makePlatform(tls, { timeout: "250 millis" })
    await platform.client(account).webhooks.create({ url: `${served.url}/slow` })
    await platform.start()
    await platform.publish(account, "price.alert", priceAlert)
    const [delivery] = await settled(platform, account, 1)
    expect(delivery).toMatchObject({ status: "failed", attempts: 4, lastError: "timeout", lastResponseStatus: null })
    const attempts = await attemptsOf(platform, account, delivery)
    expect(attempts.map((a) => a.errorKind)).toEqual(["timeout", "timeout", "timeout", "timeout"])
    for (const a of attempts) {
      expect(a.durationMs).toBeGreaterThanOrEqual(200)
      expect(a.durationMs).toBeLessThan(1_000)
    }
  })
})

describe("secret rotation", () => {
  it("rotateSecret returns a new secret, shown once, that signs every later delivery", async () => {
    const secrets: Array<string> = []
    const receiver = await customerReceiver(secrets)
    const platform = makePlatform(tls)
    const client = platform.client(account)
    const webhook = await client.webhooks.create({ url: receiver.url })
    secrets.push(webhook.secret)
    await platform.start()
    await platform.publish(account, "price.alert", priceAlert)
    await settled(platform, account, 1)

    const rotated = await client.webhooks.rotateSecret(webhook.id)
    expect(rotated.id).toBe(webhook.id)
    expect(rotated.secret).toMatch(/^whsec_/)
    expect(rotated.secret).not.toBe(webhook.secret)
    expect(JSON.stringify(await client.webhooks.list())).not.toContain(rotated.secret)
    // The receiver only knows the new secret now.
    secrets.splice(0, secrets.length, rotated.secret)
    const { message } = await platform.publish(account, "quote.update", quote)
    const deliveries = await settled(platform, account, 2)
    expect(deliveries.map((d) => d.status)).toEqual(["delivered", "delivered"])
    const last = receiver.requests.at(-1)!
    const sign = (secret: string) =>
      createHmac("sha256", secret).update(`${last.headers["x-vq-timestamp"]}.${message.body}`).digest("hex")
    expect(last.headers["x-vq-signature"]).toBe(sign(rotated.secret))
    expect(last.headers["x-vq-signature"]).not.toBe(sign(webhook.secret))
  })
})
