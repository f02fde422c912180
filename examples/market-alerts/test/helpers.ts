import type { Webhooks } from "@hookwire/core"
import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from "node:http"
import * as Https from "node:https"
import type { AddressInfo } from "node:net"
import { onTestFinished } from "vitest"
import { type LocalTls } from "../src/localTls.js"
import { MarketAlerts, type MarketAlertsOptions } from "../src/MarketAlerts.js"

/** Polls `check` until it returns a value (not `undefined`), failing after `timeoutMs`. */
export const waitFor = async <A>(
  what: string,
  check: () => A | undefined | Promise<A | undefined>,
  timeoutMs = 10_000
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export interface RecordedRequest {
  readonly headers: IncomingHttpHeaders
  /** The status it was answered with; `undefined` while unanswered (or never answered). */
  status: number | undefined
}

export interface Served {
  readonly url: string
  /** Every request, in arrival order, with the status it was answered with. */
  readonly requests: Array<RecordedRequest>
}

/**
 * Serves `handler` over HTTPS on 127.0.0.1, port 0, recording each request's headers and the status it got. Closed
 * (with its open connections) when the test ends.
 */
export const serveHttps = async (tls: LocalTls, handler: RequestListener): Promise<Served> => {
  const requests: Array<RecordedRequest> = []
  const server = Https.createServer({ key: tls.key, cert: tls.cert }, (req: IncomingMessage, res: ServerResponse) => {
    const recorded: RecordedRequest = { headers: req.headers, status: undefined }
    requests.push(recorded)
    res.on("finish", () => recorded.status = res.statusCode)
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** A `MarketAlerts` for one test: fast retries, the test CA trusted, 127.0.0.1 reachable; closed when the test ends. */
export const makePlatform = (tls: LocalTls, options: MarketAlertsOptions = {}): MarketAlerts => {
  const platform = new MarketAlerts({
    retryDelays: ["20 millis", "20 millis", "20 millis"],
    retryJitter: 0,
    // The test receivers listen on loopback, which the SSRF guard refuses by default: allow exactly 127.0.0.1.
    // The certificate is verified as in production, against the test CA given here.
    http: { ca: tls.ca, allowCidrs: ["127.0.0.1/32"] },
    dispatcher: { pollInterval: "50 millis" },
    ...options
  })
  onTestFinished(() => platform.close())
  return platform
}

/** POSTs to the receiver as an attacker or a replayer would, trusting the test CA. */
export const post = (
  url: string,
  headers: Record<string, string>,
  body: string,
  ca: string
): Promise<{ readonly status: number; readonly body: string }> =>
  new Promise((resolve, reject) => {
    const req = Https.request(url, { method: "POST", headers, ca }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
      res.on("error", reject)
    })
    req.setTimeout(5_000, () => req.destroy(new Error("request timed out")))
    req.on("error", reject)
    req.end(body)
  })

/** Every delivery of the account, once none of them is pending. */
export const settled = (platform: MarketAlerts, account: string, count: number, timeoutMs?: number) =>
  waitFor(`${count} final deliveries`, async () => {
    const { items } = await platform.hookwire.deliveries.list({ tenant: account, limit: 100 })
    return items.length === count && items.every((d) => d.status !== "pending") ? items : undefined
  }, timeoutMs)

/** Every attempt of a delivery, oldest first. */
export const attemptsOf = async (
  platform: MarketAlerts,
  account: string,
  delivery: Webhooks.Delivery
): Promise<ReadonlyArray<Webhooks.Attempt>> =>
  (await platform.hookwire.deliveries.attempts({ tenant: account, deliveryId: delivery.id, limit: 100 })).items

/** The signed headers of a recorded request, as a plain object to send again. */
export const signedHeaders = (request: RecordedRequest): Record<string, string> => ({
  "content-type": "application/json",
  "x-vq-signature": String(request.headers["x-vq-signature"]),
  "x-vq-timestamp": String(request.headers["x-vq-timestamp"]),
  "x-vq-webhook-id": String(request.headers["x-vq-webhook-id"])
})
