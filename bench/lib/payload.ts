/**
 * The messages the engine benches send, shared by Hookwire and every other contender so all send the same bytes:
 * the Effect-free part lives in `message.ts` (re-exported here); this module adds the engine's catalog and the
 * benches' shared publisher and flag parser.
 */
import * as Catalog from "@hookwire/core/Catalog"
import { type Data, EVENT_TYPE } from "./message.js"

export { type Data, dataMaker, envelope, EVENT_TYPE, hmacKey, newSecret, signStandard } from "./message.js"

/**
 * The catalog: `data` is any JSON value, as most hosts start with. (A Schema with a few fields costs little more; the
 * benches measure the delivery engine, not Schema.)
 */
export const catalog = Catalog.make({ [EVENT_TYPE]: { description: "A benchmark message" } })

/** The event types of `catalog`, with their data (for `Hookwire<Events>`). */
export type Events = typeof catalog extends Catalog.Catalog<infer E> ? E : never

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
