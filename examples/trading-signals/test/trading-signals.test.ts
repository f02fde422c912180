/**
 * The APIndicators webhooks page, checked end to end over real HTTP on 127.0.0.1 with the customer's receiver from
 * `src/customer-receiver.ts` (node built-ins only): named webhooks, the documented payload and signature, no
 * retries, the 10 s timeout, the delivery log, http with a warning, and the plan limits.
 */
import { RetryPolicy, Settings } from "@hookwire/core"
import { createHmac } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it, vi } from "vitest"
import { createWebhookHandler, type SignalEvent } from "../src/customer-receiver.js"
import { eventTypes } from "../src/events.js"
import { defaults, PLAN_LIMITS, TradingSignals } from "../src/TradingSignals.js"
import { makePlatform, plans, post, serveHttp, waitFor } from "./helpers.js"

const account = "acct_pro"

const buy = { pair: "BTCUSDT", side: "buy", score: 0.87, market_type: "trending", interval: "1h" } as const
const sell = { pair: "ETHUSDT", side: "sell", score: 0.74, market_type: "ranging", interval: "4h" } as const
const backtest = {
  backtest_id: "bt_1",
  strategy: "ml-trend-v3",
  pair: "BTCUSDT",
  interval: "1h",
  period_start: "2026-01-01T00:00:00Z",
  period_end: "2026-03-31T23:00:00Z",
  trades: 142,
  win_rate: 0.58,
  total_return_pct: 23.4,
  max_drawdown_pct: -8.1
} as const
const filled = {
  position_id: "pos_1",
  pair: "BTCUSDT",
  side: "buy",
  exit_reason: "stop_loss",
  entry_price: 64_250,
  exit_price: 63_100,
  pnl_pct: -1.79,
  opened_at: "2026-04-03T14:30:00Z",
  filled_at: "2026-04-03T15:05:00Z"
} as const

/** The customer's receiver over HTTP, recording what it processed. */
const customerReceiver = async (
  secret: () => string,
  onEvent: (event: SignalEvent) => unknown = () => undefined
) => {
  const processed: Array<SignalEvent> = []
  const served = await serveHttp(createWebhookHandler({
    secret,
    onEvent: async (event) => {
      const result = await onEvent(event)
      processed.push(event)
      return result
    }
  }))
  return { ...served, processed, url: `${served.url}/webhook` }
}

/** The account's delivery log once no delivery is pending. */
const finalLog = (platform: TradingSignals, id: string, count: number) =>
  waitFor(`${count} final deliveries`, async () => {
    const log = await platform.account(id).webhooks.deliveries()
    return log.length === count && log.every((e) => e.status !== "pending") ? log : undefined
  })

describe("configuration", () => {
  it("is the documented one: 10 s timeout, no retries, sha256= signature, http allowed", async () => {
    const platform = makePlatform({ http: undefined, dispatcher: undefined })
    const settings = await platform.hookwire.runtime.runPromise(Settings.Settings)
    expect(settings.timeoutMs).toBe(10_000)
    expect(defaults.timeout).toBe("10 seconds")
    expect(settings.retryPolicy.spec).toEqual({ _tag: "none" })
    expect(RetryPolicy.maxAttempts(settings.retryPolicy)).toBe(1)
    expect(settings.scheme.name).toBe("tradingSignals")
    expect(settings.allowHttp).toBe(true)
    expect(Object.keys(platform.hookwire.eventTypes()).sort()).toEqual([...eventTypes].sort())
  })

  it("refuses invalid event data with a readable error", async () => {
    const platform = makePlatform()
    await expect(platform.publish(account, "signal.buy", { ...buy, score: 1.5 }))
      .rejects.toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
  })
})

describe("webhooks", () => {
  it("have a name, a URL and events; the secret is shown once", async () => {
    const platform = makePlatform()
    const webhooks = platform.account(account).webhooks
    const created = await webhooks.create({
      name: "Telegram Bot",
      url: "https://bot.example/webhook",
      events: ["signal.buy", "signal.sell"]
    })
    expect(created).toMatchObject({
      name: "Telegram Bot",
      url: "https://bot.example/webhook",
      events: ["signal.buy", "signal.sell"]
    })
    expect(created.secret).toMatch(/^whsec_/)
    const listed = await webhooks.list()
    expect(listed).toEqual([{
      id: created.id,
      name: "Telegram Bot",
      url: "https://bot.example/webhook",
      events: ["signal.buy", "signal.sell"],
      created_at: created.created_at
    }])
    expect(JSON.stringify([listed, await webhooks.get(created.id)])).not.toContain(created.secret)
    // A lost secret cannot be recovered: delete and recreate.
    await webhooks.delete(created.id)
    expect(await webhooks.list()).toEqual([])
  })

  it("require a name and at least one event", async () => {
    const webhooks = makePlatform().account(account).webhooks
    await expect(webhooks.create({ name: " ", url: "https://bot.example/w", events: ["signal.buy"] }))
      .rejects.toMatchObject({ _tag: "ValidationError", field: "name" })
    await expect(webhooks.create({ name: "Bot", url: "https://bot.example/w", events: [] }))
      .rejects.toMatchObject({ _tag: "ValidationError", code: "invalid_event_filter" })
    expect(await webhooks.list()).toEqual([])
  })

  it("accept http URLs, and Hookwire logs a warning for each", async () => {
    const logged = vi.spyOn(console, "log").mockImplementation(() => {})
    try {
      const webhooks = makePlatform().account(account).webhooks
      await webhooks.create({ name: "Secure", url: "https://bot.example/w", events: ["signal.buy"] })
      expect(logged.mock.calls.flat().join("\n")).not.toContain("uses http")
      const insecure = await webhooks.create({ name: "Bot", url: "http://bot.example/w", events: ["signal.buy"] })
      expect(insecure.url).toBe("http://bot.example/w")
      const lines = logged.mock.calls.flat().map(String).filter((line) => line.includes("uses http"))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain("level=WARN")
      expect(lines[0]).toContain("http://bot.example/w")
      expect(lines[0]).not.toContain(insecure.secret)
    } finally {
      logged.mockRestore()
    }
  })
})

describe("plan limits", () => {
  const create = (platform: TradingSignals, id: string, i: number) =>
    platform.account(id).webhooks.create({
      name: `Hook ${i}`,
      url: `https://hooks.example/${i}`,
      events: ["signal.buy"]
    })

  it("Free: 0 webhooks — the first create fails with EndpointLimitExceeded", async () => {
    const platform = makePlatform()
    await expect(create(platform, "acct_free", 1)).rejects.toMatchObject({
      _tag: "EndpointLimitExceeded",
      code: "endpoint_limit_exceeded",
      limit: 0
    })
    expect(await platform.account("acct_free").webhooks.list()).toEqual([])
  })

  it("Starter: 3 webhooks — the 4th fails; deleting one frees a slot", async () => {
    const platform = makePlatform()
    const made = []
    for (let i = 1; i <= 3; i++) made.push(await create(platform, "acct_starter", i))
    await expect(create(platform, "acct_starter", 4)).rejects.toMatchObject({ _tag: "EndpointLimitExceeded", limit: 3 })
    expect(await platform.account("acct_starter").webhooks.list()).toHaveLength(3)
    await platform.account("acct_starter").webhooks.delete(made[0].id)
    await expect(create(platform, "acct_starter", 5)).resolves.toMatchObject({ name: "Hook 5" })
  })

  it("Pro: 10 webhooks — the 11th fails", async () => {
    const platform = makePlatform()
    for (let i = 1; i <= 10; i++) await create(platform, "acct_pro", i)
    await expect(create(platform, "acct_pro", 11)).rejects.toMatchObject({ _tag: "EndpointLimitExceeded", limit: 10 })
  })

  it("Business: unlimited", async () => {
    const platform = makePlatform()
    for (let i = 1; i <= 150; i++) await create(platform, "acct_business", i)
    expect(await platform.account("acct_business").webhooks.list()).toHaveLength(150)
  })

  it("an upgrade takes effect at the next create", async () => {
    const accountPlans: Record<string, "free" | "starter"> = { acct_upgrading: "free" }
    const platform = makePlatform({ planOf: (id) => accountPlans[id] ?? "free" })
    await expect(create(platform, "acct_upgrading", 1)).rejects.toMatchObject({ _tag: "EndpointLimitExceeded" })
    accountPlans.acct_upgrading = "starter"
    await expect(create(platform, "acct_upgrading", 2)).resolves.toMatchObject({ name: "Hook 2" })
  })

  it("matches the plan table", () => {
    expect(PLAN_LIMITS).toEqual({ free: 0, starter: 3, pro: 10, business: Infinity })
    expect(Object.keys(plans).sort()).toEqual(["acct_business", "acct_free", "acct_pro", "acct_starter"])
  })
})

describe("delivery", () => {
  it("delivers each subscribed event with the documented payload and X-Webhook-Signature; the log shows 200", async () => {
    let secret = ""
    const receiver = await customerReceiver(() => secret, (event) => ({ ok: true, got: event.event }))
    const platform = makePlatform()
    const webhook = await platform.account(account).webhooks.create({
      name: "Bot",
      url: receiver.url,
      events: ["signal.buy", "signal.sell", "backtest.run", "order.filled"]
    })
    secret = webhook.secret
    await platform.start()
    const published = [
      await platform.publish(account, "signal.buy", buy),
      await platform.publish(account, "signal.sell", sell),
      await platform.publish(account, "backtest.run", backtest),
      await platform.publish(account, "order.filled", filled)
    ]
    const log = await finalLog(platform, account, 4)
    expect(log.map((e) => [e.event, e.status, e.response_code])).toEqual([
      ["order.filled", "delivered", 200],
      ["backtest.run", "delivered", 200],
      ["signal.sell", "delivered", 200],
      ["signal.buy", "delivered", 200]
    ])
    expect(JSON.parse(log[0].response_body!)).toEqual({ ok: true, got: "order.filled" })
    expect(log.every((e) => e.webhook_id === webhook.id && e.error === null)).toBe(true)

    const datas = [buy, sell, backtest, filled]
    for (const [i, p] of published.entries()) {
      const event = receiver.processed.find((e) => e.event === p.message.type)!
      // {"event":…,"timestamp":ISO,"data":{…}} — exactly these keys, in this order.
      expect(Object.keys(event)).toEqual(["event", "timestamp", "data"])
      expect(event.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      expect(event.data).toEqual(datas[i])
      // The signature is sha256=<hex HMAC-SHA256 of the exact body> under the webhook's secret.
      const request = receiver.requests[receiver.processed.indexOf(event)]
      expect(request.headers["x-webhook-signature"]).toBe(
        "sha256=" + createHmac("sha256", webhook.secret).update(p.message.body).digest("hex")
      )
      expect(request.headers["content-type"]).toBe("application/json")
    }
  })

  it("sends only the events a webhook subscribed to", async () => {
    const platform = makePlatform()
    const webhooks = platform.account(account).webhooks
    const buys = await webhooks.create({ name: "Buys", url: "https://a.example/w", events: ["signal.buy"] })
    const fills = await webhooks.create({ name: "Fills", url: "https://b.example/w", events: ["order.filled"] })
    const a = await platform.publish(account, "signal.buy", buy)
    const b = await platform.publish(account, "signal.sell", sell)
    const c = await platform.publish(account, "order.filled", filled)
    expect([a.deliveries, b.deliveries, c.deliveries]).toEqual([1, 0, 1])
    const log = await webhooks.deliveries()
    expect(log.map((e) => [e.webhook_id, e.event])).toEqual([[fills.id, "order.filled"], [buys.id, "signal.buy"]])
  })

  it("the customer's receiver rejects tampered and forged copies with 401", async () => {
    let secret = ""
    const receiver = await customerReceiver(() => secret)
    const platform = makePlatform()
    const webhook = await platform.account(account).webhooks.create({
      name: "Bot",
      url: receiver.url,
      events: ["signal.buy"]
    })
    secret = webhook.secret
    await platform.start()
    const { message } = await platform.publish(account, "signal.buy", buy)
    await finalLog(platform, account, 1)
    expect(receiver.processed).toHaveLength(1)
    const signature = String(receiver.requests[0].headers["x-webhook-signature"])
    const send = (headers: Record<string, string>, body: string) =>
      post(receiver.url, { "content-type": "application/json", ...headers }, body)

    // The score was edited in transit.
    const tampered = message.body.replace("\"score\":0.87", "\"score\":0.99")
    expect(tampered).not.toBe(message.body)
    expect(await send({ "x-webhook-signature": signature }, tampered)).toEqual({
      status: 401,
      body: JSON.stringify({ error: "invalid signature" })
    })
    // Signed with another secret.
    const forged = "sha256=" + createHmac("sha256", "whsec_guess").update(message.body).digest("hex")
    expect((await send({ "x-webhook-signature": forged }, message.body)).status).toBe(401)
    // Malformed header of another length (the docs snippet's timingSafeEqual would throw here).
    expect((await send({ "x-webhook-signature": "sha256=abc" }, message.body)).status).toBe(401)
    // The bare hex without the sha256= prefix.
    expect((await send({ "x-webhook-signature": signature.slice(7) }, message.body)).status).toBe(401)
    // Unsigned.
    expect((await send({}, message.body)).status).toBe(401)
    expect(receiver.processed).toHaveLength(1)
    // The exact bytes with the original signature verify (the scheme has no timestamp or id: replays pass).
    expect((await send({ "x-webhook-signature": signature }, message.body)).status).toBe(200)
  })

  it("no automatic retries: a 5xx is final after exactly 1 attempt, with code and body in the log", async () => {
    const failed: Array<{ readonly deliveryId: string; readonly attempts: number }> = []
    let secret = ""
    const receiver = await customerReceiver(() => secret, () => {
      throw new Error("bot is offline")
    })
    const platform = makePlatform({
      onEvent: (event) => {
        if (event.type === "delivery.failed") failed.push({ deliveryId: event.deliveryId, attempts: event.attempts })
      }
    })
    const webhook = await platform.account(account).webhooks.create({
      name: "Bot",
      url: receiver.url,
      events: ["signal.sell"]
    })
    secret = webhook.secret
    await platform.start()
    await platform.publish(account, "signal.sell", sell)
    const [entry] = await finalLog(platform, account, 1)
    expect(entry).toMatchObject({
      event: "signal.sell",
      status: "failed",
      response_code: 500,
      response_body: JSON.stringify({ error: "bot is offline" }),
      error: null
    })
    const delivery = await platform.hookwire.deliveries.get({ tenant: account, id: entry.id })
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, nextAttemptAt: null })
    const { items: attempts } = await platform.hookwire.deliveries.attempts({ tenant: account, deliveryId: entry.id })
    expect(attempts).toHaveLength(1)
    expect(receiver.requests).toHaveLength(1)
    await waitFor("the delivery.failed event", () => (failed.length > 0 ? failed : undefined))
    expect(failed).toEqual([{ deliveryId: entry.id, attempts: 1 }])
  })

  it("a receiver that is not running: failed at once with error connect", async () => {
    // A port that was free a moment ago: take one from a server, then close it.
    const server = Http.createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/w`
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const platform = makePlatform()
    await platform.account(account).webhooks.create({ name: "Down", url, events: ["backtest.run"] })
    await platform.start()
    await platform.publish(account, "backtest.run", backtest)
    const [entry] = await finalLog(platform, account, 1)
    expect(entry).toMatchObject({ status: "failed", response_code: null, response_body: null, error: "connect" })
    const delivery = await platform.hookwire.deliveries.get({ tenant: account, id: entry.id })
    expect(delivery.attempts).toBe(1)
  })

  it("the log shows pending deliveries before they are attempted", async () => {
    let secret = ""
    const receiver = await customerReceiver(() => secret)
    const platform = makePlatform()
    const webhooks = platform.account(account).webhooks
    const webhook = await webhooks.create({ name: "Bot", url: receiver.url, events: ["signal.buy"] })
    secret = webhook.secret
    await platform.publish(account, "signal.buy", buy)
    expect(await webhooks.deliveries({ webhookId: webhook.id })).toEqual([
      expect.objectContaining({
        webhook_id: webhook.id,
        event: "signal.buy",
        status: "pending",
        response_code: null,
        response_body: null,
        attempted_at: null
      })
    ])
    await platform.start()
    const [entry] = await finalLog(platform, account, 1)
    expect(entry).toMatchObject({ status: "delivered", response_code: 200, response_body: "{\"ok\":true}" })
  })
})

describe("timeout", () => {
  it("an answer after the timeout: failed after 1 attempt, error timeout, no response code", async () => {
    const served = await serveHttp((_req, res) => {
      // Answers only after 1 s: later than the (shortened) timeout of 250 ms.
      const timer = setTimeout(() => res.writeHead(200).end("{}"), 1_000)
      res.on("close", () => clearTimeout(timer))
    })
    const platform = makePlatform({ timeout: "250 millis" })
    await platform.account(account).webhooks.create({ name: "Slow", url: `${served.url}/w`, events: ["order.filled"] })
    await platform.start()
    await platform.publish(account, "order.filled", filled)
    const [entry] = await finalLog(platform, account, 1)
    expect(entry).toMatchObject({ status: "failed", error: "timeout", response_code: null, response_body: null })
    expect(entry.duration_ms).toBeGreaterThanOrEqual(200)
    expect(entry.duration_ms).toBeLessThan(1_000)
    const delivery = await platform.hookwire.deliveries.get({ tenant: account, id: entry.id })
    expect(delivery.attempts).toBe(1)
    expect(served.requests).toHaveLength(1)
  })
})
