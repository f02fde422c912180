/**
 * `pnpm --filter ./examples/trading-signals start`: APIndicators' trading-signal webhooks end to end, in one process.
 *
 * An account on the Starter plan registers three webhooks on this machine (plain http, so Hookwire logs a warning
 * for each): a Telegram bot that accepts everything, a Discord relay that answers 500, and a spreadsheet export that
 * is not running. A fourth webhook is refused by the plan limit. Four events are published; the delivery log is
 * printed while they are pending and again once every delivery is final — delivered or failed, with the response
 * code and body, and no retries.
 */
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { createWebhookServer, type SignalEvent } from "./customer-receiver.js"
import { type DeliveryLogEntry, type Plan, TradingSignals } from "./TradingSignals.js"

const listen = (server: Http.Server): Promise<string> =>
  new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })

const close = (server: Http.Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** A URL nobody listens on: a port that was just free. */
const deadUrl = async (): Promise<string> => {
  const server = Http.createServer()
  const url = await listen(server)
  await close(server)
  return `${url}/export`
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))

export const printLog = (
  print: (line: string) => void,
  log: ReadonlyArray<DeliveryLogEntry>,
  names: ReadonlyMap<string, string>
) => {
  print(`  ${pad("webhook", 15)} ${pad("event", 13)} ${pad("status", 10)} ${pad("code", 5)} response`)
  for (const e of log) {
    print(
      `  ${pad(names.get(e.webhook_id) ?? e.webhook_id, 15)} ${pad(e.event, 13)} ${pad(e.status, 10)} ` +
        `${pad(String(e.response_code ?? "-"), 5)} ${e.response_body ?? e.error ?? ""}`
    )
  }
}

export const runDemo = async (print: (line: string) => void = console.log) => {
  const secrets = { telegram: "", discord: "" }
  const received: Array<SignalEvent> = []
  const telegram = createWebhookServer({
    secret: () => secrets.telegram,
    onEvent: (event) => {
      received.push(event)
      return { ok: true, forwarded_to: "telegram" }
    }
  })
  const discord = createWebhookServer({
    secret: () => secrets.discord,
    onEvent: () => {
      throw new Error("discord rate limit reached")
    }
  })
  const telegramUrl = await listen(telegram)
  const discordUrl = await listen(discord)

  const plans: Record<string, Plan> = { acct_starter: "starter" }
  const platform = new TradingSignals({
    planOf: (account) => plans[account] ?? "free",
    // The receivers are on this machine: let the SSRF guard through to 127.0.0.1, and nothing else.
    http: { allowCidrs: ["127.0.0.1/32"] },
    dispatcher: { pollInterval: "100 millis" }
  })
  const account = platform.account("acct_starter")
  try {
    const created = [
      await account.webhooks.create({ name: "Telegram Bot", url: `${telegramUrl}/webhook`, events: ["signal.buy"] }),
      await account.webhooks.create({
        name: "Discord Alerts",
        url: `${discordUrl}/webhook`,
        events: ["signal.buy", "signal.sell"]
      }),
      await account.webhooks.create({ name: "Sheets export", url: await deadUrl(), events: ["backtest.run"] })
    ]
    secrets.telegram = created[0].secret
    secrets.discord = created[1].secret
    const names = new Map(created.map((w) => [w.id, w.name]))
    for (const w of created) print(`webhook ${w.id} "${w.name}" ${w.url} [${w.events.join(", ")}]`)
    print(`secret of "${created[0].name}": ${created[0].secret.slice(0, 10)}… (shown once)`)
    const refused = await account.webhooks.create({ name: "Fourth", url: `${telegramUrl}/4`, events: ["order.filled"] })
      .then(
        () => "created",
        (error: { readonly _tag?: string; readonly message?: string }) => `${error._tag}: ${error.message}`
      )
    print(`a fourth webhook on Starter: ${refused}`)

    await platform.publish(account.id, "signal.buy", {
      pair: "BTCUSDT",
      side: "buy",
      score: 0.87,
      market_type: "trending",
      interval: "1h"
    })
    await platform.publish(account.id, "signal.sell", {
      pair: "ETHUSDT",
      side: "sell",
      score: 0.74,
      market_type: "ranging",
      interval: "4h"
    })
    await platform.publish(account.id, "backtest.run", {
      backtest_id: "bt_301",
      strategy: "ml-trend-v3",
      pair: "BTCUSDT",
      interval: "1h",
      period_start: "2026-01-01T00:00:00Z",
      period_end: "2026-03-31T23:00:00Z",
      trades: 142,
      win_rate: 0.58,
      total_return_pct: 23.4,
      max_drawdown_pct: -8.1
    })
    // Nobody subscribed to order.filled: no delivery.
    await platform.publish(account.id, "order.filled", {
      position_id: "pos_77",
      pair: "BTCUSDT",
      side: "buy",
      exit_reason: "take_profit",
      entry_price: 64_250,
      exit_price: 66_180,
      pnl_pct: 3.0,
      opened_at: "2026-04-03T14:30:00Z",
      filled_at: "2026-04-03T18:05:00Z"
    })
    print("")
    print("delivery log (before the dispatcher runs)")
    printLog(print, await account.webhooks.deliveries(), names)

    await platform.start()
    const deadline = Date.now() + 10_000
    let log = await account.webhooks.deliveries()
    while (Date.now() < deadline && log.some((e) => e.status === "pending")) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      log = await account.webhooks.deliveries()
    }
    print("")
    print("delivery log")
    printLog(print, log, names)
    return { log, received }
  } finally {
    await platform.close()
    await Promise.all([close(telegram), close(discord)])
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runDemo().then(
    ({ log }) => {
      const pending = log.filter((e) => e.status === "pending").length
      console.log(`\n${log.length - pending} of ${log.length} deliveries final. Done.`)
      process.exit(pending === 0 ? 0 : 1)
    },
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
}
