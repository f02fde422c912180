// The published packages as a JavaScript (ESM) user installs them: publish, deliver to a local receiver, verify with
// the Express middleware — on the memory adapter, then on Postgres. Exits non-zero on any failure.
import { Catalog, createHookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { postgres } from "@hookwire/postgres"
import { Schema } from "effect"
import { deliverOnce, postgresSchema } from "./deliver.mjs"

const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid",
    schema: Schema.Struct({ id: Schema.String, amount: Schema.Number })
  }
})

await deliverOnce("esm memory", (options) => createHookwire({ adapter: memory(), catalog, ...options }))
await postgresSchema(async (url, schema) =>
  deliverOnce("esm postgres", (options) => createHookwire({ adapter: postgres({ url, schema }), catalog, ...options }))
)

// @hookwire/brokers: an engine with RabbitMQ destinations accepts amqp:// endpoint URLs and refuses nats:// ones
// (destination kinds are opt-in per engine). No broker is dialled here; the brokers' own tests do that.
{
  const { BrokerTransport } = await import("@hookwire/brokers")
  const brokers = createHookwire({ adapter: memory(), catalog, logger: false, transport: BrokerTransport.layer({ amqp: true }) })
  try {
    const endpoint = await brokers.endpoints.create({ tenant: "t", url: "amqp://broker.example/?exchange=hooks" })
    if (!endpoint.url.startsWith("amqp://")) throw new Error(`unexpected endpoint url ${endpoint.url}`)
    const refused = await brokers.endpoints.create({ tenant: "t", url: "nats://broker.example/orders" }).catch((e) => e)
    if (refused?.code !== "invalid_url") throw new Error(`nats:// was not refused: ${String(refused)}`)
  } finally {
    await brokers.close()
  }
  console.log("esm brokers: amqp:// accepted, nats:// refused where not enabled")
}
