/**
 * The hand-written sender the raw loop and the peer queues (BullMQ, graphile-worker, pg-boss) share: one undici
 * `Pool` to the receiver's origin (`connections` = the run's concurrency, keep-alive, no pipelining) and a `post` that
 * signs one message the Standard Webhooks way (HMAC-SHA256 with `node:crypto`, key imported once), POSTs it with the
 * headers Hookwire sends, reads the response and says whether it was a 2xx. Every contender that is not Hookwire
 * sends through exactly this code, so their differences are the queues, not the HTTP client.
 */
import { Pool } from "undici"
import { hmacKey, signStandard } from "./message.js"

const USER_AGENT = "bench-raw/1.0"
const REQUEST_TIMEOUT_MS = 15_000

export interface Poster {
  /** Signs and POSTs one message; resolves with whether the receiver answered 2xx. */
  readonly post: (id: string, body: string) => Promise<boolean>
  readonly close: () => Promise<void>
}

/** A poster to `url` (one origin, one path) with at most `connections` connections, signing with `secret`. */
export const makePoster = (url: string, secret: string, connections: number): Poster => {
  const target = new URL(url)
  const key = hmacKey(secret)
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 4_000 })
  return {
    post: async (id, body) => {
      const timestamp = Math.floor(Date.now() / 1000)
      const response = await pool.request({
        method: "POST",
        path: target.pathname,
        headers: {
          "content-type": "application/json",
          "user-agent": USER_AGENT,
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signStandard(key, id, timestamp, body)
        },
        body,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS
      })
      await response.body.dump()
      return response.statusCode >= 200 && response.statusCode < 300
    },
    close: () => pool.close()
  }
}
