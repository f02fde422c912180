/**
 * Broker destinations end to end on the real brokers: an engine (memory adapter, running dispatcher) whose transport
 * is `BrokerTransport` publishes to a RabbitMQ exchange and a NATS JetStream subject; what arrives is the same body,
 * signed (the signature verifies from the message headers), and counts as delivered only once confirmed; unroutable
 * messages, missing exchanges and streams are failed attempts in the log, retried; destination kinds are opt-in; the
 * SSRF guard refuses loopback brokers unless allowed; credentials never ride in the URL.
 */
import { RetryPolicy } from "@hookwire/core"
import * as Verify from "@hookwire/verify"
import { describe, expect, it } from "vitest"
import type * as BrokerTransport from "../src/BrokerTransport.js"
import { amqpFixture, describeAmqp, describeNats, natsStream, natsUrl, suffix } from "./utils/brokers.js"
import { type Engine, engine as makeEngine, loopback } from "./utils/engine.js"

const engine = (transport: BrokerTransport.Options) =>
  makeEngine(transport, RetryPolicy.fixed(["100 millis", "200 millis", "300 millis", "400 millis"]))

/** Polls until `ok`, at most `ms`. */
const until = async <A>(what: string, f: () => Promise<A>, ok: (a: A) => boolean, ms = 20_000): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const a = await f()
    if (ok(a)) return a
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const deliveries = (hookwire: Engine, tenant: string, endpointId: string) =>
  hookwire.deliveries.list({ tenant, endpointId, limit: 250 }).then((page) => page.items)

const attempts = (hookwire: Engine, tenant: string, endpointId: string) =>
  hookwire.deliveries.attempts({ tenant, endpointId, limit: 250 }).then((page) => page.items)

describe("destination URLs", () => {
  it("are opt-in per engine, checked at create, and never carry credentials", async () => {
    const httpOnly = engine({})
    const refused = await httpOnly.endpoints.create({ tenant: "t", url: "amqp://127.0.0.1/?exchange=x" }).catch((e) =>
      e
    )
    expect(refused).toMatchObject({ _tag: "ValidationError", code: "invalid_url" })
    expect(refused.message).toMatch(/BrokerTransport from @hookwire\/brokers/)

    const amqpOnly = engine({ amqp: loopback })
    const nats = await amqpOnly.endpoints.create({ tenant: "t", url: "nats://127.0.0.1/orders" }).catch((e) => e)
    expect(nats).toMatchObject({ code: "invalid_url" })
    expect(nats.message).toMatch(/also sends to amqp:, amqps:/)
    const cases: Array<[string, string, RegExp]> = [
      ["amqp://guest:guest@127.0.0.1/?exchange=x", "url_credentials", /sensitiveHeaders: \{ authorization/],
      ["amqp://127.0.0.1/", "invalid_url", /name an exchange/],
      ["amqp://127.0.0.1/?exchange=x&queue=y", "invalid_url", /unknown parameter queue/],
      ["amqp://127.0.0.1/a/b?exchange=x", "invalid_url", /virtual host/]
    ]
    for (const [url, code, message] of cases) {
      const error = await amqpOnly.endpoints.create({ tenant: "t", url }).catch((e) => e)
      expect(error, url).toMatchObject({ _tag: "ValidationError", code, field: "url" })
      expect(error.message, url).toMatch(message)
    }
    const ok = await amqpOnly.endpoints.create({ tenant: "t", url: "amqps://broker.example/%2Fprod?exchange=hooks" })
    expect(ok.url).toBe("amqps://broker.example/%2Fprod?exchange=hooks")

    const natsOnly = engine({ nats: loopback })
    for (const url of ["nats://127.0.0.1/", "nats://127.0.0.1/orders.*", "nats://127.0.0.1/a..b", "nats://h/x?y=1"]) {
      expect(await natsOnly.endpoints.create({ tenant: "t", url }).catch((e) => e), url).toMatchObject({
        code: "invalid_url"
      })
    }
  })
})

describeAmqp("RabbitMQ destinations", () => {
  it("publish the signed body to the exchange, delivered once the broker confirms", async () => {
    const fx = await amqpFixture("orders")
    try {
      const hookwire = engine({ amqp: loopback })
      const endpoint = await hookwire.endpoints.create({
        tenant: "t",
        url: `amqp://127.0.0.1:5672/?exchange=${fx.exchange}&routingKey=orders`,
        headers: { "x-team": "billing" },
        // The broker's credentials, sealed like a secret, used to connect and never forwarded.
        sensitiveHeaders: { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}` }
      })
      await hookwire.start()
      const published = []
      for (let i = 0; i < 20; i++) {
        published.push(await hookwire.publish({ tenant: "t", type: "order.paid", data: { order: i } }))
      }
      await until(
        "all delivered",
        () => deliveries(hookwire, "t", endpoint.id),
        (ds) => ds.length === 20 && ds.every((d) => d.status === "delivered")
      )
      await until("all received", async () => fx.received.length, (n) => n >= 20)
      const bodies = new Set(published.map((p) => p.message.body))
      for (const message of fx.received) {
        const body = message.content.toString("utf8")
        expect(bodies.has(body)).toBe(true)
        const headers = Object.fromEntries(
          Object.entries(message.properties.headers ?? {}).map(([k, v]) => [k, String(v)])
        )
        expect(headers["x-team"]).toBe("billing")
        expect(headers).not.toHaveProperty("authorization")
        expect(message.properties.contentType).toBe("application/json")
        expect(message.properties.deliveryMode).toBe(2)
        expect(() => Verify.verify(body, headers, { secret: endpoint.secret })).not.toThrow()
      }
      const log = await attempts(hookwire, "t", endpoint.id)
      expect(log).toHaveLength(20)
      expect(log.every((a) => a.responseStatus === 200 && /confirmed by RabbitMQ/.test(a.responseBody ?? ""))).toBe(
        true
      )
      expect(JSON.stringify(log)).not.toContain(Buffer.from("guest:guest").toString("base64"))
    } finally {
      await fx.remove()
    }
  })

  it("an unroutable message or a missing exchange is a failed attempt, retried, never delivered", async () => {
    const fx = await amqpFixture("orders")
    try {
      const hookwire = engine({ amqp: loopback })
      const unroutable = await hookwire.endpoints.create({
        tenant: "t",
        url: `amqp://127.0.0.1/?exchange=${fx.exchange}&routingKey=nobody`
      })
      const missing = await hookwire.endpoints.create({
        tenant: "t",
        url: `amqp://127.0.0.1/?exchange=no-such-exchange-${suffix()}&routingKey=orders`
      })
      await hookwire.start()
      await hookwire.publish({ tenant: "t", type: "order.paid", data: { order: 1 } })
      const noRoute = await until("retried", () => attempts(hookwire, "t", unroutable.id), (a) => a.length >= 2)
      expect(noRoute[0]).toMatchObject({ responseStatus: 404 })
      expect(noRoute[0].responseBody).toMatch(/NO_ROUTE/)
      const notFound = await until("retried", () => attempts(hookwire, "t", missing.id), (a) => a.length >= 2)
      expect(notFound[0]).toMatchObject({ responseStatus: 404 })
      expect(notFound[0].responseBody).toMatch(/NOT_FOUND - no exchange/)
      const [delivery] = await deliveries(hookwire, "t", unroutable.id)
      expect(delivery.status).not.toBe("delivered")
      expect(fx.received).toHaveLength(0)
    } finally {
      await fx.remove()
    }
  })

  it("the SSRF guard refuses a loopback broker unless the engine allows it", async () => {
    const hookwire = engine({ amqp: true })
    const endpoint = await hookwire.endpoints.create({ tenant: "t", url: "amqp://127.0.0.1/?exchange=x" })
    await hookwire.start()
    await hookwire.publish({ tenant: "t", type: "order.paid", data: {} })
    const [attempt] = await until("attempted", () => attempts(hookwire, "t", endpoint.id), (a) => a.length >= 1)
    expect(attempt).toMatchObject({ errorKind: "blocked", responseStatus: null })
    expect(attempt.errorMessage).toMatch(/loopback address, which the SSRF guard refuses/)
  })
})

describeNats("NATS JetStream destinations", () => {
  it("publish the signed body to the subject, delivered once JetStream acknowledges", async () => {
    const subject = `hookwire.test.${suffix()}`
    const stream = await natsStream(natsUrl.replace("nats://", ""), [`${subject}.>`])
    try {
      const hookwire = engine({ nats: loopback })
      const endpoint = await hookwire.endpoints.create({ tenant: "t", url: `${natsUrl}/${subject}.orders` })
      const other = await hookwire.endpoints.create({ tenant: "t", url: `${natsUrl}/${subject}-nostream` })
      await hookwire.start()
      const published = []
      for (let i = 0; i < 20; i++) {
        published.push(await hookwire.publish({ tenant: "t", type: "order.paid", data: { order: i } }))
      }
      await until(
        "all delivered",
        () => deliveries(hookwire, "t", endpoint.id),
        (ds) => ds.length === 20 && ds.every((d) => d.status === "delivered")
      )
      const stored = await stream.read()
      expect(stored.map((m) => m.body).sort()).toStrictEqual(published.map((p) => p.message.body).sort())
      for (const m of stored) {
        expect(m.subject).toBe(`${subject}.orders`)
        expect(() => Verify.verify(m.body, m.headers, { secret: endpoint.secret })).not.toThrow()
        expect(m.headers["Nats-Msg-Id"]).toBe(`${m.headers["webhook-id"]}:${subject}.orders`)
      }
      const log = await attempts(hookwire, "t", endpoint.id)
      expect(log.every((a) => a.responseStatus === 200 && JSON.parse(a.responseBody!).stream === stream.name)).toBe(
        true
      )
      // No stream stores the other subject: a failed attempt, retried.
      const missed = await until("retried", () => attempts(hookwire, "t", other.id), (a) => a.length >= 2)
      expect(missed[0]).toMatchObject({ responseStatus: 503 })
      expect(missed[0].responseBody).toMatch(/no JetStream stream stores subject/)
    } finally {
      await stream.remove()
    }
  })
})
