/**
 * A hostile webhook receiver for the benches, run as a separate process by `hostile.ts` (never imported): one TCP
 * server on 127.0.0.1 (port 0) that accepts every connection and reads every request but never completes a
 * response. Modes (first argument):
 *
 * - `never` — never writes a byte: the sender waits for its whole timeout, holding whatever the request holds.
 * - `slowloris` — writes a status line, then one header byte every 100 ms, forever: the headers never end, and the
 *   connection never looks idle.
 *
 * It tells its parent its port over IPC (`{ type: "ready", port }`) and answers `{ type: "stats" }` with
 * `{ type: "stats", accepted, requests, open }` (connections accepted, connections that carried a request, connections
 * still open) and `{ type: "reset" }`. It exits when its parent goes away.
 */
import { createServer, type Socket } from "node:net"

const DRIP_EVERY_MS = 100
/** Bound on a slowloris connection's drips (10 minutes); it also stops when the socket closes. */
const MAX_DRIPS = 6_000

const mode = process.argv[2] ?? "never"
if (mode !== "never" && mode !== "slowloris") throw new Error(`hostile-process: unknown mode "${mode}"`)

let accepted = 0
let requests = 0
const open = new Set<Socket>()

const drip = (socket: Socket): void => {
  socket.write("HTTP/1.1 200 OK\r\nx-slow: ")
  let drips = 0
  const timer = setInterval(() => {
    if (socket.destroyed || ++drips > MAX_DRIPS) return clearInterval(timer)
    socket.write("a")
  }, DRIP_EVERY_MS)
  socket.on("close", () => clearInterval(timer))
}

const server = createServer((socket) => {
  accepted++
  open.add(socket)
  let seen = false
  socket.on("close", () => open.delete(socket))
  // The sender gives up by destroying the socket: resets and broken pipes are expected.
  socket.on("error", () => {})
  // Read (and drop) everything, so the sender's writes never block: it is the answer that never comes.
  socket.on("data", () => {
    if (seen) return
    seen = true
    requests++
    if (mode === "slowloris") drip(socket)
  })
})

const send = (message: unknown): void => {
  process.send?.(message)
}

process.on("message", (command: { readonly type: string }) => {
  switch (command.type) {
    case "stats": {
      send({ type: "stats", accepted, requests, open: open.size })
      break
    }
    case "reset": {
      accepted = 0
      requests = 0
      send({ type: "reset" })
      break
    }
  }
})

// The parent went away (finished, crashed or killed): never outlive it.
process.on("disconnect", () => process.exit(0))

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the hostile server has no TCP address")
  send({ type: "ready", port: address.port })
})
