/**
 * A webhook receiver with several origins, run as a separate process by `multi-receiver.ts` (never imported): as
 * many `node:http` servers on 127.0.0.1 (port 0 each) as its first argument says — one per endpoint, as distinct
 * customers would be distinct hosts — each answering every POST with 204, keep-alive, and counting its requests.
 * For the servers it is told to record, it keeps each request's arrival time (`performance.timeOrigin +
 * performance.now()`, epoch ms with sub-millisecond precision, taken when the whole body has arrived).
 *
 * With `delayMs: [min, max]` every answer waits a uniform random time in that range first (a fleet of slow
 * receivers: the fleet bench), and the stats say the mean wait actually drawn. Any path is served, so many distinct
 * endpoint URLs can share one origin.
 *
 * IPC: sends `{ type: "ready", ports }`; answers `{ type: "configure", record: number[], delayMs?: [min, max] }`
 * (indices to record, the answer delay), `{ type: "reset" }` (zero the counts, forget arrivals) and
 * `{ type: "stats" }` → `{ type: "stats", counts: number[], arrivals: Array<[index, number[]]>, meanDelayMs,
 * peakConnections }` (the most connections open at once, over all servers). Exits when its parent goes away.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { serveAll } from "./helper-process.js"

const MAX_SERVERS = 64

const n = Number(process.argv[2] ?? "1")
if (!(Number.isInteger(n) && n >= 1 && n <= MAX_SERVERS)) {
  throw new Error(`multi-receiver-process: the number of servers must be 1..${MAX_SERVERS}, got ${process.argv[2]}`)
}

const now = (): number => performance.timeOrigin + performance.now()

let counts: Array<number> = Array.from({ length: n }, () => 0)
let recording = new Set<number>()
let arrivals = new Map<number, Array<number>>()
let delay: readonly [number, number] | undefined
let delaySum = 0
let delayed = 0
let connections = 0
let peakConnections = 0

const answer = (res: ServerResponse): void => {
  res.writeHead(204)
  res.end()
}

const handler = (index: number) => (req: IncomingMessage, res: ServerResponse): void => {
  req.resume()
  req.on("end", () => {
    counts[index]++
    if (recording.has(index)) arrivals.get(index)!.push(now())
    if (delay === undefined) return answer(res)
    const ms = delay[0] + Math.random() * (delay[1] - delay[0])
    delaySum += ms
    delayed++
    setTimeout(answer, ms, res)
  })
}

const onConnection = (socket: Socket): void => {
  peakConnections = Math.max(peakConnections, ++connections)
  socket.once("close", () => connections--)
}

const servers: Array<Server> = []
for (let i = 0; i < n; i++) {
  const server = createServer({ keepAlive: true }, handler(i))
  server.on("connection", onConnection)
  // Keep idle connections open across a bench round; the sender's own keep-alive timeout applies too.
  server.keepAliveTimeout = 30_000
  server.headersTimeout = 35_000
  servers.push(server)
}

const send = (message: unknown): void => {
  process.send?.(message)
}

type Command =
  | {
    readonly type: "configure"
    readonly record: ReadonlyArray<number>
    readonly delayMs?: readonly [number, number] | undefined
  }
  | { readonly type: "reset" }
  | { readonly type: "stats" }

const resetArrivals = () => {
  arrivals = new Map([...recording].map((i) => [i, []]))
}

process.on("message", (command: Command) => {
  switch (command.type) {
    case "configure": {
      recording = new Set(command.record.filter((i) => Number.isInteger(i) && i >= 0 && i < n))
      delay = command.delayMs
      resetArrivals()
      send({ type: "configured" })
      break
    }
    case "reset": {
      counts = Array.from({ length: n }, () => 0)
      resetArrivals()
      delaySum = 0
      delayed = 0
      peakConnections = connections
      send({ type: "reset" })
      break
    }
    case "stats": {
      send({
        type: "stats",
        counts,
        arrivals: [...arrivals],
        meanDelayMs: delayed === 0 ? 0 : delaySum / delayed,
        peakConnections
      })
      break
    }
  }
})

serveAll(servers, send)
