/**
 * `pnpm demo`: Hookwire end to end on the in-memory adapter, with no services to install.
 *
 * Three receivers run locally with @hookwire/express: one that accepts everything, one that fails its first two
 * calls, and one that always fails. A tenant registers an endpoint for each, a few events are published, and the
 * delivery log is printed as attempts and retries happen, on a short demo retry policy (0.5 s, 1 s, 2 s). It ends
 * by itself in a few seconds.
 */
import { Catalog, createHookwire, RetryPolicy } from "@hookwire/core"
import type { Webhooks } from "@hookwire/core"
import { webhookMiddleware } from "@hookwire/express"
import { memory } from "@hookwire/memory"
import { Schema } from "effect"
import express from "express"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"

const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid in full",
    schema: Schema.Struct({ invoiceId: Schema.String, amount: Schema.Number, currency: Schema.String })
  },
  "customer.created": {
    description: "A new customer signed up",
    schema: Schema.Struct({ customerId: Schema.String, email: Schema.String })
  }
})

type Behaviour = "ok" | "flaky" | "down"

interface Receiver {
  readonly url: string
  /** Mounts the webhook route, verifying with the endpoint's secret (known once the endpoint exists). */
  readonly mount: (secret: string) => void
  readonly close: () => Promise<void>
}

const startReceiver = async (behaviour: Behaviour): Promise<Receiver> => {
  const app = express()
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  let calls = 0
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    mount: (secret) => {
      app.post("/webhooks", webhookMiddleware({ secret }), (_req, res) => {
        calls++
        if (behaviour === "down" || (behaviour === "flaky" && calls <= 2)) {
          // 500, not 503: 429/502/503/504 mean "slow down" and wait at least 60 s, longer than this demo runs.
          res.status(500).json({ error: "something broke" })
          return
        }
        // req.webhook holds the verified event: { id, timestamp, type, payload, raw }
        res.status(204).end()
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length))

/** Runs the demo; returns every delivery's final state. `print` receives each line of output. */
export const runDemo = async (
  print: (line: string) => void = console.log
): Promise<ReadonlyArray<Webhooks.Delivery>> => {
  const receivers = {
    ok: await startReceiver("ok"),
    flaky: await startReceiver("flaky"),
    down: await startReceiver("down")
  }
  const notes = new Map<string, number>()
  const failures = new Map<string, string>()
  const hookwire = createHookwire({
    adapter: memory(),
    catalog,
    // The demo receivers are plain http on loopback: both must be allowed explicitly.
    allowHttp: true,
    http: { allowPrivateNetworks: true },
    retryPolicy: RetryPolicy.fixed(["500 millis", "1 second", "2 seconds"]),
    dispatcher: { concurrency: 16 },
    // The engine's log lines (the warnings about plain http and the missing master key) are gathered and printed
    // once, as notes, instead of interleaving with the table. Lines about one delivery (a delivery failed for good,
    // annotated with its deliveryId) are left out: the table already shows them, as that delivery's "failed for good".
    logger: (entry) => {
      if (entry.annotations.deliveryId === undefined) notes.set(entry.message, (notes.get(entry.message) ?? 0) + 1)
    },
    // Printed after the delivery's last attempt row (see `flushFailures`), not when the event arrives.
    onEvent: (event) => {
      if (event.type === "delivery.failed") failures.set(event.deliveryId, event.reason)
    }
  })
  const tenant = "acme"
  const names = new Map<string, string>()
  try {
    for (const [name, receiver] of Object.entries(receivers)) {
      const endpoint = await hookwire.endpoints.create({ tenant, url: receiver.url, name: `${name} receiver` })
      receiver.mount(endpoint.secret)
      names.set(endpoint.id, name)
      print(
        `endpoint ${endpoint.id}  ${pad(name, 6)} ${receiver.url}  (secret shown once: ${
          endpoint.secret.slice(0, 10)
        }…)`
      )
    }
    for (const [note, times] of notes) print(`note: ${note}${times > 1 ? ` (×${times})` : ""}`)
    notes.clear()
    // The clock of the table starts before the first attempt can.
    const started = Date.now()
    await hookwire.start()
    const published = [
      await hookwire.publish({
        tenant,
        type: "invoice.paid",
        data: { invoiceId: "in_1001", amount: 4200, currency: "EUR" }
      }),
      await hookwire.publish({
        tenant,
        type: "customer.created",
        data: { customerId: "cus_42", email: "ada@example.com" }
      })
    ]
    print(`published ${published.map((p) => `${p.message.id} → ${p.deliveries} deliveries`).join(", ")}`)
    print("")
    print(`${pad("time", 8)} ${pad("endpoint", 8)} ${pad("attempt", 8)} ${pad("result", 14)} duration`)

    // Attempt rows printed so far, by delivery: a delivery's "failed for good" line waits for its last row.
    const printed = new Map<string, number>()
    const flushFailures = async () => {
      for (const [deliveryId, reason] of failures) {
        const delivery = await hookwire.deliveries.get({ tenant, id: deliveryId })
        if ((printed.get(deliveryId) ?? 0) < delivery.attempts) continue
        print(`  ! ${deliveryId} failed for good: ${reason}`)
        failures.delete(deliveryId)
      }
    }
    let cursor: string | undefined
    const deadline = started + 20_000
    let deliveries: ReadonlyArray<Webhooks.Delivery> = []
    while (Date.now() < deadline) {
      for (;;) {
        const page = await hookwire.deliveries.attempts({ tenant, cursor, limit: 100 })
        for (const a of page.items) {
          const result = a.responseStatus !== null ? `HTTP ${a.responseStatus}` : `${a.errorKind}`
          print(
            `${pad((Math.max(0, a.startedAt.getTime() - started) / 1000).toFixed(1) + "s", 8)} ${
              pad(names.get(a.endpointId) ?? "?", 8)
            } ` +
              `${pad(`#${a.attempt}`, 8)} ${pad(result, 14)} ${a.durationMs} ms`
          )
          cursor = a.id
          printed.set(a.deliveryId, (printed.get(a.deliveryId) ?? 0) + 1)
        }
        if (page.nextCursor === null) break
      }
      await flushFailures()
      deliveries = (await hookwire.deliveries.list({ tenant, limit: 100 })).items
      if (deliveries.length > 0 && deliveries.every((d) => d.status !== "pending")) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await flushFailures()
    for (const [note, times] of notes) print(`note: ${note}${times > 1 ? ` (×${times})` : ""}`)
    print("")
    print("delivery log")
    for (const d of deliveries) {
      print(
        `  ${d.id}  ${pad(names.get(d.endpointId) ?? "?", 6)} ${pad(d.status, 10)} attempts=${d.attempts} last=${
          d.lastResponseStatus ?? d.lastError ?? "-"
        }`
      )
    }
    return deliveries
  } finally {
    await hookwire.close()
    await Promise.all(Object.values(receivers).map((r) => r.close()))
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runDemo().then(
    (deliveries) => {
      const count = (status: string) => deliveries.filter((d) => d.status === status).length
      console.log(`\n${count("delivered")} delivered, ${count("failed")} failed, ${count("pending")} pending. Done.`)
      process.exit(0)
    },
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
}
