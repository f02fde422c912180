/**
 * An APIndicators webhook receiver exactly as the docs page tells a customer to write one — with nothing but Node's
 * `node:crypto` and `node:http` (no SDK, no Hookwire):
 *
 * 1. read the raw body;
 * 2. `X-Webhook-Signature` must equal `"sha256=" + hex HMAC-SHA256(secret, body)`, compared in constant time — else
 *    401 (the page's snippet calls `timingSafeEqual` directly, which *throws* when the lengths differ; check the
 *    length first so a malformed header is a 401, not a crash);
 * 3. answer 2xx within 10 seconds, and do slow work afterwards.
 *
 * There are no automatic retries, so a 5xx here is final for that event: it shows as failed in the delivery log.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"

const MAX_BODY_BYTES = 1024 * 1024

/** The documented payload. */
export interface SignalEvent {
  readonly event: string
  readonly timestamp: string
  readonly data: Record<string, unknown>
}

/** `verify` from the docs page. */
export const verify = (body: Buffer | string, signatureHeader: string | undefined, secret: string): boolean => {
  if (signatureHeader === undefined) return false
  const expected = Buffer.from("sha256=" + createHmac("sha256", secret).update(body).digest("hex"))
  const given = Buffer.from(signatureHeader)
  return given.length === expected.length && timingSafeEqual(expected, given)
}

export interface ReceiverOptions {
  /** The webhook's signing secret, or a function reading it per request (e.g. from `process.env`). */
  readonly secret: string | (() => string)
  /**
   * Handles one verified event. Its result is sent back as the JSON response body (shown in the delivery log);
   * throwing answers 500.
   */
  readonly onEvent: (event: SignalEvent) => unknown
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

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
}

/** The request handler, for `http.createServer(handler)` or any Node HTTP(S) server. */
export const createWebhookHandler = (options: ReceiverOptions) =>
async (
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> => {
  if (req.method !== "POST") return json(res, 405, { error: "method not allowed" })
  const body = await readBody(req)
  if (body === undefined) return json(res, 413, { error: "payload too large" })
  const signature = req.headers["x-webhook-signature"]
  const secret = typeof options.secret === "function" ? options.secret() : options.secret
  if (!verify(body, typeof signature === "string" ? signature : undefined, secret)) {
    return json(res, 401, { error: "invalid signature" })
  }
  let result: unknown
  try {
    result = await options.onEvent(JSON.parse(body.toString("utf8")) as SignalEvent)
  } catch (error) {
    return json(res, 500, { error: error instanceof Error ? error.message : "processing failed" })
  }
  return json(res, 200, result ?? { ok: true })
}

/** An HTTP server running the handler. */
export const createWebhookServer = (options: ReceiverOptions): Server => {
  const handle = createWebhookHandler(options)
  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: "internal error" })
    })
  })
}
