/**
 * A customer's webhook receiver for the end-to-end tests: a real HTTP server on 127.0.0.1:0 that keeps every request
 * (raw body and headers) and answers 204, or 500 with a JSON body while `failing`.
 */
import { servers } from "@hookwire/testing/http"

export interface Received {
  readonly body: string
  readonly headers: Record<string, string>
}

export interface Receiver {
  readonly url: string
  readonly received: Array<Received>
  /** While true, answers 500 `{"error":"receiver is down for maintenance"}`. */
  failing: boolean
  readonly close: () => Promise<void>
}

export const FAILURE_BODY = JSON.stringify({ error: "receiver is down for maintenance" })

export const startReceiver = async (): Promise<Receiver> => {
  const open = servers()
  const receiver: { -readonly [K in keyof Receiver]: Receiver[K] } = {
    url: "",
    received: [],
    failing: false,
    close: () => open.closeAll()
  }
  const base = await open.listen((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v
      receiver.received.push({ body: Buffer.concat(chunks).toString("utf8"), headers })
      if (receiver.failing) {
        res.writeHead(500, { "content-type": "application/json" }).end(FAILURE_BODY)
      } else {
        res.writeHead(204).end()
      }
    })
  })
  receiver.url = `${base}/webhooks`
  return receiver
}
