/**
 * Two webhook receivers in one helper process, run by `slow-receiver.ts` (never imported): server 0 answers every
 * POST with 204 after `delay` ms (its first argument: a slow endpoint), server 1 at once (a healthy one). The healthy
 * server records when each request's whole body arrived (`performance.timeOrigin + performance.now()`, epoch ms), by
 * its `webhook-id` header (the message id).
 *
 * IPC: sends `{ type: "ready", ports: [slow, healthy] }`; answers `{ type: "reset" }` and `{ type: "stats" }` →
 * `{ type: "stats", counts: [slow, healthy], arrivals: Array<[id, ms]> }`. Exits when its parent goes away.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { serveAll } from "./helper-process.js"

const delayMs = Number(process.argv[2] ?? "150")
if (!(Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= 60_000)) {
  throw new Error(`slow-receiver-process: the delay must be 0..60000 ms, got ${process.argv[2]}`)
}

const now = (): number => performance.timeOrigin + performance.now()

let counts = [0, 0]
let arrivals = new Map<string, number>()

const handler = (index: 0 | 1) => (req: IncomingMessage, res: ServerResponse): void => {
  req.resume()
  req.on("end", () => {
    counts[index]++
    if (index === 1) {
      const id = req.headers["webhook-id"]
      if (typeof id === "string" && !arrivals.has(id)) arrivals.set(id, now())
      res.writeHead(204)
      res.end()
      return
    }
    setTimeout(() => {
      res.writeHead(204)
      res.end()
    }, delayMs)
  })
}

const servers: Array<Server> = [0, 1].map((i) => {
  const server = createServer({ keepAlive: true }, handler(i as 0 | 1))
  server.keepAliveTimeout = 30_000
  server.headersTimeout = 35_000
  return server
})

const send = (message: unknown): void => {
  process.send?.(message)
}

process.on("message", (command: { readonly type: "reset" | "stats" }) => {
  if (command.type === "reset") {
    counts = [0, 0]
    arrivals = new Map()
    send({ type: "reset" })
  } else if (command.type === "stats") {
    send({ type: "stats", counts, arrivals: [...arrivals] })
  }
})

serveAll(servers, send)
