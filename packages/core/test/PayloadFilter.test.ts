import { describe, expect, it } from "@effect/vitest"
import * as PayloadFilter from "../src/PayloadFilter.js"

const payload = {
  type: "invoice.paid",
  timestamp: "2026-01-02T03:04:05.000Z",
  data: {
    invoiceId: "in_1",
    amount: 4200,
    currency: "EUR",
    customer: { country: "DE", vip: true, note: null },
    tags: ["priority", "b2b"],
    lines: [{ sku: "A-1", qty: 2 }, { sku: "B-7", qty: 1 }]
  }
}

const matches = (filter: PayloadFilter.PayloadFilter, body: unknown = payload) => {
  expect(PayloadFilter.validate(filter), JSON.stringify(filter)).toBeUndefined()
  return PayloadFilter.compile(filter)(body)
}

describe("PayloadFilter matching", () => {
  it("plain values are equality, through nested objects and dotted paths alike", () => {
    expect(matches({ type: "invoice.paid" })).toBe(true)
    expect(matches({ data: { currency: "EUR", customer: { country: "DE" } } })).toBe(true)
    expect(matches({ "data.customer.country": "DE" })).toBe(true)
    expect(matches({ "data.customer.country": "FR" })).toBe(false)
    expect(matches({ data: { "customer.vip": true } })).toBe(true)
    // Every key of an object must hold.
    expect(matches({ "data.currency": "EUR", "data.amount": 1 })).toBe(false)
  })

  it("$eq and $neq compare JSON values deeply; an array field contains the value", () => {
    expect(matches({ "data.amount": { $eq: 4200 } })).toBe(true)
    expect(matches({ "data.amount": { $eq: "4200" } })).toBe(false)
    expect(matches({ "data.customer": { $eq: { country: "DE", vip: true, note: null } } })).toBe(true)
    expect(matches({ "data.customer": { $eq: { country: "DE" } } })).toBe(false)
    expect(matches({ "data.tags": "b2b" })).toBe(true)
    expect(matches({ "data.tags": ["priority", "b2b"] })).toBe(true)
    expect(matches({ "data.tags": { $neq: "b2c" } })).toBe(true)
    expect(matches({ "data.tags": { $neq: "b2b" } })).toBe(false)
    // A missing field is not equal to anything.
    expect(matches({ "data.missing": { $neq: 1 } })).toBe(true)
    expect(matches({ "data.missing": null })).toBe(false)
    expect(matches({ "data.customer.note": null })).toBe(true)
  })

  it("$in and $nin take a list of values", () => {
    expect(matches({ "data.currency": { $in: ["USD", "EUR"] } })).toBe(true)
    expect(matches({ "data.currency": { $in: ["USD", "GBP"] } })).toBe(false)
    expect(matches({ "data.tags": { $in: ["b2b", "x"] } })).toBe(true)
    expect(matches({ "data.currency": { $nin: ["USD", "GBP"] } })).toBe(true)
    expect(matches({ "data.currency": { $nin: ["EUR"] } })).toBe(false)
  })

  it("$gt, $gte, $lt and $lte compare numbers with numbers and strings with strings only", () => {
    expect(matches({ "data.amount": { $gt: 4199, $lte: 4200 } })).toBe(true)
    expect(matches({ "data.amount": { $gt: 4200 } })).toBe(false)
    expect(matches({ "data.amount": { $gte: 4200, $lt: 5000 } })).toBe(true)
    expect(matches({ "data.amount": { $lt: "5000" } })).toBe(false)
    expect(matches({ timestamp: { $gte: "2026-01-01T00:00:00Z" } })).toBe(true)
    expect(matches({ timestamp: { $lt: "2026-01-01T00:00:00Z" } })).toBe(false)
    expect(matches({ "data.missing": { $lt: 1 } })).toBe(false)
  })

  it("$exists: null exists, a missing path does not", () => {
    expect(matches({ "data.customer.note": { $exists: true } })).toBe(true)
    expect(matches({ "data.customer.phone": { $exists: true } })).toBe(false)
    expect(matches({ "data.customer.phone": { $exists: false } })).toBe(true)
    expect(matches({ "data.amount.deeper": { $exists: false } })).toBe(true)
  })

  it("$and and $or combine filters, at the top or inside a nested object", () => {
    expect(matches({ $or: [{ "data.currency": "USD" }, { "data.amount": { $gte: 1000 } }] })).toBe(true)
    expect(matches({ $or: [{ "data.currency": "USD" }, { "data.amount": { $gte: 10_000 } }] })).toBe(false)
    expect(matches({ $and: [{ "data.currency": "EUR" }, { "data.amount": { $gte: 10_000 } }] })).toBe(false)
    expect(matches({ data: { $or: [{ currency: "USD" }, { "customer.vip": true }] } })).toBe(true)
    expect(
      matches({ $and: [{ type: "invoice.paid" }, { $or: [{ "data.tags": "x" }, { "data.tags": "priority" }] }] })
    ).toBe(true)
  })

  it("paths look into each element of an array, or one element by index", () => {
    expect(matches({ "data.lines.sku": "B-7" })).toBe(true)
    expect(matches({ "data.lines.sku": "C-9" })).toBe(false)
    expect(matches({ "data.lines.qty": { $gt: 1 } })).toBe(true)
    expect(matches({ "data.lines.1.sku": "B-7" })).toBe(true)
    expect(matches({ "data.lines.0.sku": "B-7" })).toBe(false)
    expect(matches({ "data.lines.5.sku": { $exists: false } })).toBe(true)
  })

  it("never throws on odd payloads", () => {
    const filter = { "data.amount": { $gt: 1 } }
    for (const body of [null, 42, "text", [], [1, 2], { data: null }, { data: [] }, { data: { amount: {} } }]) {
      expect(matches(filter, body)).toBe(false)
    }
    // An inherited property is not the payload's.
    expect(matches({ "data.toString": { $exists: true } })).toBe(false)
  })
})

describe("PayloadFilter.validate", () => {
  const problem = (filter: unknown) => PayloadFilter.validate(filter)

  it("names the bad part by its path and says what to do", () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [null, "filter", /JSON object/],
      [[{ a: 1 }], "filter", /JSON object/],
      [{}, "filter", /empty filter/],
      [{ data: {} }, "filter.data", /empty filter/],
      [{ "data.amount": { $gte: "1", $foo: 1 } }, "filter.data.amount.$foo", /unknown operator \$foo/],
      [{ "data.amount": { $gt: true } }, "filter.data.amount.$gt", /number or a string/],
      [{ "data.amount": { $gt: null } }, "filter.data.amount.$gt", /number or a string/],
      [{ "data.currency": { $in: "EUR" } }, "filter.data.currency.$in", /non-empty array/],
      [{ "data.currency": { $nin: [] } }, "filter.data.currency.$nin", /non-empty array/],
      [{ "data.x": { $exists: "yes" } }, "filter.data.x.$exists", /true or false/],
      [{ $or: [] }, "filter.$or", /non-empty array/],
      [{ $and: [{ a: 1 }, "b"] }, "filter.$and[1]", /filter object/],
      [{ $or: [{ a: { $gt: [] } }] }, "filter.$or[0].a.$gt", /number or a string/],
      [{ "data..x": 1 }, "filter.data..x", /empty path segment/],
      [{ $not: { a: 1 } }, "filter.$not", /not an operator here/],
      [{ data: { amount: { $gt: 1, currency: "EUR" } } }, "filter.data.amount", /mixes operators/],
      [{ data: { $eq: 1, $or: [{ a: 1 }] } }, "filter.data.$or", /beside the fields/],
      [{ data: { $foo: 1 } }, "filter.data.$foo", /not an operator here/],
      [{ a: Number.NaN }, "filter.a", /finite number/],
      [{ a: { $eq: new Date(0) } }, "filter.a.$eq", /JSON value/],
      [{ a: () => 1 }, "filter.a", /JSON value/],
      [{ a: "x\u0000" }, "filter.a", /NUL/],
      [{ a: { $in: ["ok", "\uD800"] } }, "filter.a.$in[1]", /lone surrogate/],
      [{ "a\u0000": 1 }, "filter.a\u0000", /NUL/],
      [{ a: { $eq: { "k\uDC00": 1 } } }, "filter.a.$eq.k\uDC00", /lone surrogate/]
    ]
    for (const [filter, path, message] of cases) {
      const found = problem(filter)
      expect(found, String(path)).toBeDefined()
      expect(found!.path).toBe(path)
      expect(found!.message).toMatch(message)
    }
  })

  it("bounds the depth, the number of conditions and the size", () => {
    let deep: Record<string, unknown> = { x: 1 }
    for (let i = 0; i < 20; i++) deep = { a: deep }
    expect(problem(deep)?.message).toMatch(/deeper than 16/)
    const many = { $or: Array.from({ length: 300 }, (_, i) => ({ [`f${i}`]: i })) }
    expect(problem(many)?.message).toMatch(/more than 256 conditions/)
    const big = { a: { $in: Array.from({ length: 2_000 }, (_, i) => `value-${i}`) } }
    expect(problem(big)?.message).toMatch(/the limit is 16384/)
  })

  it("test validates, then matches", () => {
    expect(PayloadFilter.test({ "data.amount": { $gte: 100 } }, payload)).toBe(true)
    expect(PayloadFilter.test({ "data.amount": { $gte: 100_000 } }, payload)).toBe(false)
    expect(PayloadFilter.test({ "data.amount": { $gte: [] } }, payload)).toMatchObject({
      path: "filter.data.amount.$gte"
    })
  })
})
