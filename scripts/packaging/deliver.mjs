// What every smoke program checks, given a way to create Hookwire: invalid data is refused with a typed error, and a
// published message reaches a local Express receiver whose middleware verifies its signature.
import { webhookMiddleware } from "@hookwire/express"
import express from "express"
import pg from "pg"

const fail = (message) => {
  throw new Error(message)
}

const waitFor = async (what, check, ms = 30_000) => {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) fail(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** `create(options)` makes a Hookwire with the receiver-friendly options given (loopback http allowed, quiet). */
export const deliverOnce = async (label, create) => {
  const received = []
  const app = express()
  const server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s))
  })
  const url = `http://127.0.0.1:${server.address().port}/webhooks`
  const hookwire = create({ allowHttp: true, http: { allowPrivateNetworks: true }, logger: false })
  try {
    const tenant = "acme"
    const endpoint = await hookwire.endpoints.create({ tenant, url })
    if (!endpoint.secret.startsWith("whsec_")) fail(`${label}: the endpoint's secret is ${endpoint.secret}`)
    app.post("/webhooks", webhookMiddleware({ secret: endpoint.secret }), (req, res) => {
      received.push(req.webhook)
      res.sendStatus(204)
    })
    const invalid = await hookwire.publish({ tenant, type: "invoice.paid", data: { id: 1 } }).then(
      () => undefined,
      (error) => error
    )
    if (invalid?._tag !== "EventTypeError" || invalid.code !== "invalid_event_data") {
      fail(`${label}: invalid data was not refused with EventTypeError: ${invalid}`)
    }
    await hookwire.start()
    const data = { id: "in_1", amount: 4200 }
    const { message } = await hookwire.publish({ tenant, type: "invoice.paid", data })
    const [event] = await waitFor(`${label}: the receiver`, () => received.length > 0 && received)
    if (event.type !== "invoice.paid" || JSON.stringify(event.payload.data) !== JSON.stringify(data)) {
      fail(`${label}: the receiver got ${JSON.stringify(event.payload)}`)
    }
    await waitFor(`${label}: the delivery marked delivered`, async () => {
      const page = await hookwire.deliveries.list({ tenant, messageId: message.id })
      return page.items.length === 1 && page.items[0].status === "delivered"
    })
  } finally {
    await hookwire.close()
    await new Promise((resolve) => server.close(resolve))
  }
  console.log(`ok ${label}: invalid data refused; published, delivered and verified by the Express middleware`)
}

/** Runs `f(url, schema)` on a schema of its own, dropped afterwards. */
export const postgresSchema = async (f) => {
  const url = process.env.HOOKWIRE_TEST_DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres"
  const schema = `hw_pack_${process.pid}_${Date.now().toString(36)}`
  try {
    await f(url, schema)
  } finally {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`drop schema if exists ${schema} cascade`)
    await client.end()
  }
}
