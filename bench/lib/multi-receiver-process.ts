/**
 * A webhook receiver with several origins, run as a separate process by `multi-receiver.ts` (never imported): as
 * many `node:http` servers on 127.0.0.1 (port 0 each) as its first argument says — one per endpoint, as distinct
 * customers would be distinct hosts — each answering every POST with 204, keep-alive, and counting its requests.
 * For the servers it is told to record, it keeps each request's arrival time (`performance.timeOrigin +
 * performance.now()`, epoch ms with sub-millisecond precision, taken when the whole body has arrived).
 *
 * IPC: sends `{ type: "ready", ports }`; answers `{ type: "configure", record: number[] }` (indices to record),
 * `{ type: "reset" }` (zero the counts, forget arrivals) and `{ type: "stats" }` →
 * `{ type: "stats", counts: number[], arrivals: Array<[index, number[]]> }`. Exits when its parent goes away.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

const MAX_SERVERS = 64

const n = Number(process.argv[2] ?? "1")
if (!(Number.isInteger(n) && n >= 1 && n <= MAX_SERVERS)) {
  throw new Error(`multi-receiver-process: the number of servers must be 1..${MAX_SERVERS}, got ${process.argv[2]}`)
}

const now = (): number => performance.timeOrigin + performance.now()

let counts: Array<number> = Array.from({ length: n }, () => 0)
let recording = new Set<number>()
let arrivals = new Map<number, Array<number>>()

const handler = (index: number) => (req: IncomingMessage, res: ServerResponse): void => {
  req.resume()
  req.on("end", () => {
    counts[index]++
    if (recording.has(index)) arrivals.get(index)!.push(now())
    res.writeHead(204)
    res.end()
  })
}

const servers: Array<Server> = []
for (let i = 0; i < n; i++) {
  const server = createServer({ keepAlive: true }, handler(i))
  // Keep idle connections open across a bench round; the sender's own keep-alive timeout applies too.
  server.keepAliveTimeout = 30_000
  server.headersTimeout = 35_000
  servers.push(server)
}

const send = (message: unknown): void => {
  process.send?.(message)
}

type Command =
  | { readonly type: "configure"; readonly record: ReadonlyArray<number> }
  | { readonly type: "reset" }
  | { readonly type: "stats" }

const resetArrivals = () => {
  arrivals = new Map([...recording].map((i) => [i, []]))
}

process.on("message", (command: Command) => {
  switch (command.type) {
    case "configure": {
      recording = new Set(command.record.filter((i) => Number.isInteger(i) && i >= 0 && i < n))
      resetArrivals()
      send({ type: "configured" })
      break
    }
    case "reset": {
      counts = Array.from({ length: n }, () => 0)
      resetArrivals()
      send({ type: "reset" })
      break
    }
    case "stats": {
      send({ type: "stats", counts, arrivals: [...arrivals] })
      break
    }
  }
})

// The parent went away (finished, crashed or killed): never outlive it.
process.on("disconnect", () => process.exit(0))

Promise.all(servers.map((server) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      if (address === null || typeof address === "string") return reject(new Error("a receiver has no TCP address"))
      resolve(address.port)
    })
  })
)).then((ports) => send({ type: "ready", ports }), (error) => {
  console.error(error)
  process.exit(1)
})
