/**
 * The publish slice's pure steps (internal/webhooks/publish.ts): a publish input becomes a message or a typed input
 * error, a message fans out to the endpoints whose filters match, and a batch writes each idempotency key once.
 */
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import * as Catalog from "../src/Catalog.js"
import * as publish from "../src/internal/webhooks/publish.js"
import * as Settings from "../src/Settings.js"
import type { InsertMessageResult } from "../src/Storage.js"
import { endpointRecord } from "./contract/Records.js"

const catalog = Catalog.make({
  "order.created": Schema.Struct({ id: Schema.String }),
  "order.shipped": Schema.Struct({ id: Schema.String })
})
const settings = Settings.resolve({ catalog, maxPayloadBytes: 200 })
const NOW = 1_700_000_000_000

const message = (tenant: string, idempotencyKey: string | null, channels: ReadonlyArray<string> = []) => {
  const prepared = publish.prepare(
    settings,
    { tenant, type: "order.created", data: { id: "o1" }, channels, idempotencyKey: idempotencyKey ?? undefined },
    NOW
  )
  if (!("body" in prepared)) throw new Error(`unexpected ${prepared.message}`)
  return prepared
}

const endpoint = (id: string, eventTypes: ReadonlyArray<string>, channels: ReadonlyArray<string> = []) =>
  endpointRecord("t", NOW, { id, eventTypes, channels })

describe("publish.prepare", () => {
  it("builds the message with the envelope as its body, serialised once", () => {
    const m = message("t", "k1", ["eu"])
    expect(m.id).toMatch(/^msg_/)
    expect(m).toMatchObject({ tenant: "t", type: "order.created", channels: ["eu"], idempotencyKey: "k1" })
    expect(JSON.parse(m.body)).toMatchObject({ type: "order.created", data: { id: "o1" } })
  })

  it("answers bad input with the typed error, never a throw", () => {
    const unknownType = publish.prepare(settings, { tenant: "t", type: "order.lost", data: {} }, NOW)
    expect(unknownType).toMatchObject({ _tag: "EventTypeError", code: "unknown_event_type" })
    const badData = publish.prepare(settings, { tenant: "t", type: "order.created", data: { id: 1 } }, NOW)
    expect(badData).toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
    const big = publish.prepare(settings, { tenant: "t", type: "order.created", data: { id: "x".repeat(300) } }, NOW)
    expect(big).toMatchObject({ _tag: "ValidationError", code: "payload_too_large", field: "data" })
    const notObject = publish.prepare(settings, null as never, NOW)
    expect(notObject).toMatchObject({ _tag: "ValidationError", field: "message" })
  })
})

describe("publish.fanOut", () => {
  it("makes one pending delivery, due now, per endpoint whose event types and channels match", () => {
    const endpoints = [
      endpoint("ep_all", []),
      endpoint("ep_exact", ["order.created"]),
      endpoint("ep_prefix", ["order.*"]),
      endpoint("ep_other", ["order.shipped"]),
      endpoint("ep_eu", [], ["eu"]),
      endpoint("ep_us", [], ["us"])
    ]
    const deliveries = publish.fanOut(message("t", null, ["eu"]), endpoints)
    expect(deliveries.map((d) => d.endpointId)).toEqual(["ep_all", "ep_exact", "ep_prefix", "ep_eu"])
    for (const d of deliveries) {
      expect(d).toMatchObject({ status: "pending", attempts: 0, nextAttemptAt: NOW, createdAt: NOW })
    }
    expect(new Set(deliveries.map((d) => d.id)).size).toBe(4)
  })
})

describe("publish.batchOf and resultsOf", () => {
  it("writes a key repeated within the batch once (per tenant); the later inputs are its duplicates", () => {
    const prepared = [
      message("t", "k"),
      message("t", null),
      message("t", "k"),
      message("u", "k"),
      message("t", null)
    ]
    const { batch, sameAs } = publish.batchOf(prepared, () => [endpoint("ep_all", [])])
    expect(batch.map((b) => b.message)).toEqual([prepared[0], prepared[1], prepared[3], prepared[4]])
    expect(batch.every((b) => b.deliveries.length === 1)).toBe(true)
    expect(sameAs).toEqual([0, 1, 0, 2, 3])

    const inserted: Array<InsertMessageResult> = batch.map(({ deliveries, message }) => ({
      created: true,
      message,
      deliveries
    }))
    const results = publish.resultsOf(inserted, sameAs)
    expect(results.map((r) => [r.message.id, r.deliveries, r.duplicate])).toEqual([
      [prepared[0].id, 1, false],
      [prepared[1].id, 1, false],
      [prepared[0].id, 0, true],
      [prepared[3].id, 1, false],
      [prepared[4].id, 1, false]
    ])
  })

  it("reports a key the store had already seen as a duplicate with no deliveries", () => {
    const first = message("t", "k")
    const results = publish.resultsOf([{ created: false, message: first, deliveries: [] }], [0])
    expect(results).toEqual([expect.objectContaining({ deliveries: 0, duplicate: true })])
  })
})
