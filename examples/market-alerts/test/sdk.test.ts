/**
 * The docs page's TypeScript snippet, run as written against the management API over real HTTP: VecTrade mounts
 * `@hookwire/api` over its engine, its SDK is the typed client, and a customer creates, lists and deletes webhooks.
 */
import { servers } from "@hookwire/testing/http"
import { afterAll, beforeAll, expect, it } from "vitest"
import { type VecTradeApi, vectradeApi } from "../src/api.js"
import { MarketAlerts } from "../src/MarketAlerts.js"
import { VecTrade } from "../src/sdk.js"

const open = servers()
let platform: MarketAlerts
let vectrade: VecTradeApi
let baseUrl: string

beforeAll(async () => {
  platform = new MarketAlerts()
  vectrade = vectradeApi(platform, { signingKey: "vectrade-signing-key-for-tests-only!!" })
  baseUrl = `${await open.listen(vectrade.api.node)}/v1/webhooks`
})
afterAll(async () => {
  await open.closeAll()
  await vectrade?.api.dispose()
  await platform?.close()
})

it("client.webhooks.create({ url, events, symbols }), list() and delete(id), as the docs page reads", async () => {
  const client = new VecTrade({ baseUrl, apiKey: vectrade.apiKey("acct_42") })
  try {
    const webhook = await client.webhooks.create({
      url: "https://your-app.com/api/webhooks/vectrade",
      events: ["price.alert", "news.published"],
      symbols: ["AAPL", "GOOGL", "MSFT"]
    })

    expect(webhook.id).toMatch(/^ep_/)
    expect(webhook.secret).toMatch(/^whsec_/) // Only shown once!
    expect(webhook).toMatchObject({ events: ["price.alert", "news.published"], symbols: ["AAPL", "GOOGL", "MSFT"] })

    const listed = await client.webhooks.list()
    expect(listed.map((w) => w.id)).toStrictEqual([webhook.id])
    expect(JSON.stringify(listed)).not.toContain(webhook.secret)
    // The engine behind the API holds the same endpoint, for the same account.
    const endpoint = await platform.hookwire.endpoints.get({ tenant: "acct_42", id: webhook.id })
    expect(endpoint.channels).toStrictEqual(["AAPL", "GOOGL", "MSFT"])

    // Another account sees nothing and cannot delete it.
    const other = new VecTrade({ baseUrl, apiKey: vectrade.apiKey("acct_7") })
    expect(await other.webhooks.list()).toStrictEqual([])
    await expect(other.webhooks.delete(webhook.id)).rejects.toMatchObject({ status: 404 })
    await other.close()

    await client.webhooks.delete(webhook.id)
    expect(await client.webhooks.list()).toStrictEqual([])
  } finally {
    await client.close()
  }
})

it("the API refuses what the docs page refuses: http URLs, unknown events, read-only keys", async () => {
  const client = new VecTrade({ baseUrl, apiKey: vectrade.apiKey("acct_42") })
  const readOnly = new VecTrade({ baseUrl, apiKey: vectrade.apiKey("acct_42", "read") })
  try {
    await expect(client.webhooks.create({ url: "http://your-app.com/hooks" })).rejects.toMatchObject({
      status: 400,
      code: "insecure_url"
    })
    await expect(client.webhooks.create({ url: "https://your-app.com/hooks", events: ["price.alrt" as "price.alert"] }))
      .rejects.toMatchObject({ status: 400, code: "invalid_event_filter" })
    await expect(readOnly.webhooks.create({ url: "https://your-app.com/hooks" })).rejects.toMatchObject({ status: 403 })
    expect(await readOnly.webhooks.list()).toStrictEqual([])
  } finally {
    await client.close()
    await readOnly.close()
  }
})
