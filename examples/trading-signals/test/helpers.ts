import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from "node:http"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { onTestFinished } from "vitest"
import { type Plan, TradingSignals, type TradingSignalsOptions } from "../src/TradingSignals.js"

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
  /** The status it was answered with; `undefined` while unanswered. */
  status: number | undefined
}

/** Serves `handler` over plain HTTP on 127.0.0.1, port 0, recording requests; closed when the test ends. */
export const serveHttp = async (handler: RequestListener) => {
  const requests: Array<RecordedRequest> = []
  const server = Http.createServer((req: IncomingMessage, res: ServerResponse) => {
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
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** Plans of the test accounts; anything else is on Free. */
export const plans: Record<string, Plan> = {
  acct_free: "free",
  acct_starter: "starter",
  acct_pro: "pro",
  acct_business: "business"
}

/** A `TradingSignals` for one test, closed when the test ends. */
export const makePlatform = (options: Partial<TradingSignalsOptions> = {}): TradingSignals => {
  const platform = new TradingSignals({
    planOf: (account) => plans[account] ?? "free",
    // The test receivers listen on loopback, which the SSRF guard refuses by default: allow exactly 127.0.0.1.
    http: { allowCidrs: ["127.0.0.1/32"] },
    dispatcher: { pollInterval: "50 millis" },
    ...options
  })
  onTestFinished(() => platform.close())
  return platform
}

/** POSTs raw bytes, as a forger or replayer would. */
export const post = (
  url: string,
  headers: Record<string, string>,
  body: string
): Promise<{ readonly status: number; readonly body: string }> =>
  new Promise((resolve, reject) => {
    const req = Http.request(url, { method: "POST", headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
      res.on("error", reject)
    })
    req.setTimeout(5_000, () => req.destroy(new Error("request timed out")))
    req.on("error", reject)
    req.end(body)
  })
