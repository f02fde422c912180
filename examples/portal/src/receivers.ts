/**
 * The demo's customers' receivers, on 127.0.0.1: a healthy one (204), a flaky one (every third call answers 500) and
 * a down one (always 500 with a short JSON body), so the portal has every kind of history to show.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"

export type Behaviour = "healthy" | "flaky" | "down"

export interface Receiver {
  readonly behaviour: Behaviour
  readonly url: string
  /** Requests answered so far. */
  readonly calls: () => number
  readonly close: () => Promise<void>
}

export const startReceiver = async (behaviour: Behaviour): Promise<Receiver> => {
  let calls = 0
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      calls++
      if (behaviour === "down" || (behaviour === "flaky" && calls % 3 === 0)) {
        res.writeHead(500, { "content-type": "application/json" })
        res.end(JSON.stringify({ error: behaviour === "down" ? "database unavailable" : "temporary glitch" }))
        return
      }
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    behaviour,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
