/**
 * The benches' webhook receiver, run as a separate process by `receiver.ts` (never imported): a minimal `node:http`
 * server on 127.0.0.1 (port 0) answering every POST with 204, keep-alive. It tells its parent its port over IPC and
 * then answers the parent's IPC commands:
 *
 * - `{ type: "configure", secret, record }` — the Standard Webhooks secret to verify **every** request's signature
 *   with (as a real receiver must: every contender pays for the same verifying receiver), and whether to record each
 *   message's arrival time by `webhook-id` (the latency bench).
 * - `{ type: "reset" }` — zero the counters and forget the recorded arrivals.
 * - `{ type: "stats" }` — answers `{ type: "stats", requests, checked, badSignatures, arrivals }`.
 * - `{ type: "now" }` — answers `{ type: "now", now }`, for the parent to measure the offset between the two clocks.
 *
 * Arrival times are `performance.timeOrigin + performance.now()` (epoch ms with sub-millisecond precision), taken
 * when the whole body has arrived; the parent uses the same clock. The process exits when its parent goes away.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"

type Command =
  | { readonly type: "configure"; readonly secret: string | null; readonly record: boolean }
  | { readonly type: "reset" }
  | { readonly type: "stats" }
  | { readonly type: "now" }

let key: KeyObject | undefined
let record = false
let requests = 0
let checked = 0
let badSignatures = 0
let arrivals = new Map<string, number>()

const now = (): number => performance.timeOrigin + performance.now()

const header = (req: IncomingMessage, name: string): string => {
  const value = req.headers[name]
  return typeof value === "string" ? value : ""
}

const check = (req: IncomingMessage, body: Buffer): void => {
  if (key === undefined) return
  checked++
  const expected = createHmac("sha256", key)
    .update(`${header(req, "webhook-id")}.${header(req, "webhook-timestamp")}.`)
    .update(body)
    .digest()
  // Any listed `v1,<base64>` signature may match (rotation); here there is one secret.
  const ok = header(req, "webhook-signature").split(" ").some((token) => {
    if (!token.startsWith("v1,")) return false
    const given = Buffer.from(token.slice(3), "base64")
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
  if (!ok) badSignatures++
}

const handle = (req: IncomingMessage, res: ServerResponse): void => {
  requests++
  const verify = key !== undefined
  const chunks: Array<Buffer> = []
  if (verify) req.on("data", (chunk: Buffer) => chunks.push(chunk))
  else req.resume()
  req.on("end", () => {
    if (record) {
      const id = header(req, "webhook-id")
      if (!arrivals.has(id)) arrivals.set(id, now())
    }
    if (verify) check(req, Buffer.concat(chunks))
    res.writeHead(204)
    res.end()
  })
}

const server = createServer({ keepAlive: true }, handle)
// Keep idle connections open across a bench round; the sender's own keep-alive timeout applies too.
server.keepAliveTimeout = 30_000
server.headersTimeout = 35_000

const send = (message: unknown): void => {
  process.send?.(message)
}

process.on("message", (command: Command) => {
  switch (command.type) {
    case "configure": {
      key = command.secret === null ? undefined : createSecretKey(Buffer.from(command.secret.slice(6), "base64"))
      record = command.record
      send({ type: "configured" })
      break
    }
    case "reset": {
      requests = 0
      checked = 0
      badSignatures = 0
      arrivals = new Map()
      send({ type: "reset" })
      break
    }
    case "now": {
      send({ type: "now", now: now() })
      break
    }
    case "stats": {
      send({ type: "stats", requests, checked, badSignatures, arrivals: [...arrivals] })
      break
    }
  }
})

// The parent went away (finished, crashed or killed): never outlive it.
process.on("disconnect", () => process.exit(0))

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the receiver has no TCP address")
  send({ type: "ready", port: address.port })
})
