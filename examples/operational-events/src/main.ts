/**
 * Telling your customers about their endpoints' trouble, durably, as webhooks.
 *
 * Hookwire reports operational events — an endpoint disabled (410 Gone, or failing for days), failing for a while
 * (an early warning), its circuit opened or closed, recovered, created / updated / deleted, a delivery failed for
 * good — as messages of your own system tenant (`operationalWebhooks: { tenant: "ops" }`): persisted, signed,
 * retried and logged like any message, and re-published from storage after a crash (idempotently), so none is lost.
 * You register endpoints for that tenant like any other. Here one per customer that wants notices, with a payload
 * filter on the customer's tenant, so acme's notifier hears about acme's endpoints only.
 */
import { Catalog, createHookwire, OperationalWebhooks, RetryPolicy } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { verify } from "@hookwire/verify"
import { Schema } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"

export const catalog = Catalog.make({
  "order.created": { description: "An order was placed", schema: Schema.Struct({ orderId: Schema.String }) },
  // The notices' types (hookwire.endpoint.disabled, hookwire.delivery.failed, …), published by the engine itself.
  ...OperationalWebhooks.eventTypes
})

interface Receiver {
  readonly url: string
  readonly received: Array<{ type: string; data: Record<string, unknown> }>
  readonly close: () => Promise<void>
}

/** A local receiver; `status` decides its answer; verified bodies are kept. */
const startReceiver = async (status: () => number, secret: () => string): Promise<Receiver> => {
  const received: Receiver["received"] = []
  const server: Server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const body = Buffer.concat(chunks)
      try {
        verify(body, req.headers, { secret: secret() })
        received.push(JSON.parse(body.toString("utf8")))
        res.statusCode = status()
      } catch {
        res.statusCode = 400
      }
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}

/** Runs the scenario: the customer's order endpoint answers 410 Gone; the customer's notifier hears about it. */
export const run = async (print: (line: string) => void = console.log) => {
  let orderSecret = ""
  let opsSecret = ""
  const orders = await startReceiver(() => 410, () => orderSecret)
  const notifier = await startReceiver(() => 204, () => opsSecret)
  const hookwire = createHookwire({
    adapter: memory(),
    catalog,
    allowHttp: true,
    http: { allowPrivateNetworks: true },
    retryPolicy: RetryPolicy.none,
    logger: false,
    operationalWebhooks: { tenant: "ops" }
  })
  try {
    const tenant = "acme"
    const orderEndpoint = await hookwire.endpoints.create({ tenant, url: orders.url, eventTypes: ["order.*"] })
    orderSecret = orderEndpoint.secret
    // The host's own endpoint, in its system tenant: acme's notices only (a payload filter on the notice's tenant).
    const opsEndpoint = await hookwire.endpoints.create({
      tenant: "ops",
      url: notifier.url,
      eventTypes: ["hookwire.endpoint.disabled", "hookwire.delivery.failed"],
      filter: { "data.tenant": tenant }
    })
    opsSecret = opsEndpoint.secret
    await hookwire.start()
    await hookwire.publish({ tenant, type: "order.created", data: { orderId: "ord_1" } })
    const deadline = Date.now() + 10_000
    while (notifier.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    for (const notice of notifier.received) print(`notifier received ${notice.type}: ${JSON.stringify(notice.data)}`)
    const disabled = await hookwire.endpoints.get({ tenant, id: orderEndpoint.id })
    print(`order endpoint disabled=${disabled.disabled} (${disabled.disabledReason})`)
    return { received: notifier.received, orderEndpoint: disabled }
  } finally {
    await hookwire.close()
    await orders.close()
    await notifier.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run().then(() => process.exit(0), (error) => {
    console.error(error)
    process.exit(1)
  })
}
