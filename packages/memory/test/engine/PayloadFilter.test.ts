import { describe, expect, it } from "@effect/vitest"
import { createHookwire, Errors, RecordingTransport, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import { memory } from "../../src/index.js"
import { catalog, engine, eventually } from "./harness.js"

const W = Webhooks.Webhooks
const url = "https://receiver.example/webhooks"
const paid = (amount: number) => ({ tenant: "t", type: "invoice.paid" as const, data: { invoiceId: "in_1", amount } })

describe("payload filters on the engine", () => {
  it.effect("an endpoint receives only the messages its filter matches; update changes and clears it", () =>
    Effect.gen(function*() {
      const w = yield* W
      const big = yield* w.endpoints.create({ tenant: "t", url, filter: { "data.amount": { $gte: 1000 } } })
      const all = yield* w.endpoints.create({ tenant: "t", url: `${url}/all` })
      expect(big.filter).toStrictEqual({ "data.amount": { $gte: 1000 } })
      expect(all.filter).toBeNull()

      const small = yield* w.publish(paid(10))
      const large = yield* w.publish(paid(5000))
      expect([small.deliveries, large.deliveries]).toStrictEqual([1, 2])
      const toBig = yield* w.deliveries.list({ tenant: "t", endpointId: big.id })
      expect(toBig.items.map((d) => d.messageId)).toStrictEqual([large.message.id])

      // A new filter applies to the next publish (the compiled filter is not stale).
      const updated = yield* w.endpoints.update({ tenant: "t", id: big.id, filter: { type: "invoice.voided" } })
      expect(updated.filter).toStrictEqual({ type: "invoice.voided" })
      expect((yield* w.publish(paid(5000))).deliveries).toBe(1)
      expect((yield* w.publish({ tenant: "t", type: "invoice.voided", data: { invoiceId: "in_1" } })).deliveries)
        .toBe(2)
      // Another update leaves the filter alone; null clears it.
      const renamed = yield* w.endpoints.update({ tenant: "t", id: big.id, name: "renamed" })
      expect(renamed.filter).toStrictEqual({ type: "invoice.voided" })
      const cleared = yield* w.endpoints.update({ tenant: "t", id: big.id, filter: null })
      expect(cleared.filter).toBeNull()
      expect((yield* w.publish(paid(1))).deliveries).toBe(2)
    }).pipe(Effect.provide(engine({ dispatcher: false }))))

  it.effect("publishMany filters each message of the batch", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* w.endpoints.create({ tenant: "t", url, filter: { $or: [{ "data.amount": 1 }, { "data.amount": 3 }] } })
      const results = yield* w.publishMany([paid(1), paid(2), paid(3), paid(4)])
      expect(results.map((r) => r.deliveries)).toStrictEqual([1, 0, 1, 0])
    }).pipe(Effect.provide(engine({ dispatcher: false }))))

  it.effect("an invalid filter fails create and update with invalid_payload_filter naming the path; nothing stored", () =>
    Effect.gen(function*() {
      const w = yield* W
      const bad = yield* Effect.flip(
        w.endpoints.create({ tenant: "t", url, filter: { "data.amount": { $gte: "1", $between: [1, 2] } } })
      )
      expect(bad).toBeInstanceOf(Errors.ValidationError)
      expect(bad).toMatchObject({ code: "invalid_payload_filter", field: "filter.data.amount.$between" })
      expect(bad.message).toMatch(/unknown operator \$between: use one of/)
      expect((yield* w.endpoints.list({ tenant: "t" })).items).toHaveLength(0)

      const ok = yield* w.endpoints.create({ tenant: "t", url, filter: { type: "invoice.paid" } })
      const badUpdate = yield* Effect.flip(w.endpoints.update({ tenant: "t", id: ok.id, filter: { $or: {} } as never }))
      expect(badUpdate).toMatchObject({ code: "invalid_payload_filter", field: "filter.$or" })
      expect((yield* w.endpoints.get({ tenant: "t", id: ok.id })).filter).toStrictEqual({ type: "invoice.paid" })
    }).pipe(Effect.provide(engine({ dispatcher: false }))))

  it.effect("a filtered endpoint's deliveries are sent like any other", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* w.endpoints.create({ tenant: "t", url, filter: { "data.invoiceId": "in_2" } })
      yield* w.publish(paid(1))
      const sent = yield* w.publish({ tenant: "t", type: "invoice.paid", data: { invoiceId: "in_2", amount: 1 } })
      const transport = yield* RecordingTransport.RecordingTransport
      const requests = yield* eventually(transport.requests, (r) => r.length === 1)
      expect(JSON.parse(requests[0].body).data.invoiceId).toBe("in_2")
      const deliveries = yield* eventually(
        w.deliveries.list({ tenant: "t", messageId: sent.message.id }),
        (page) => page.items[0]?.status === "delivered"
      )
      expect(deliveries.items).toHaveLength(1)
    }).pipe(Effect.provide(engine())))

  it.effect("testFilter answers for a payload, and names the bad path of an invalid filter", () =>
    Effect.gen(function*() {
      const w = yield* W
      const payload = { type: "invoice.paid", data: { amount: 50 } }
      expect(yield* w.endpoints.testFilter({ filter: { "data.amount": { $lt: 100 } }, payload })).toStrictEqual({
        matches: true
      })
      expect(yield* w.endpoints.testFilter({ filter: { "data.amount": { $gt: 100 } }, payload })).toStrictEqual({
        matches: false
      })
      const bad = yield* Effect.flip(w.endpoints.testFilter({ filter: { "data.amount": { $in: 1 } }, payload }))
      expect(bad).toMatchObject({ code: "invalid_payload_filter", field: "filter.data.amount.$in" })
      const missing = yield* Effect.flip(w.endpoints.testFilter({ payload } as never))
      expect(missing).toMatchObject({ code: "invalid_payload_filter", field: "filter" })
    }).pipe(Effect.provide(engine({ dispatcher: false }))))
})

describe("payload filters on the Promise API", () => {
  it("create takes a filter, testFilter answers, errors keep their code", async () => {
    const hookwire = createHookwire({ adapter: memory(), catalog })
    try {
      const endpoint = await hookwire.endpoints.create({
        tenant: "t",
        url,
        filter: { "data.amount": { $gte: 1000 } }
      })
      expect(endpoint.filter).toStrictEqual({ "data.amount": { $gte: 1000 } })
      expect((await hookwire.publish(paid(999))).deliveries).toBe(0)
      expect((await hookwire.publish(paid(1000))).deliveries).toBe(1)
      expect(await hookwire.endpoints.testFilter({ filter: { type: "a" }, payload: { type: "a" } })).toStrictEqual({
        matches: true
      })
      const error = await hookwire.endpoints.testFilter({ filter: { type: { $gt: {} } }, payload: {} }).catch((e) => e)
      expect(error).toMatchObject({ _tag: "ValidationError", code: "invalid_payload_filter", field: "filter.type.$gt" })
      const typo = await hookwire.endpoints.testFilter({ filter: { a: 1 }, payload: {}, filtr: 1 } as never).catch((
        e
      ) => e)
      expect(typo).toMatchObject({ _tag: "ValidationError" })
    } finally {
      await hookwire.close()
    }
  })
})
