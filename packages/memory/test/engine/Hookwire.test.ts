import { createHookwire, Errors, RecordingTransport, RetryPolicy } from "@hookwire/core"
import type { Hookwire, OperationalEvents } from "@hookwire/core"
import * as Verify from "@hookwire/verify"
import * as Effect from "effect/Effect"
import { afterEach, describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"
import { catalog } from "./harness.js"

const open: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

const make = (options: Partial<Parameters<typeof createHookwire>[0]> = {}) => {
  const hookwire = createHookwire({ adapter: memory(), catalog, ...options })
  open.push(hookwire)
  return hookwire
}

const until = async <A>(f: () => Promise<A>, ok: (a: A) => boolean, ms = 5_000): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const a = await f()
    if (ok(a)) return a
    if (Date.now() > deadline) throw new Error("condition not met before the deadline")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe("createHookwire (Promise API)", () => {
  it("rejects with the typed error itself: _tag and code survive", async () => {
    const hookwire = make()
    const error = await hookwire.endpoints.create({ tenant: "t", url: "http://insecure.example/" }).catch((e) => e)
    expect(error).toBeInstanceOf(Errors.ValidationError)
    expect(error).toMatchObject({ _tag: "ValidationError", code: "insecure_url", field: "url" })
    const unknown = await hookwire.publish({ tenant: "t", type: "nope" as "invoice.paid", data: {} as never }).catch((
      e
    ) => e)
    expect(unknown).toMatchObject({ _tag: "EventTypeError", code: "unknown_event_type" })
    const missing = await hookwire.endpoints.get({ tenant: "t", id: "ep_01J00000000000000000000000" }).catch((e) => e)
    expect(missing).toMatchObject({ _tag: "NotFound", code: "endpoint_not_found" })
  })

  it("publishMany publishes a typed batch and rejects a bad one whole, naming the input", async () => {
    const hookwire = make()
    await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    const results = await hookwire.publishMany([
      { tenant: "t", type: "customer.created", data: { id: "c1" } },
      { tenant: "t", type: "invoice.paid", data: { invoiceId: "in_1", amount: 3 }, idempotencyKey: "k" }
    ])
    expect(results.map((r) => [r.message.type, r.deliveries, r.duplicate])).toStrictEqual([
      ["customer.created", 1, false],
      ["invoice.paid", 1, false]
    ])
    const error = await hookwire.publishMany([
      { tenant: "t", type: "customer.created", data: { id: "c2" } },
      { tenant: "t", type: "invoice.paid", data: { invoiceId: "in_2" } as never }
    ]).catch((e) => e)
    expect(error).toBeInstanceOf(Errors.EventTypeError)
    expect(error).toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
    expect(error.message).toMatch(/^messages\[1\]: /)
    expect((await hookwire.messages.list({ tenant: "t" })).items).toHaveLength(2)
  })

  it("returns the secret as a string once; get, list and JSON never carry it", async () => {
    const hookwire = make()
    const created = await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    expect(created.secret).toMatch(/^whsec_/)
    const got = await hookwire.endpoints.get({ tenant: "t", id: created.id })
    const listed = await hookwire.endpoints.list({ tenant: "t" })
    expect(JSON.stringify([got, listed])).not.toContain(created.secret.slice(6))
    const rotated = await hookwire.endpoints.rotateSecret({ tenant: "t", id: created.id, grace: "1 hour" })
    expect(rotated.secret).toMatch(/^whsec_/)
    expect(rotated.secret).not.toBe(created.secret)
  })

  it("delivers after start(), calls onEvent, and close() is graceful and final", async () => {
    const events: Array<OperationalEvents.OperationalEvent> = []
    const recorded: Array<{ headers: Record<string, string>; body: string }> = []
    const hookwire: Hookwire.Hookwire<any> = make({
      transport: RecordingTransport.layer((request) => {
        recorded.push({ headers: { ...request.headers }, body: request.body })
        return { status: 204 }
      }),
      retryPolicy: RetryPolicy.none,
      onEvent: (event) => {
        events.push(event)
      }
    })
    const endpoint = await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    const published = await hookwire.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
    // Not started: nothing is sent yet.
    expect(recorded).toHaveLength(0)
    await hookwire.start()
    await hookwire.start() // idempotent
    await until(() => hookwire.deliveries.list({ tenant: "t" }), (p) => p.items[0]?.status === "delivered")
    expect(recorded).toHaveLength(1)
    expect(() => Verify.verify(recorded[0]!.body, recorded[0]!.headers, { secret: endpoint.secret })).not.toThrow()
    await until(async () => events, (e) => e.some((x) => x.type === "delivery.succeeded"))
    expect(events.find((e) => e.type === "delivery.succeeded")).toMatchObject({
      tenant: "t",
      messageId: published.message.id,
      endpointId: endpoint.id
    })
    await hookwire.close()
    await hookwire.close() // idempotent
    await expect(hookwire.endpoints.list({ tenant: "t" })).rejects.toThrow(/closed/)
    await expect(hookwire.start()).rejects.toThrow(/closed/)
  })

  it("close() hands every event of the last attempts to onEvent before it returns", async () => {
    const succeeded: Array<string> = []
    let started = 0
    const hookwire = createHookwire({
      adapter: memory(),
      catalog,
      logger: false,
      transport: RecordingTransport.layer(() => {
        started++
        return Effect.as(Effect.sleep("100 millis"), { status: 204 })
      }),
      onEvent: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 5))
        if (event.type === "delivery.succeeded") succeeded.push(event.deliveryId)
      }
    })
    await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    for (let i = 0; i < 20; i++) {
      await hookwire.publish({ tenant: "t", type: "customer.created", data: { id: `c${i}` } })
    }
    await hookwire.start()
    await until(async () => started, (n) => n >= 5)
    await hookwire.close()
    // Every attempt that started finished within the shutdown grace and its event reached onEvent.
    expect(started).toBeGreaterThanOrEqual(5)
    expect(succeeded).toHaveLength(started)
  })

  it("routes log lines to the logger option, and can silence them", async () => {
    const entries: Array<{ level: string; message: string }> = []
    const hookwire = make({ allowHttp: true, logger: (entry) => entries.push(entry) })
    const created = await hookwire.endpoints.create({ tenant: "t", url: "http://r.example/hook" })
    const httpWarnings = entries.filter((e) => e.message.includes("uses http:"))
    expect(httpWarnings).toHaveLength(1)
    expect(httpWarnings[0]).toMatchObject({ level: "warn" })
    // Without a master key the engine also warns, once, that secrets are stored unencrypted.
    expect(entries.filter((e) => e.message.includes("No master key"))).toHaveLength(1)
    expect(JSON.stringify(entries)).not.toContain(created.secret.slice(6))

    const quiet: Array<unknown> = []
    const original = console.log
    console.log = (...args: Array<unknown>) => void quiet.push(args)
    try {
      const silent = make({ allowHttp: true, logger: false })
      await silent.endpoints.create({ tenant: "t", url: "http://r.example/hook" })
    } finally {
      console.log = original
    }
    expect(quiet).toHaveLength(0)
  })

  it("throws at construction for an invalid option, saying what to fix", () => {
    expect(() => createHookwire({ adapter: memory(), catalog, timeout: "2 minutes" })).toThrow(/timeout/)
  })

  it("signs with the delivery id when signatureId is 'delivery'", async () => {
    const recorded: Array<Record<string, string>> = []
    const hookwire = make({
      signatureId: "delivery",
      transport: RecordingTransport.layer((request) => {
        recorded.push({ ...request.headers })
        return { status: 204 }
      })
    })
    await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    await hookwire.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
    await hookwire.start()
    const [delivery] = (await until(
      () => hookwire.deliveries.list({ tenant: "t" }),
      (p) => p.items[0]?.status === "delivered"
    )).items
    expect(recorded[0]!["webhook-id"]).toBe(delivery!.id)
  })
})
