/**
 * The messages the engine benches send, shared by Hookwire and the raw loop so both send the same bytes: one event
 * type, `data` padded so that the body Hookwire builds (the standard envelope `{ type, timestamp, data }`) is
 * exactly `bodyBytes` long, and the Standard Webhooks signature a hand-written sender computes with `node:crypto`.
 */
import * as Catalog from "@hookwire/core/Catalog"
import * as Envelope from "@hookwire/core/Envelope"
import { createHmac, createSecretKey, type KeyObject, randomBytes } from "node:crypto"

/** The one event type the benches publish. */
export const EVENT_TYPE = "bench.event"

/**
 * The catalog: `data` is any JSON value, as most hosts start with. (A Schema with a few fields costs little more; the
 * benches measure the delivery engine, not Schema.)
 */
export const catalog = Catalog.make({ [EVENT_TYPE]: { description: "A benchmark message" } })

/** The event types of `catalog`, with their data (for `Hookwire<Events>`). */
export type Events = typeof catalog extends Catalog.Catalog<infer E> ? E : never

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
/**
 * A host publishing from many requests at once: `publishers` callers, each awaiting its `publish` of the next of
 * `messages` messages (made by `makeData`), until all are published.
 */
export const publishConcurrently = async (
  hookwire: { readonly publish: (input: { tenant: string; type: typeof EVENT_TYPE; data: Data }) => Promise<unknown> },
  tenant: string,
  messages: number,
  publishers: number,
  makeData: (seq: number) => Data
): Promise<void> => {
  let next = 0
  const publisher = async () => {
    for (let i = next++; i < messages; i = next++) {
      await hookwire.publish({ tenant, type: EVENT_TYPE, data: makeData(i) })
    }
  }
  await Promise.all(Array.from({ length: publishers }, publisher))
}

export const newSecret = (): string => "whsec_" + randomBytes(24).toString("base64")

/** The HMAC key of a `whsec_` secret, imported once as a hand-written sender would. */
export const hmacKey = (secret: string): KeyObject =>
  createSecretKey(Buffer.from(secret.slice("whsec_".length), "base64"))

/** The `webhook-signature` value: `v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`. */
export const signStandard = (key: KeyObject, id: string, timestamp: number, body: string): string =>
  "v1," + createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64")

/** Parses a numeric flag, with bounds; `fallback` when absent. */
export const numberFlag = (
  name: string,
  value: string | boolean | undefined,
  fallback: number,
  min: number,
  max: number
): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (typeof value === "boolean" || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`--${name} must be a number between ${min} and ${max}, got ${String(value)}`)
  }
  return n
}
