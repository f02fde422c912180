/**
 * A VecTrade webhook receiver exactly as the docs page tells a customer to write one — with nothing but Node's
 * `node:crypto` and `node:https` (no VecTrade SDK, no Hookwire):
 *
 * 1. read the raw body (never a re-serialised JSON object);
 * 2. `X-VQ-Signature` must equal hex HMAC-SHA256 of `"{X-VQ-Timestamp}.{body}"` under the webhook's secret
 *    (constant-time comparison), and `X-VQ-Timestamp` must be within 5 minutes of now — else 401;
 * 3. deduplicate on `X-VQ-Webhook-Id` (VecTrade retries, and may deliver twice): a known id gets 200 and is not
 *    processed again;
 * 4. answer 2xx quickly (within 5 s).
 *
 * It accepts several secrets, so a rotation can be rolled out without rejecting anything.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { createServer, type Server, type ServerOptions } from "node:https"

/** Accepted clock difference between VecTrade and this server, in seconds. */
export const TOLERANCE_SECONDS = 300
const MAX_BODY_BYTES = 1024 * 1024

/** The documented payload. */
export interface VecTradeEvent {
  readonly id: string
  readonly type: string
  readonly created_at: string
  readonly data: Record<string, unknown>
}

/**
 * `verifyWebhook` from the docs page: true when `signature` is the hex HMAC-SHA256 of `"{timestamp}.{payload}"`
 * under `secret` and `timestamp` (unix seconds) is recent.
 */
export const verifyWebhook = (input: {
  readonly payload: Buffer | string
  readonly signature: string | undefined
  readonly timestamp: string | undefined
  readonly secret: string
  readonly now?: number
}): boolean => {
  const { payload, signature, timestamp, secret } = input
  if (signature === undefined || timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return false
  const age = Math.abs((input.now ?? Date.now()) / 1000 - Number(timestamp))
  if (age > TOLERANCE_SECONDS) return false
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(payload).digest()
  const given = Buffer.from(signature, "hex")
  // timingSafeEqual throws on different lengths: check the length first (it is not secret).
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export interface ReceiverOptions {
  /** The webhook's signing secret — or several while a rotation rolls out. */
  readonly secrets: ReadonlyArray<string>
  /**
   * Handles one new event. Throwing answers 500 (VecTrade retries) and forgets the id, so the retry is processed.
   * Return quickly: queue slow work instead of doing it here.
   */
  readonly onEvent: (event: VecTradeEvent, webhookId: string) => void | Promise<void>
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name]
  return typeof value === "string" ? value : undefined
}

const readBody = (req: IncomingMessage): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        resolve(undefined)
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const reply = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(body)
}

/** The request handler, for `https.createServer(tls, handler)` or any Node HTTP server. */
export const createWebhookHandler = (options: ReceiverOptions) => {
  // Ids claimed by a request being processed or already processed. A real deployment keeps these for a day or two in
  // its database or Redis; a Map is enough for one process.
  const seen = new Set<string>()
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "POST") return reply(res, 405, "Method not allowed")
    const payload = await readBody(req)
    if (payload === undefined) return reply(res, 413, "Payload too large")
    const signature = header(req, "x-vq-signature")
    const timestamp = header(req, "x-vq-timestamp")
    const webhookId = header(req, "x-vq-webhook-id")
    const valid = options.secrets.some((secret) => verifyWebhook({ payload, signature, timestamp, secret }))
    if (!valid || webhookId === undefined) return reply(res, 401, "Invalid signature")

    // Claim the id before processing, so a retry arriving while the first try is still running is not processed
    // twice either.
    if (seen.has(webhookId)) return reply(res, 200, "Duplicate")
    seen.add(webhookId)
    try {
      const event = JSON.parse(payload.toString("utf8")) as VecTradeEvent
      await options.onEvent(event, webhookId)
    } catch {
      seen.delete(webhookId)
      return reply(res, 500, "Processing failed")
    }
    return reply(res, 200, "OK")
  }
}

/** An HTTPS server running the handler. `tls` holds the server's `key` and `cert`. */
export const createWebhookServer = (tls: ServerOptions, options: ReceiverOptions): Server => {
  const handle = createWebhookHandler(options)
  return createServer(tls, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, "Internal error")
    })
  })
}
