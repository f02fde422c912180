/**
 * The customer's side of this example: one local HTTP server (node:http on 127.0.0.1, port 0) serving every
 * endpoint at its own path. It verifies each request with `@hookwire/verify` against that endpoint's secret, answers
 * 204, and counts what it accepted by endpoint and webhook id, so duplicates (the same id twice at one endpoint) are
 * seen where they matter: at the receiver.
 *
 * It cannot tell which worker process sent a request, and that is by design: every worker sends the same request —
 * same `user-agent`, the endpoint's own custom headers, a signature over the same body. Attribution comes from the
 * workers themselves (see worker.ts).
 */
import { verify, WebhookVerificationError } from "@hookwire/verify"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"

/** Bodies in this example are a few hundred bytes; anything past this is refused rather than buffered. */
const maxBodyBytes = 1024 * 1024

/**
 * What the receiver has accepted so far.
 */
export interface ReceiverStats {
  /** Verified requests answered 204. */
  readonly requests: number
  /** Distinct (endpoint, webhook id) pairs among them: deliveries received at least once. */
  readonly distinct: number
  /** Requests beyond the first for the same (endpoint, webhook id): what at-least-once delivery sent twice. */
  readonly duplicates: number
  /** Requests refused (bad signature, unknown path, oversized body) or failed here. Should be 0. */
  readonly rejected: number
}

export interface Receiver {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string
  /** Serves `path` (e.g. `/hooks/0`), verifying with the secret `endpoints.create` returned for it. */
  readonly register: (path: string, secret: string) => void
  readonly stats: () => ReceiverStats
  /** Times each (endpoint, webhook id) was received, keyed `"<path> <webhook id>"`. */
  readonly counts: () => ReadonlyMap<string, number>
  readonly close: () => Promise<void>
}

const readBody = (req: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

/** Starts the receiver on 127.0.0.1 and an ephemeral port. */
export const startReceiver = async (): Promise<Receiver> => {
  const secrets = new Map<string, string>()
  const received = new Map<string, number>()
  let requests = 0
  let rejected = 0

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]
    const secret = secrets.get(path)
    const answer = (status: number, text?: string) => {
      if (status >= 400) rejected++
      res.statusCode = status
      res.end(text)
    }
    if (req.method !== "POST" || secret === undefined) {
      req.resume()
      answer(404, "no webhook endpoint here")
      return
    }
    readBody(req).then(
      (body) => {
        if (body === undefined) return answer(413, "body too large")
        try {
          // The exact raw bytes, the endpoint's secret, the default `standard` scheme and 5-minute tolerance.
          const { id } = verify(body, req.headers, { secret })
          const key = `${path} ${id}`
          received.set(key, (received.get(key) ?? 0) + 1)
          requests++
          answer(204)
        } catch (error) {
          if (error instanceof WebhookVerificationError) return answer(400, error.code)
          console.error("receiver: unexpected error while verifying", error)
          answer(500, "receiver error")
        }
      },
      (error: unknown) => {
        // The sender hung up mid-body: nothing was accepted, so nothing is counted.
        if (!res.headersSent) answer(400, `could not read the body: ${String(error)}`)
      }
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    origin: `http://127.0.0.1:${port}`,
    register: (path, secret) => {
      secrets.set(path, secret)
    },
    stats: () => ({ requests, distinct: received.size, duplicates: requests - received.size, rejected }),
    counts: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        // Workers keep connections alive between deliveries: close them, or `close` waits for their idle timeout.
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
