/**
 * `pnpm --filter ./examples/market-alerts start`: VecTrade's market-alert webhooks end to end, in one process.
 *
 * A customer's receiver (the one from the docs page: `node:https` + `node:crypto`) runs on 127.0.0.1 over real HTTPS,
 * with a certificate from a throwaway CA made by `openssl`. An account registers two webhooks — one for AAPL/MSFT
 * alerts and news, one for every TSLA event on a receiver that fails its first call — four events are published,
 * and the delivery log is printed once every delivery is final. Retries are shortened to 0.2 s / 0.4 s / 0.8 s so the
 * demo ends in a few seconds.
 */
import type { Webhooks } from "@hookwire/core"
import type { Server } from "node:https"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { createWebhookServer, type VecTradeEvent } from "./customer-receiver.js"
import { makeLocalTls } from "./localTls.js"
import { MarketAlerts } from "./MarketAlerts.js"

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))

export interface DemoResult {
  readonly deliveries: ReadonlyArray<Webhooks.Delivery>
  readonly received: ReadonlyArray<VecTradeEvent>
}

export const runDemo = async (print: (line: string) => void = console.log): Promise<DemoResult> => {
  const tls = makeLocalTls()
  const received: Array<VecTradeEvent> = []
  // Secrets are known once the webhooks exist; the receivers look them up per request.
  const secrets = { alerts: [] as Array<string>, tsla: [] as Array<string> }
  let tslaCalls = 0
  const alertsServer = createWebhookServer(tls, {
    secrets: secrets.alerts,
    onEvent: (event) => void received.push(event)
  })
  const tslaServer = createWebhookServer(tls, {
    secrets: secrets.tsla,
    onEvent: (event) => {
      if (++tslaCalls === 1) throw new Error("database is restarting")
      received.push(event)
    }
  })
  const alertsUrl = await listen(alertsServer)
  const tslaUrl = await listen(tslaServer)

  const platform = new MarketAlerts({
    retryDelays: ["200 millis", "400 millis", "800 millis"],
    // The receivers are on this machine: trust the demo CA, and let the SSRF guard through to 127.0.0.1 only.
    http: { ca: tls.ca, allowCidrs: ["127.0.0.1/32"] },
    dispatcher: { pollInterval: "100 millis" }
  })
  const account = "acct_demo"
  const client = platform.client(account)
  const names = new Map<string, string>()
  try {
    const alerts = await client.webhooks.create({
      url: `${alertsUrl}/api/webhooks/vectrade`,
      events: ["price.alert", "news.published"],
      symbols: ["AAPL", "GOOGL", "MSFT"]
    })
    secrets.alerts.push(alerts.secret)
    names.set(alerts.id, "alerts")
    const tsla = await client.webhooks.create({ url: `${tslaUrl}/hooks`, symbols: ["TSLA"] })
    secrets.tsla.push(tsla.secret)
    names.set(tsla.id, "tsla")
    for (const wh of await client.webhooks.list()) {
      print(`webhook ${wh.id}: ${wh.url} (${wh.events.join(", ") || "all events"}; ${wh.symbols.join(", ")})`)
    }
    print(`secret of ${alerts.id}: ${alerts.secret.slice(0, 10)}… (only shown once)`)

    await platform.start()
    const published = [
      await platform.publish(account, "price.alert", {
        symbol: "AAPL",
        price: 200,
        alert_type: "crosses_above",
        threshold: 199.5
      }),
      await platform.publish(account, "news.published", {
        article_id: "art_8812",
        symbols: ["AAPL", "GOOGL"],
        headline: "Apple and Google announce a search partnership renewal",
        source: "Reuters",
        url: "https://news.example.com/articles/8812",
        published_at: "2026-05-15T14:31:00Z"
      }),
      await platform.publish(account, "quote.update", {
        symbol: "TSLA",
        price: 412.3,
        previous_close: 398.1,
        change: 14.2,
        change_percent: 3.57,
        volume: 48_210_500
      }),
      // Nobody watches NVDA: no delivery.
      await platform.publish(account, "screener.match", {
        screener_id: "scr_momentum",
        screener_name: "Momentum breakouts",
        symbol: "NVDA",
        price: 131.2,
        criteria: ["rsi_14 > 70", "volume > 2x avg"]
      })
    ]
    print(`published ${published.map((p) => `${p.message.type} → ${p.deliveries}`).join(", ")}`)

    const deadline = Date.now() + 10_000
    let deliveries: ReadonlyArray<Webhooks.Delivery> = []
    while (Date.now() < deadline) {
      deliveries = (await platform.hookwire.deliveries.list({ tenant: account, limit: 100 })).items
      if (deliveries.length > 0 && deliveries.every((d) => d.status !== "pending")) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const types = new Map(published.map((p) => [p.message.id, p.message.type]))
    print("")
    print("delivery log")
    const attempts = (await platform.hookwire.deliveries.attempts({ tenant: account, limit: 100 })).items
    for (const d of deliveries) {
      print(
        `  ${d.id}  ${pad(names.get(d.endpointId) ?? "?", 7)} ${pad(types.get(d.messageId) ?? "?", 15)} ` +
          `${pad(d.status, 10)} attempts=${d.attempts}`
      )
      for (const a of attempts.filter((a) => a.deliveryId === d.id)) {
        print(
          `      #${a.attempt} ${
            a.responseStatus !== null ? `HTTP ${a.responseStatus}` : a.errorKind
          } ${a.durationMs} ms`
        )
      }
    }
    print("")
    print(`received ${received.map((e) => `${e.type} ${e.id}`).join(", ")}`)
    return { deliveries, received }
  } finally {
    await platform.close()
    await Promise.all([close(alertsServer), close(tslaServer)])
    tls.dispose()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runDemo().then(
    ({ deliveries }) => {
      const delivered = deliveries.filter((d) => d.status === "delivered").length
      console.log(`\n${delivered} delivered, ${deliveries.length - delivered} not. Done.`)
      process.exit(delivered === deliveries.length ? 0 : 1)
    },
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
}
