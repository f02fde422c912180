/**
 * The customer portal with live traffic: a host serving Hookwire's management API and portal on localhost for three
 * tenants, each with endpoints at local receivers that are healthy, flaky (every third call fails) or down, and a
 * publisher sending a few events a second. It prints a portal link per tenant (a manage link and a read-only one)
 * and runs until stopped (Ctrl-C).
 *
 *   pnpm --filter ./examples/portal start      # PORT=3000 by default
 */
import { AccessToken, managementApi } from "@hookwire/api"
import { Catalog, createHookwire, RetryPolicy } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { Schema } from "effect"
import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { type Behaviour, type Receiver, startReceiver } from "./receivers.js"
import { EVENTS, startTraffic } from "./traffic.js"

const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid in full.",
    schema: Schema.Struct({ invoiceId: Schema.String, amount: Schema.Number, currency: Schema.String }),
    examples: [{ invoiceId: "in_1001", amount: 4200, currency: "EUR" }]
  },
  "invoice.voided": {
    description: "An invoice was voided before it was paid.",
    schema: Schema.Struct({ invoiceId: Schema.String, reason: Schema.String }),
    examples: [{ invoiceId: "in_1002", reason: "duplicate" }]
  },
  "customer.created": {
    description: "A new customer signed up.",
    schema: Schema.Struct({ customerId: Schema.String, email: Schema.String }),
    examples: [{ customerId: "cus_42", email: "ada@example.com" }]
  },
  "subscription.renewed": {
    description: "A subscription was renewed for another period.",
    schema: Schema.Struct({ subscriptionId: Schema.String, plan: Schema.String }),
    examples: [{ subscriptionId: "sub_7", plan: "pro" }]
  }
})

/** Who has which endpoints: each tenant sees only its own. */
const TENANTS: ReadonlyArray<
  {
    tenant: string
    endpoints: ReadonlyArray<{ name: string; behaviour: Behaviour; eventTypes?: ReadonlyArray<string> }>
  }
> = [
  {
    tenant: "acme",
    endpoints: [
      { name: "Billing service", behaviour: "healthy", eventTypes: ["invoice.*"] },
      { name: "CRM sync", behaviour: "flaky", eventTypes: ["customer.created", "subscription.renewed"] },
      { name: "Legacy ERP", behaviour: "down" }
    ]
  },
  {
    tenant: "globex",
    endpoints: [{ name: "Data warehouse", behaviour: "healthy" }, { name: "Slack relay", behaviour: "flaky" }]
  },
  { tenant: "initech", endpoints: [{ name: "Old webhook", behaviour: "down", eventTypes: ["invoice.paid"] }] }
]

export interface PortalDemo {
  readonly origin: string
  /** Per tenant: the portal links a host would hand its customer. */
  readonly links: ReadonlyArray<{ readonly tenant: string; readonly manage: string; readonly read: string }>
  readonly published: () => number
  readonly close: () => Promise<void>
}

export const startPortalDemo = async (
  options: { readonly port?: number; readonly trafficIntervalMs?: number } = {}
): Promise<PortalDemo> => {
  const hookwire = createHookwire({
    adapter: memory(),
    catalog,
    // The demo's receivers are plain http on loopback: both must be allowed explicitly.
    allowHttp: true,
    http: { allowPrivateNetworks: true },
    // Short enough to watch a retry happen; a delivery to the down receiver fails for good after ~7 s.
    retryPolicy: RetryPolicy.fixed(["1 second", "2 seconds", "4 seconds"])
  })
  // A fresh signing key per run: the links of a previous run stop working.
  const tokens = AccessToken.make({ keys: randomBytes(32).toString("base64url") })
  const api = managementApi(hookwire, { tokens, mountPath: "/webhooks", portal: true })
  const receivers: Array<Receiver> = []
  const server = createServer(api.node)
  try {
    for (const { tenant, endpoints } of TENANTS) {
      for (const e of endpoints) {
        const receiver = await startReceiver(e.behaviour)
        receivers.push(receiver)
        await hookwire.endpoints.create({
          tenant,
          url: receiver.url,
          name: e.name,
          ...(e.eventTypes === undefined ? {} : { eventTypes: e.eventTypes })
        })
      }
    }
    await hookwire.start()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(options.port ?? 3000, "127.0.0.1", resolve)
    })
  } catch (error) {
    await Promise.all(receivers.map((r) => r.close()))
    await hookwire.close()
    throw error
  }
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const link = (tenant: string, scope: "read" | "manage") =>
    `${origin}/webhooks/portal/#token=${tokens.create({ tenant, scope, ttl: "12 hours" })}`
  const traffic = startTraffic(
    // The traffic's types and data are this catalog's (traffic.ts): the union of them is what publish checks at run time.
    { publish: (input) => hookwire.publish(input as Parameters<typeof hookwire.publish>[0]) },
    TENANTS.map((t) => t.tenant),
    options.trafficIntervalMs ?? 1500,
    (error) => console.error("publish failed:", error)
  )
  return {
    origin,
    links: TENANTS.map(({ tenant }) => ({ tenant, manage: link(tenant, "manage"), read: link(tenant, "read") })),
    published: traffic.published,
    close: async () => {
      traffic.stop()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await api.dispose()
      await hookwire.close()
      await Promise.all(receivers.map((r) => r.close()))
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000)
  startPortalDemo({ port }).then((demo) => {
    console.log(`Hookwire portal demo on ${demo.origin} — events: ${EVENTS.map((e) => e.type).join(", ")}\n`)
    for (const { tenant, manage, read } of demo.links) {
      console.log(`${tenant}\n  manage:    ${manage}\n  read-only: ${read}\n`)
    }
    console.log("Publishing a few events a second. Ctrl-C to stop.")
    const stop = () => {
      console.log("\nstopping…")
      demo.close().then(() => process.exit(0), () => process.exit(1))
    }
    process.once("SIGINT", stop)
    process.once("SIGTERM", stop)
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
}
