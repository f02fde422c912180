/**
 * The bytes every contender of the engine benches sends, without Effect (the raw loop's and the peer queues'
 * processes load only this): one event type, `data` padded so that the body Hookwire builds (the standard envelope
 * `{ type, timestamp, data }`) is exactly `bodyBytes` long, and the Standard Webhooks signature a hand-written sender
 * computes with `node:crypto`. `payload.ts` re-exports all of it beside the engine's catalog.
 */
import * as Envelope from "@hookwire/core/Envelope"
import { createHmac, createSecretKey, type KeyObject, randomBytes } from "node:crypto"

/** The one event type the benches publish. */
export const EVENT_TYPE = "bench.event"

/** What `data` holds: a fixed-width sequence number (so every body has the same size) and padding. */
export interface Data {
  readonly seq: string
  readonly pad: string
}

const SEQ_WIDTH = 10

/** The body Hookwire builds for `data` at `time` (the standard envelope), as a string. */
export const envelope = (data: Data, time: number): string =>
  JSON.stringify(Envelope.standard({ id: "", type: EVENT_TYPE, timestamp: new Date(time), data }))

/**
 * A maker of `data` values whose envelope is exactly `bodyBytes` long (ASCII only, so characters = bytes). Throws
 * when `bodyBytes` is too small to hold the envelope.
 */
export const dataMaker = (bodyBytes: number): (seq: number) => Data => {
  const overhead = envelope({ seq: "0".repeat(SEQ_WIDTH), pad: "" }, 0).length
  if (bodyBytes < overhead) throw new Error(`a body of ${bodyBytes} bytes cannot hold the envelope (${overhead})`)
  const pad = "x".repeat(bodyBytes - overhead)
  return (seq) => ({ seq: String(seq).padStart(SEQ_WIDTH, "0"), pad })
}

/** A new Standard Webhooks secret (`whsec_` + base64 of 24 random bytes), as endpoints get by default. */
export const newSecret = (): string => "whsec_" + randomBytes(24).toString("base64")

/** The HMAC key of a `whsec_` secret, imported once as a hand-written sender would. */
export const hmacKey = (secret: string): KeyObject =>
  createSecretKey(Buffer.from(secret.slice("whsec_".length), "base64"))

/** The `webhook-signature` value: `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`. */
export const signStandard = (key: KeyObject, id: string, timestamp: number, body: string): string =>
  "v1," + createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64")
