/**
 * Forwarding operational events to your customers as webhooks of your own.
 *
 * Hookwire tells the host when a customer's endpoint gets into trouble: `endpoint.disabled` (410 Gone, or failing
 * for days), `endpoint.circuit_opened` / `endpoint.circuit_closed`, `endpoint.recovered`, `delivery.failed`. A host
 * usually wants the customer to hear about it — by email, or, as here, as a webhook to another endpoint the customer
 * registered for operational notices. Those notices are ordinary event types of the host's catalog
 * (`ops.endpoint_disabled`, …), published from `onEvent` to the same tenant, filtered so that they only go to the
 * customer's "ops" endpoint — never to the endpoint that is failing.
 */
import { Catalog, createHookwire, RetryPolicy } from "@hookwire/core"
import type { Hookwire, OperationalEvents } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { verify } from "@hookwire/verify"
import { Schema } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"

const Notice = Schema.Struct({
  endpointId: Schema.String,
  reason: Schema.optional(Schema.String),
  deliveryId: Schema.optional(Schema.String),
  at: Schema.String
})

export const catalog = Catalog.make({
  "order.created": { description: "An order was placed", schema: Schema.Struct({ orderId: Schema.String }) },
  "ops.endpoint_disabled": { description: "One of your endpoints was disabled", schema: Notice },
  "ops.circuit_opened": { description: "Deliveries to one of your endpoints are paused", schema: Notice },
  "ops.circuit_closed": { description: "Deliveries to one of your endpoints resumed", schema: Notice },
  "ops.delivery_failed": { description: "A delivery failed for good", schema: Notice }
})

type Events = typeof catalog extends Catalog.Catalog<infer E> ? E : never

/** The host's mapping from operational events to its own notice types. */
export const noticeOf = (event: OperationalEvents.OperationalEvent) => {
  const at = event.at.toISOString()
  switch (event.type) {
    case "endpoint.disabled":
      return {
        type: "ops.endpoint_disabled" as const,
        data: { endpointId: event.endpointId, reason: event.reason, at }
      }
    case "endpoint.circuit_opened":
      return { type: "ops.circuit_opened" as const, data: { endpointId: event.endpointId, reason: event.reason, at } }
    case "endpoint.circuit_closed":
      return { type: "ops.circuit_closed" as const, data: { endpointId: event.endpointId, at } }
    case "delivery.failed":
      return {
        type: "ops.delivery_failed" as const,
        data: { endpointId: event.endpointId, deliveryId: event.deliveryId, reason: event.reason, at }
      }
    default:
      return undefined
  }
}

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

/** Runs the scenario: the customer's order endpoint answers 410 Gone; the customer hears about it on its ops endpoint. */
export const run = async (print: (line: string) => void = console.log) => {
  let orderSecret = ""
  let opsSecret = ""
  const orders = await startReceiver(() => 410, () => orderSecret)
  const ops = await startReceiver(() => 204, () => opsSecret)
  let hookwire: Hookwire.Hookwire<Events> | undefined
  const forwarded: Array<Promise<unknown>> = []
  hookwire = createHookwire({
    adapter: memory(),
    catalog,
    allowHttp: true,
    http: { allowPrivateNetworks: true },
    retryPolicy: RetryPolicy.none,
    logger: false,
    onEvent: (event) => {
      const notice = noticeOf(event)
      if (notice === undefined || hookwire === undefined) return
      // Never notify about the notices themselves (a failing ops endpoint must not cause a loop).
      if (event.type === "delivery.failed" && event.endpointId === opsEndpointId) return
      print(`operational event ${event.type} → publishing ${notice.type} to tenant ${event.tenant}`)
      forwarded.push(hookwire.publish({ tenant: event.tenant, type: notice.type, data: notice.data }))
    }
  })
  let opsEndpointId = ""
  try {
    const tenant = "acme"
    const orderEndpoint = await hookwire.endpoints.create({ tenant, url: orders.url, eventTypes: ["order.*"] })
    orderSecret = orderEndpoint.secret
    const opsEndpoint = await hookwire.endpoints.create({ tenant, url: ops.url, eventTypes: ["ops.*"] })
    opsSecret = opsEndpoint.secret
    opsEndpointId = opsEndpoint.id
    await hookwire.start()
    await hookwire.publish({ tenant, type: "order.created", data: { orderId: "ord_1" } })
    const deadline = Date.now() + 10_000
    while (ops.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await Promise.all(forwarded)
    for (const notice of ops.received) print(`ops endpoint received ${notice.type}: ${JSON.stringify(notice.data)}`)
    const disabled = await hookwire.endpoints.get({ tenant, id: orderEndpoint.id })
    print(`order endpoint disabled=${disabled.disabled} (${disabled.disabledReason})`)
    return { received: ops.received, orderEndpoint: disabled }
  } finally {
    await hookwire.close()
    await orders.close()
    await ops.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run().then(() => process.exit(0), (error) => {
    console.error(error)
    process.exit(1)
  })
}
