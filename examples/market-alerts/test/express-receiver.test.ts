/**
 * The one-line receiver (`@hookwire/express` with the `marketAlerts` preset), served over real HTTPS: it accepts what
 * VecTrade sends, answers a repeated `X-VQ-Webhook-Id` as a duplicate without running the handler, and turns away
 * tampered copies.
 */
import { createServer } from "node:https"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest"
import type { VecTradeEvent } from "../src/customer-receiver.js"
import { type LocalTls, makeLocalTls } from "../src/localTls.js"
import { createExpressReceiver } from "../src/receiver.js"
import { makePlatform, post, settled, signedHeaders, waitFor } from "./helpers.js"

let tls: LocalTls
beforeAll(() => {
  tls = makeLocalTls()
})
afterAll(() => tls?.dispose())

describe("@hookwire/express receiver", () => {
  it("accepts deliveries, skips duplicates and rejects tampered copies", async () => {
    const account = "acct_express"
    const secrets: Array<string> = []
    const handled: Array<{ readonly event: VecTradeEvent; readonly id: string }> = []
    const headersSeen: Array<Record<string, string>> = []
    const app = createExpressReceiver({ secrets, onEvent: (event, id) => void handled.push({ event, id }) })
    const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      if (req.headers["x-vq-signature"] !== undefined && headersSeen.length < 1) {
        headersSeen.push(signedHeaders({ headers: req.headers, status: undefined }))
      }
      app(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    onTestFinished(() =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
    )
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/vectrade`

    const platform = makePlatform(tls)
    const webhook = await platform.client(account).webhooks.create({ url, events: ["price.alert", "news.published"] })
    // webhookMiddleware reads the secrets array when it verifies: adding the secret now is enough.
    secrets.push(webhook.secret)
    await platform.start()
    const alert = await platform.publish(account, "price.alert", {
      symbol: "AAPL",
      price: 200,
      alert_type: "crosses_above",
      threshold: 199.5
    })
    await platform.publish(account, "news.published", {
      article_id: "art_9",
      symbols: ["AAPL"],
      headline: "Earnings beat",
      source: "AP",
      url: "https://news.example.com/9",
      published_at: "2026-05-15T14:31:00Z"
    })
    const deliveries = await settled(platform, account, 2)
    expect(deliveries.map((d) => d.status)).toEqual(["delivered", "delivered"])
    await waitFor("both events handled", () => (handled.length === 2 ? true : undefined))
    expect(handled.map((h) => h.event.type).sort()).toEqual(["news.published", "price.alert"])

    const [headers] = headersSeen
    expect(headers["x-vq-webhook-id"]).toBe(deliveries.find((d) => d.messageId === alert.message.id)!.id)
    // A byte-exact replay: 200, handler not called.
    expect(await post(url, headers, alert.message.body, tls.ca)).toMatchObject({ status: 200 })
    expect(handled).toHaveLength(2)
    // A tampered body: 400 with the reason.
    const tampered = await post(url, headers, alert.message.body.replace("AAPL", "MSFT"), tls.ca)
    expect(tampered.status).toBe(400)
    expect(JSON.parse(tampered.body)).toMatchObject({ error: "no_matching_signature" })
    expect(handled).toHaveLength(2)
  })
})
