import { describe, expect, it } from "@effect/vitest"
import { Catalog, Errors, RecordingTransport, Settings, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { catalog, engine, eventually } from "./harness.js"

const W = Webhooks.Webhooks
const noDispatch = (settings?: Partial<Settings.Options>) => engine({ dispatcher: false, settings })
const url = "https://receiver.example/webhooks"

const create = (input: Partial<Webhooks.CreateEndpoint> & { tenant: string }) =>
  Effect.flatMap(W, (w) => w.endpoints.create({ url, ...input }))

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

describe("endpoints", () => {
  it.effect("create returns the secret once; get and list never do", () =>
    Effect.gen(function*() {
      const w = yield* W
      const created = yield* w.endpoints.create({ tenant: "t1", url, name: "Main", eventTypes: ["invoice.*"] })
      const secret = Redacted.value(created.secret)
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
      expect(String(created.secret)).not.toContain(secret)
      expect(created.id).toMatch(/^ep_[0-9A-Z]{26}$/)
      const got = yield* w.endpoints.get({ tenant: "t1", id: created.id })
      expect(got).not.toHaveProperty("secret")
      expect(JSON.stringify(got)).not.toContain(secret.slice(6))
      const listed = yield* w.endpoints.list({ tenant: "t1" })
      expect(JSON.stringify(listed)).not.toContain(secret.slice(6))
      expect(got).toMatchObject({ name: "Main", eventTypes: ["invoice.*"], disabled: false, url })
    }).pipe(Effect.provide(noDispatch())))

  it.effect("validates every field with a typed error", () =>
    Effect.gen(function*() {
      const cases: Array<[Partial<Webhooks.CreateEndpoint>, string]> = [
        [{ url: "not a url" }, "invalid_url"],
        [{ url: "ftp://x.example/" }, "invalid_url"],
        [{ url: "http://x.example/" }, "insecure_url"],
        [{ url: "https://user:pw@x.example/" }, "url_credentials"],
        [{ eventTypes: ["invoice.payed"] }, "invalid_event_filter"],
        [{ eventTypes: ["nothing.*"] }, "invalid_event_filter"],
        [{ channels: ["has space"] }, "invalid_channel"],
        [{ headers: { "x-ok": "a\r\nb: c" } }, "invalid_header"],
        [{ headers: { "bad name": "x" } }, "invalid_header"],
        [{ headers: { "Webhook-Signature": "v1,forged" } }, "reserved_header"],
        [{ headers: { "content-type": "text/plain" } }, "reserved_header"],
        [{ secret: "whsec_not base64!" }, "invalid_secret"],
        [{ timeoutMs: 0 }, "invalid_option"],
        [{ timeoutMs: 120_000 }, "invalid_option"],
        [{ tenant: "" }, "invalid_tenant"]
      ]
      for (const [input, code] of cases) {
        const error = yield* failure(create({ tenant: "t1", ...input }))
        expect(error._tag, JSON.stringify(input)).toBe("ValidationError")
        expect((error as Errors.ValidationError).code, JSON.stringify(input)).toBe(code)
        expect(error.message.length).toBeGreaterThan(10)
      }
      // Nothing was stored by the failed attempts.
      const w = yield* W
      expect((yield* w.endpoints.list({ tenant: "t1" })).items).toHaveLength(0)
    }).pipe(Effect.provide(noDispatch())))

  it.effect("accepts http only when allowed, and logs a warning for it", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${String(message)}`))
      const created = yield* create({ tenant: "t1", url: "http://x.example/hook" }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      expect(created.url).toBe("http://x.example/hook")
      expect(logs.some((l) => l.startsWith("WARN") && l.includes("http:"))).toBe(true)
      expect(logs.join("\n")).not.toContain(Redacted.value(created.secret))
    }).pipe(Effect.provide(noDispatch({ allowHttp: true }))))

  it.effect("lists in cursor pages", () =>
    Effect.gen(function*() {
      const w = yield* W
      const ids: Array<string> = []
      for (let i = 0; i < 7; i++) ids.push((yield* create({ tenant: "t1" })).id)
      const seen: Array<string> = []
      let cursor: string | undefined
      let pages = 0
      do {
        const page = yield* w.endpoints.list({ tenant: "t1", limit: 3, cursor })
        seen.push(...page.items.map((e) => e.id))
        cursor = page.nextCursor ?? undefined
        pages++
      } while (cursor !== undefined && pages < 10)
      expect(seen).toEqual(ids)
      expect(pages).toBe(3)
      const bad = yield* failure(w.endpoints.list({ tenant: "t1", cursor: "garbage" }))
      expect(bad).toMatchObject({ _tag: "ValidationError", code: "invalid_cursor" })
    }).pipe(Effect.provide(noDispatch())))

  it.effect("updates, disables, enables and deletes", () =>
    Effect.gen(function*() {
      const w = yield* W
      const { id } = yield* create({ tenant: "t1" })
      const updated = yield* w.endpoints.update({
        tenant: "t1",
        id,
        name: "Renamed",
        channels: ["AAPL"],
        timeoutMs: 5000
      })
      expect(updated).toMatchObject({ name: "Renamed", channels: ["AAPL"], timeoutMs: 5000 })
      const cleared = yield* w.endpoints.update({ tenant: "t1", id, name: null, timeoutMs: null })
      expect(cleared).toMatchObject({ name: null, timeoutMs: null, channels: ["AAPL"] })
      expect(yield* w.endpoints.disable({ tenant: "t1", id, reason: "customer asked" })).toMatchObject({
        disabled: true,
        disabledReason: "customer asked"
      })
      expect((yield* w.endpoints.enable({ tenant: "t1", id })).disabled).toBe(false)
      yield* w.endpoints.delete({ tenant: "t1", id })
      expect(yield* failure(w.endpoints.get({ tenant: "t1", id }))).toMatchObject({
        _tag: "NotFound",
        code: "endpoint_not_found"
      })
      expect(yield* failure(w.endpoints.delete({ tenant: "t1", id }))).toMatchObject({ _tag: "NotFound" })
      const badUpdate = yield* failure(w.endpoints.update({ tenant: "t1", id, url: "nope" }))
      expect(badUpdate._tag).toBe("NotFound")
    }).pipe(Effect.provide(noDispatch())))

  it.effect("enforces the per-tenant endpoint limit as a function of the tenant", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 3; i++) yield* create({ tenant: "starter" })
      const over = yield* failure(create({ tenant: "starter" }))
      expect(over).toMatchObject({ _tag: "EndpointLimitExceeded", code: "endpoint_limit_exceeded", limit: 3 })
      const free = yield* failure(create({ tenant: "free" }))
      expect(free).toMatchObject({ _tag: "EndpointLimitExceeded", limit: 0 })
      // Concurrent creates never exceed the limit.
      const results = yield* Effect.all(Array.from({ length: 20 }, () => Effect.either(create({ tenant: "pro" }))), {
        concurrency: "unbounded"
      })
      expect(results.filter((r) => r._tag === "Right")).toHaveLength(10)
      for (let i = 0; i < 25; i++) yield* create({ tenant: "business" })
    }).pipe(Effect.provide(noDispatch({
      endpointLimit: (tenant) => ({ free: 0, starter: 3, pro: 10 } as Record<string, number>)[tenant] ?? Infinity
    }))))

  it.effect("rotates the secret: returned once, old one kept for the grace period", () =>
    Effect.gen(function*() {
      const w = yield* W
      const created = yield* create({ tenant: "t1" })
      const rotated = yield* w.endpoints.rotateSecret({ tenant: "t1", id: created.id })
      expect(Redacted.value(rotated.secret)).not.toBe(Redacted.value(created.secret))
      expect(JSON.stringify(yield* w.endpoints.get({ tenant: "t1", id: created.id }))).not.toContain(
        Redacted.value(rotated.secret).slice(6)
      )
      const bad = yield* failure(w.endpoints.rotateSecret({ tenant: "t1", id: created.id, grace: "soon" as never }))
      expect(bad).toMatchObject({ _tag: "ValidationError", field: "grace" })
    }).pipe(Effect.provide(noDispatch())))
})

describe("publish", () => {
  it.effect("rejects unknown types and invalid data with the Schema's message", () =>
    Effect.gen(function*() {
      const w = yield* W
      const unknown = yield* failure(w.publish({ tenant: "t1", type: "invoice.payed", data: {} }))
      expect(unknown).toMatchObject({ _tag: "EventTypeError", code: "unknown_event_type" })
      expect(unknown.message).toContain("invoice.paid")
      const invalid = yield* failure(w.publish({ tenant: "t1", type: "invoice.paid", data: { invoiceId: 1 } }))
      expect(invalid).toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
      expect(invalid.message).toContain("invoiceId")
      const big = yield* failure(
        w.publish({ tenant: "t1", type: "legacy.ping", data: { blob: "x".repeat(300 * 1024) } })
      )
      expect(big).toMatchObject({ _tag: "ValidationError", code: "payload_too_large" })
      const channels = yield* failure(
        w.publish({ tenant: "t1", type: "legacy.ping", data: {}, channels: ["no spaces allowed"] })
      )
      expect(channels).toMatchObject({ _tag: "ValidationError", code: "invalid_channel" })
    }).pipe(Effect.provide(noDispatch())))

  it.effect("fans out by event filter, wildcard and channels; skips disabled endpoints", () =>
    Effect.gen(function*() {
      const w = yield* W
      const all = yield* create({ tenant: "t1" })
      const exact = yield* create({ tenant: "t1", eventTypes: ["invoice.paid"] })
      const wildcard = yield* create({ tenant: "t1", eventTypes: ["invoice.*"] })
      const customers = yield* create({ tenant: "t1", eventTypes: ["customer.created"] })
      const aapl = yield* create({ tenant: "t1", channels: ["AAPL"] })
      const msft = yield* create({ tenant: "t1", channels: ["MSFT", "GOOG"] })
      const disabled = yield* create({ tenant: "t1" })
      yield* w.endpoints.disable({ tenant: "t1", id: disabled.id })
      yield* create({ tenant: "other" })

      const endpointsOf = (messageId: string) =>
        Effect.map(w.deliveries.list({ tenant: "t1", messageId }), (p) => p.items.map((d) => d.endpointId).sort())

      const paid = yield* w.publish({ tenant: "t1", type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } })
      expect(yield* endpointsOf(paid.message.id)).toEqual([all.id, exact.id, wildcard.id].sort())
      expect(paid.deliveries).toBe(3)

      const voided = yield* w.publish({
        tenant: "t1",
        type: "invoice.voided",
        data: { invoiceId: "in_1" },
        channels: ["AAPL"]
      })
      expect(yield* endpointsOf(voided.message.id)).toEqual([all.id, wildcard.id, aapl.id].sort())

      const cust = yield* w.publish({ tenant: "t1", type: "customer.created", data: { id: "c" }, channels: ["GOOG"] })
      expect(yield* endpointsOf(cust.message.id)).toEqual([all.id, customers.id, msft.id].sort())
    }).pipe(Effect.provide(noDispatch())))

  it.effect("builds the body once with the envelope", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* create({ tenant: "t1" })
      const { message } = yield* w.publish({
        tenant: "t1",
        type: "invoice.paid",
        data: { invoiceId: "in_9", amount: 5 }
      })
      expect(JSON.parse(message.body)).toEqual({
        type: "invoice.paid",
        timestamp: message.createdAt.toISOString(),
        data: { invoiceId: "in_9", amount: 5 }
      })
      expect(message.id).toMatch(/^msg_/)
    }).pipe(Effect.provide(noDispatch())))

  it.effect("a custom envelope shapes the body", () =>
    Effect.gen(function*() {
      const w = yield* W
      const { message } = yield* w.publish({ tenant: "t1", type: "invoice.voided", data: { invoiceId: "x" } })
      expect(JSON.parse(message.body)).toEqual({
        event: "invoice.voided",
        id: message.id.replace("msg_", "evt_"),
        data: { invoiceId: "x" }
      })
    }).pipe(Effect.provide(noDispatch({
      envelope: ({ data, id, type }) => ({ event: type, id: id.replace("msg_", "evt_"), data })
    }))))

  it.effect("an idempotency key returns the first message and creates nothing", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* create({ tenant: "t1" })
      const first = yield* w.publish({
        tenant: "t1",
        type: "customer.created",
        data: { id: "a" },
        idempotencyKey: "k1"
      })
      const again = yield* w.publish({
        tenant: "t1",
        type: "customer.created",
        data: { id: "b" },
        idempotencyKey: "k1"
      })
      expect(again).toMatchObject({ duplicate: true, deliveries: 0 })
      expect(again.message.id).toBe(first.message.id)
      expect((yield* w.deliveries.list({ tenant: "t1" })).items).toHaveLength(1)
      // The same key on another tenant is independent.
      const other = yield* w.publish({
        tenant: "t2",
        type: "customer.created",
        data: { id: "a" },
        idempotencyKey: "k1"
      })
      expect(other.duplicate).toBe(false)
    }).pipe(Effect.provide(noDispatch())))

  it("exports the catalog as JSON Schema", () => {
    const schema = Catalog.toJsonSchema(catalog)
    expect(Object.keys(schema).sort()).toEqual(["customer.created", "invoice.paid", "invoice.voided", "legacy.ping"])
    expect(schema["invoice.paid"]).toMatchObject({
      description: "An invoice was paid",
      deprecated: false,
      schema: { type: "object", required: ["invoiceId", "amount"] }
    })
    expect(schema["legacy.ping"]!.deprecated).toBe(true)
    expect(() => Catalog.make({ "bad name": Schema.String })).toThrow(/Invalid event type name/)
  })
})

describe("publishMany", () => {
  it.effect("publishes a batch across tenants, fanned out per tenant, results in input order", () =>
    Effect.gen(function*() {
      const w = yield* W
      const invoices = yield* create({ tenant: "t1", eventTypes: ["invoice.*"] })
      const everything = yield* create({ tenant: "t1" })
      const aapl = yield* create({ tenant: "t1", channels: ["AAPL"] })
      const theirs = yield* create({ tenant: "t2" })
      const results = yield* w.publishMany([
        { tenant: "t1", type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } },
        { tenant: "t2", type: "customer.created", data: { id: "c1" } },
        { tenant: "t1", type: "customer.created", data: { id: "c2" }, channels: ["AAPL"] },
        { tenant: "t1", type: "legacy.ping", data: {} }
      ])
      expect(results.map((r) => [r.message.tenant, r.message.type, r.deliveries, r.duplicate])).toStrictEqual([
        ["t1", "invoice.paid", 2, false],
        ["t2", "customer.created", 1, false],
        ["t1", "customer.created", 2, false],
        ["t1", "legacy.ping", 1, false]
      ])
      const endpointsOf = (tenant: string, messageId: string) =>
        Effect.map(w.deliveries.list({ tenant, messageId }), (p) => p.items.map((d) => d.endpointId).sort())
      expect(yield* endpointsOf("t1", results[0].message.id)).toStrictEqual([invoices.id, everything.id].sort())
      expect(yield* endpointsOf("t2", results[1].message.id)).toStrictEqual([theirs.id])
      expect(yield* endpointsOf("t1", results[2].message.id)).toStrictEqual([everything.id, aapl.id].sort())
      expect(JSON.parse(results[0].message.body)).toMatchObject({ type: "invoice.paid", data: { invoiceId: "in_1" } })
      // Each message has its own id; the bodies were built once each.
      expect(new Set(results.map((r) => r.message.id)).size).toBe(4)
      expect(yield* w.publishMany([])).toStrictEqual([])
    }).pipe(Effect.provide(noDispatch())))

  it.effect("validates every input first: one bad input publishes none, and its error names its index", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* create({ tenant: "t1" })
      const bad = yield* failure(w.publishMany([
        { tenant: "t1", type: "customer.created", data: { id: "ok" } },
        { tenant: "t1", type: "invoice.paid", data: { invoiceId: 7 } }
      ]))
      expect(bad).toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
      expect(bad.message).toMatch(/^messages\[1\]: /)
      expect(bad.message).toContain("invoiceId")
      const tenant = yield* failure(w.publishMany([{ tenant: "", type: "customer.created", data: { id: "x" } }]))
      expect(tenant).toMatchObject({ _tag: "ValidationError", code: "invalid_tenant" })
      expect(tenant.message).toMatch(/^messages\[0\]: /)
      expect((yield* w.messages.list({ tenant: "t1" })).items).toStrictEqual([])
      const tooMany = yield* failure(w.publishMany(
        Array.from({ length: Webhooks.MAX_PUBLISH_BATCH + 1 }, () => ({
          tenant: "t1",
          type: "customer.created",
          data: { id: "x" }
        }))
      ))
      expect(tooMany).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: "messages" })
      const notObject = yield* failure(
        w.publishMany([{ tenant: "t1", type: "customer.created", data: { id: "x" } }, null as never])
      )
      expect(notObject).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: "message" })
      expect(notObject.message).toMatch(/^messages\[1\]: /)
      expect(yield* failure(w.publish(undefined as never))).toMatchObject({ _tag: "ValidationError", field: "message" })
      const notArray = yield* failure(w.publishMany("nope" as never))
      expect(notArray).toMatchObject({ _tag: "ValidationError", field: "messages" })
      expect((yield* w.messages.list({ tenant: "t1" })).items).toStrictEqual([])
    }).pipe(Effect.provide(noDispatch())))

  it.effect("idempotency keys: a taken key and a key repeated within the batch return the first message", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* create({ tenant: "t1" })
      const earlier = yield* w.publish({
        tenant: "t1",
        type: "customer.created",
        data: { id: "a" },
        idempotencyKey: "k0"
      })
      const results = yield* w.publishMany([
        { tenant: "t1", type: "customer.created", data: { id: "b" }, idempotencyKey: "k0" },
        { tenant: "t1", type: "customer.created", data: { id: "c" }, idempotencyKey: "k1" },
        { tenant: "t1", type: "customer.created", data: { id: "d" }, idempotencyKey: "k1" },
        { tenant: "t2", type: "customer.created", data: { id: "e" }, idempotencyKey: "k1" }
      ])
      expect(results.map((r) => [r.duplicate, r.deliveries])).toStrictEqual([[true, 0], [false, 1], [true, 0], [
        false,
        0
      ]])
      expect(results[0].message.id).toBe(earlier.message.id)
      expect(results[2].message.id).toBe(results[1].message.id)
      expect(results[3].message.id).not.toBe(results[1].message.id)
      expect((yield* w.messages.list({ tenant: "t1" })).items).toHaveLength(2)
      expect((yield* w.deliveries.list({ tenant: "t1" })).items).toHaveLength(2)
    }).pipe(Effect.provide(noDispatch())))

  it.effect("the dispatcher delivers every message of a batch", () =>
    Effect.gen(function*() {
      const w = yield* W
      yield* create({ tenant: "t1" })
      const results = yield* w.publishMany(
        Array.from({ length: 50 }, (_, i) => ({ tenant: "t1", type: "customer.created", data: { id: `c${i}` } }))
      )
      const delivered = yield* eventually(
        w.deliveries.list({ tenant: "t1", status: "delivered", limit: 100 }),
        (page) => page.items.length === 50
      )
      expect(delivered.items.map((d) => d.messageId).sort()).toStrictEqual(results.map((r) => r.message.id).sort())
      expect(yield* RecordingTransport.requests).toHaveLength(50)
      // (One endpoint: a cap of 64 lets all 50 go at once, with no overflow waiting for the clock.)
    }).pipe(Effect.provide(engine({ dispatcher: { perEndpointConcurrency: 64 } }))))
})

describe("tenant isolation", () => {
  it.effect("no operation of another tenant sees or touches a tenant's records", () =>
    Effect.gen(function*() {
      const w = yield* W
      const ep = yield* create({ tenant: "a" })
      const { message } = yield* w.publish({ tenant: "a", type: "customer.created", data: { id: "1" } })
      const [delivery] = (yield* w.deliveries.list({ tenant: "a" })).items
      const b = "b"
      const notFound = [
        w.endpoints.get({ tenant: b, id: ep.id }),
        w.endpoints.update({ tenant: b, id: ep.id, name: "x" }),
        w.endpoints.delete({ tenant: b, id: ep.id }),
        w.endpoints.enable({ tenant: b, id: ep.id }),
        w.endpoints.disable({ tenant: b, id: ep.id }),
        w.endpoints.rotateSecret({ tenant: b, id: ep.id }),
        w.messages.get({ tenant: b, id: message.id }),
        w.deliveries.get({ tenant: b, id: delivery!.id }),
        w.deliveries.retry({ tenant: b, id: delivery!.id }),
        w.deliveries.recover({ tenant: b, endpointId: ep.id, since: 0 })
      ]
      for (const op of notFound) {
        expect((yield* failure(op as Effect.Effect<unknown, { _tag: string }>))._tag).toBe("NotFound")
      }
      expect((yield* w.endpoints.list({ tenant: b })).items).toHaveLength(0)
      expect((yield* w.messages.list({ tenant: b })).items).toHaveLength(0)
      expect((yield* w.deliveries.list({ tenant: b })).items).toHaveLength(0)
      expect((yield* w.deliveries.list({ tenant: b, endpointId: ep.id })).items).toHaveLength(0)
      expect((yield* w.deliveries.attempts({ tenant: b })).items).toHaveLength(0)
      // Tenant b's publish does not reach tenant a's endpoint.
      expect((yield* w.publish({ tenant: b, type: "customer.created", data: { id: "2" } })).deliveries).toBe(0)
      // And a's records are intact.
      expect((yield* w.endpoints.get({ tenant: "a", id: ep.id })).name).toBeNull()
    }).pipe(Effect.provide(noDispatch())))
})
