import { Catalog, createHookwire, OperationalWebhooks, RecordingTransport, RetryPolicy } from "@hookwire/core"
import { afterEach, describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"

const catalog = Catalog.make({ "order.paid": { description: "An order was paid" }, ...OperationalWebhooks.eventTypes })

const open: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

const until = async <A>(what: string, f: () => Promise<A>, ok: (a: A) => boolean, ms = 15_000): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const a = await f()
    if (ok(a)) return a
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe("durable operational webhooks", () => {
  it("every operational event becomes one message of the system tenant, delivered to its endpoints", async () => {
    const hookwire = createHookwire({
      adapter: memory(),
      catalog,
      logger: false,
      // The customer's endpoints: /gone answers 410, /failing 500; the host's ops endpoint 204.
      transport: RecordingTransport.layer((req) =>
        req.url.endsWith("/gone") ? { status: 410 } : req.url.endsWith("/failing") ? { status: 500 } : { status: 204 }
      ),
      retryPolicy: RetryPolicy.fixed(Array.from({ length: 50 }, () => "100 millis")),
      disableAfter: "20 seconds",
      operationalWebhooks: { tenant: "ops", every: "100 millis", warnAt: 0.05 },
      dispatcher: { pollInterval: "50 millis" }
    })
    open.push(hookwire)
    const ops = await hookwire.endpoints.create({ tenant: "ops", url: "https://ops.example/notices" })
    const gone = await hookwire.endpoints.create({ tenant: "acme", url: "https://acme.example/gone" })
    const failing = await hookwire.endpoints.create({ tenant: "acme", url: "https://acme.example/failing" })
    const edited = await hookwire.endpoints.create({ tenant: "acme", url: "https://acme.example/ok" })
    await hookwire.endpoints.update({ tenant: "acme", id: edited.id, name: "renamed" })
    await hookwire.endpoints.delete({ tenant: "acme", id: edited.id })
    await hookwire.start()
    await hookwire.publish({ tenant: "acme", type: "order.paid", data: { id: 1 } })

    const expected = [
      "hookwire.endpoint.created",
      "hookwire.endpoint.deleted",
      "hookwire.endpoint.disabled",
      "hookwire.endpoint.failing",
      "hookwire.endpoint.updated",
      "hookwire.delivery.failed"
    ]
    const notices = async () => (await hookwire.messages.list({ tenant: "ops", limit: 250 })).items
    const seen = await until(
      "every notice published",
      notices,
      (items) => expected.every((type) => items.some((m) => m.type === type))
    )
    const payloads = seen.map((m) => ({ type: m.type, data: JSON.parse(m.body).data }))
    expect(payloads.find((p) => p.type === "hookwire.endpoint.disabled")?.data).toMatchObject({
      tenant: "acme",
      endpointId: gone.id
    })
    expect(payloads.find((p) => p.type === "hookwire.endpoint.failing")?.data).toMatchObject({
      endpointId: failing.id
    })
    expect(payloads.filter((p) => p.type === "hookwire.endpoint.created").map((p) => p.data.endpointId).sort())
      .toStrictEqual([gone.id, failing.id, edited.id].sort())
    // The ops endpoint's own creation is not reported (the system tenant never reports on itself).
    expect(payloads.some((p) => p.data.endpointId === ops.id)).toBe(false)

    // Sweeps keep running: what they find again is a duplicate, never a second message.
    const before = (await notices()).filter((m) => m.type === "hookwire.endpoint.disabled").length
    await new Promise((resolve) => setTimeout(resolve, 500))
    const after = await notices()
    expect(before).toBe(1)
    expect(after.filter((m) => m.type === "hookwire.endpoint.disabled")).toHaveLength(1)
    expect(after.filter((m) => m.type === "hookwire.endpoint.failing")).toHaveLength(1)

    // And they are delivered to the ops endpoint like any message.
    await until(
      "notices delivered",
      () => hookwire.deliveries.list({ tenant: "ops", endpointId: ops.id, limit: 250 }).then((p) => p.items),
      (ds) => ds.length >= expected.length && ds.every((d) => d.status === "delivered")
    )
  }, 30_000)

  it("a catalog without the notice types is refused with what to do", async () => {
    const hookwire = createHookwire({
      adapter: memory(),
      catalog: Catalog.make({ "order.paid": {} }),
      logger: false,
      operationalWebhooks: true
    })
    open.push(hookwire)
    const error = await hookwire.endpoints.list({ tenant: "t" }).catch((e) => e)
    expect(String(error?.message ?? error)).toMatch(/OperationalWebhooks\.eventTypes/)
  })
})
