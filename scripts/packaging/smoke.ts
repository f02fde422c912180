// The published packages as a strict TypeScript user compiles them (skipLibCheck: false, so every declaration file
// they ship is checked too): the catalog types publish, and a message reaches a typed Express receiver.
import { Catalog, createHookwire } from "@hookwire/core"
import type { Errors } from "@hookwire/core"
import { webhookMiddleware } from "@hookwire/express"
import { memory } from "@hookwire/memory"
import { postgres } from "@hookwire/postgres"
import { Schema } from "effect"
import express from "express"
import type { AddressInfo } from "node:net"

const catalog = Catalog.make({
  "invoice.paid": Schema.Struct({ id: Schema.String, amount: Schema.Number }),
  "customer.created": { description: "A customer signed up", schema: Schema.Struct({ email: Schema.String }) }
})

const waitFor = async <A>(what: string, check: () => Promise<A | false> | A | false): Promise<A> => {
  const deadline = Date.now() + 30_000
  for (;;) {
    const value = await check()
    if (value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const deliverOnce = async (label: string, adapter: ReturnType<typeof memory> | ReturnType<typeof postgres>) => {
  const received: Array<unknown> = []
  const app = express()
  const server = app.listen(0, "127.0.0.1")
  await new Promise((resolve) => server.once("listening", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`
  const hookwire = createHookwire({ adapter, catalog, allowHttp: true, http: { allowPrivateNetworks: true } })
  try {
    const endpoint = await hookwire.endpoints.create({ tenant: "acme", url, eventTypes: ["invoice.*"] })
    app.post("/webhooks", webhookMiddleware({ secret: endpoint.secret }), (req, res) => {
      received.push(req.webhook?.payload)
      res.sendStatus(204)
    })
    // @ts-expect-error: the catalog types the data of each event type
    const wrong = hookwire.publish({ tenant: "acme", type: "invoice.paid", data: { id: 1, amount: 1 } })
    const error = await wrong.then(() => undefined, (e: Errors.EventTypeError) => e)
    if (error?.code !== "invalid_event_data") throw new Error(`${label}: invalid data was accepted`)
    await hookwire.start()
    const result = await hookwire.publish({ tenant: "acme", type: "invoice.paid", data: { id: "in_1", amount: 42 } })
    const payload = await waitFor(`${label}: the receiver`, () => received[0] ?? false)
    if (JSON.stringify((payload as { data: unknown }).data) !== "{\"id\":\"in_1\",\"amount\":42}") {
      throw new Error(`${label}: the receiver got ${JSON.stringify(payload)}`)
    }
    await waitFor(`${label}: delivered`, async () => {
      const page = await hookwire.deliveries.list({ tenant: "acme", messageId: result.message.id })
      return page.items[0]?.status === "delivered"
    })
  } finally {
    await hookwire.close()
    await new Promise((resolve) => server.close(resolve))
  }
  console.log(`ok ${label}: compiled strictly; published, delivered and verified`)
}

await deliverOnce("typescript memory", memory())
const databaseUrl = process.env.HOOKWIRE_TEST_DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres"
const schema = `hw_pack_ts_${process.pid}`
await deliverOnce("typescript postgres", postgres({ url: databaseUrl, schema }))
const pg = await import("pg")
const client = new pg.default.Client({ connectionString: databaseUrl })
await client.connect()
await client.query(`drop schema if exists ${schema} cascade`)
await client.end()
