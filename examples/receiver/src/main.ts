/**
 * Receiver demo: an Express app verifies signed webhooks with `@hookwire/express`, and a sender built on
 * `@hookwire/verify`'s `sign` posts to it over real HTTP — one genuine event, then a tampered body, a replay of the
 * genuine event and a stale one — to show what gets through and what is turned away. Run it with `pnpm start`; it
 * prints a summary, closes its server and exits 0 when every request got the expected answer.
 */
import { webhookMiddleware } from "@hookwire/express"
import type { WebhookEvent } from "@hookwire/verify"
import { generateSecret, MemoryDedupStore, sign } from "@hookwire/verify"
import express from "express"
import { once } from "node:events"
import type { AddressInfo } from "node:net"
import { pathToFileURL } from "node:url"

/** One request the sender made and what the receiver answered. */
export interface Attempt {
  readonly label: string
  readonly expected: number
  readonly status: number
  readonly body: unknown
  readonly ok: boolean
}

/** Everything the demo observed; `ok` is true when every attempt got its expected status. */
export interface DemoResult {
  readonly ok: boolean
  readonly attempts: ReadonlyArray<Attempt>
  readonly delivered: ReadonlyArray<WebhookEvent>
}

const EVENT = { type: "order.created", data: { orderId: "ord_1042", total: 4200, currency: "EUR" } }

// Rejections print their code, then the reason the receiver gave; anything else prints as JSON.
const describe = (answer: unknown): string => {
  const { error, message } = (answer ?? {}) as { readonly error?: unknown; readonly message?: unknown }
  return typeof error === "string" ? `${error}\n       ${String(message)}` : JSON.stringify(answer)
}

/** Runs the demo end to end and resolves once the server is closed. `log` receives the human-readable lines. */
export const main = async (log: (line: string) => void = console.log): Promise<DemoResult> => {
  const secret = generateSecret()
  const delivered: Array<WebhookEvent> = []

  const app = express()
  app.post("/webhooks", webhookMiddleware({ secret, dedup: new MemoryDedupStore() }), (req, res) => {
    delivered.push(req.webhook!)
    res.status(202).json({ received: req.webhook!.id })
  })

  const server = app.listen(0, "127.0.0.1")
  await once(server, "listening")
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`
  log(`receiver listening on ${url}`)

  const attempts: Array<Attempt> = []
  const post = async (label: string, expected: number, body: string, headers: Record<string, string>) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body
    })
    const answer: unknown = await response.json()
    const attempt = { label, expected, status: response.status, body: answer, ok: response.status === expected }
    attempts.push(attempt)
    log(`${attempt.ok ? "ok  " : "FAIL"} ${label.padEnd(28)} → ${response.status} ${describe(answer)}`)
  }

  try {
    const body = JSON.stringify(EVENT)
    const headers = sign(body, { secret, id: "msg_demo_1" })
    await post("genuine event", 202, body, headers)
    await post("tampered body (total 1)", 400, body.replace("4200", "1"), headers)
    await post("replay of the genuine event", 200, body, headers)
    const stale = sign(body, { secret, id: "msg_demo_2", timestamp: Math.floor(Date.now() / 1000) - 3600 })
    await post("signed an hour ago", 400, body, stale)
  } finally {
    server.closeAllConnections()
    server.close()
    await once(server, "close")
  }

  const ok = attempts.every((attempt) => attempt.ok) && delivered.length === 1
  const event = delivered[0]
  if (event !== undefined) {
    log(`handler saw 1 event: id=${event.id} type=${event.type} payload=${JSON.stringify(event.payload)}`)
  }
  log(ok ? "summary: 1 delivered, 3 turned away as expected" : "summary: something did not go as expected")
  return { ok, attempts, delivered }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (result) => {
      process.exitCode = result.ok ? 0 : 1
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
