/**
 * A broker that goes down mid-run and comes back loses nothing. Each test starts a private broker (its own loopback
 * port and data directory, never the shared one), publishes a steady stream of messages to an engine whose endpoint
 * points at it, takes the broker down once a third are delivered, waits until deliveries have failed to connect and
 * been retried while it is down, starts it again on the same data and then checks: every delivery ends `delivered`,
 * every message is in the broker, the failures are in the attempt log as `connect` errors, and the transport
 * reconnected. NATS: the server is SIGKILLed (a crash), and the stream holds every message exactly once (the JetStream
 * message id dedups a retry whose acknowledgement was lost). RabbitMQ, twice on one private node: stopped (SIGTERM: it
 * closes its listener and every connection, and exits) with a classic queue, then killed (SIGKILL: a crash) with a
 * quorum queue; each time the durable queue holds every message at least once (publisher confirms: a confirmed
 * message was on disk), and the engine holds one connection to the restarted node, not a stuck one. And on
 * the shared RabbitMQ, the engine's own connection closed by the broker (`rabbitmqctl close_connection`) mid-run:
 * the transport opens a new one and every message arrives.
 */
import { RetryPolicy } from "@hookwire/core"
import type { Attempt } from "@hookwire/core/Webhooks"
import { describeIf, waitFor } from "@hookwire/testing/services"
import * as amqp from "amqplib"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, beforeAll, expect, it } from "vitest"
import type * as BrokerTransport from "../src/BrokerTransport.js"
import { amqpFixture, describeAmqp, natsStream, suffix } from "./utils/brokers.js"
import { type Engine, engine as makeEngine, loopback } from "./utils/engine.js"
import { type NatsNode, natsServerInstalled, privateNats } from "./utils/natsNode.js"
import { privateRabbit, rabbitmqInstalled, type RabbitNode } from "./utils/rabbitNode.js"

const run = promisify(execFile)
const MESSAGES = 300

// Short retries, many of them: the outage lasts as long as a restart takes (seconds, more on a loaded machine), and
// every delivery must outlive it — 240 retries 500 ms apart give each one two minutes.
const engine = (transport: BrokerTransport.Options) =>
  makeEngine(transport, RetryPolicy.fixed(Array.from({ length: 240 }, () => "500 millis")))

const statuses = async (hookwire: Engine, endpointId: string) => {
  const all = []
  let cursor: string | undefined
  for (let i = 0; i < 10; i++) {
    const page = await hookwire.deliveries.list({ tenant: "t", endpointId, limit: 250, cursor })
    all.push(...page.items)
    if (page.nextCursor === null) break
    cursor = page.nextCursor
  }
  return all
}

const delivered = async (hookwire: Engine, endpointId: string) =>
  (await statuses(hookwire, endpointId)).filter((d) => d.status === "delivered").length

/**
 * Waits (at most `timeoutMs`) until all MESSAGES are delivered; on timeout the error says what the undelivered ones'
 * latest attempts were.
 */
const allDelivered = async (hookwire: Engine, endpointId: string, timeoutMs: number) => {
  try {
    await waitFor("all delivered", async () => (await delivered(hookwire, endpointId)) === MESSAGES, timeoutMs)
  } catch (error) {
    const pending = (await statuses(hookwire, endpointId)).filter((d) => d.status !== "delivered")
    const latest = await hookwire.deliveries.attempts({ tenant: "t", endpointId, limit: 20, order: "desc" })
    const seen = latest.items.map((a) => `${a.errorKind ?? a.responseStatus}: ${a.errorMessage ?? a.responseBody}`)
    throw new Error(
      `${(error as Error).message}: ${pending.length} not delivered (${[...new Set(pending.map((d) => d.status))]}); ` +
        `latest attempts:\n${[...new Set(seen)].join("\n")}`
    )
  }
}

/** Publishes MESSAGES messages at a steady pace (the outage happens while they flow): their ids and bodies. */
const publishAll = async (hookwire: Engine) => {
  const sent: Array<{ id: string; body: string }> = []
  for (let i = 0; i < MESSAGES; i++) {
    const { message } = await hookwire.publish({ tenant: "t", type: "order.paid", data: { order: i } })
    sent.push({ id: message.id, body: message.body })
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return sent
}

/**
 * Takes the broker down (`down`) once a third are delivered, then waits until some delivery has failed to connect
 * twice since — it was tried and retried while the broker was down — and returns those failed attempts.
 */
const outageMidRun = async (hookwire: Engine, endpointId: string, down: () => Promise<void>) => {
  await waitFor("a third delivered", async () => (await delivered(hookwire, endpointId)) >= MESSAGES / 3, 60_000)
  const downAt = Date.now()
  await down()
  let failed: Array<Attempt> = []
  await waitFor("a delivery retried while the broker is down", async () => {
    const page = await hookwire.deliveries.attempts({ tenant: "t", endpointId, limit: 250, order: "desc" })
    failed = page.items.filter((a) => a.startedAt.getTime() >= downAt && a.errorKind === "connect")
    const perDelivery = new Map<string, number>()
    for (const a of failed) perDelivery.set(a.deliveryId, (perDelivery.get(a.deliveryId) ?? 0) + 1)
    return [...perDelivery.values()].some((n) => n >= 2)
  }, 60_000)
  return failed
}

describeIf(natsServerInstalled)("a NATS server killed and restarted mid-run", () => {
  let nats: NatsNode | undefined
  beforeAll(async () => {
    nats = await privateNats()
    await nats.start()
  }, 60_000)
  afterAll(() => nats?.remove(), 60_000)

  it("loses nothing: every message is stored exactly once and delivered", async () => {
    const server = nats!
    const subject = `hookwire.restart.${suffix()}`
    const stream = await natsStream(server.servers, [subject])
    const hookwire = engine({ nats: loopback })
    const endpoint = await hookwire.endpoints.create({ tenant: "t", url: `nats://${server.servers}/${subject}` })
    await hookwire.start()
    const publishing = publishAll(hookwire)
    publishing.catch(() => undefined) // awaited below; a failure before that must not be reported twice
    const failed = await outageMidRun(hookwire, endpoint.id, server.kill)
    expect(failed.some((a) => /connection refused/.test(a.errorMessage ?? ""))).toBe(true)
    expect(failed.every((a) => a.responseStatus === null)).toBe(true)
    await server.start()
    const sent = await publishing
    await allDelivered(hookwire, endpoint.id, 120_000)
    const stored = await stream.read()
    expect(new Set(stored.map((m) => m.body))).toStrictEqual(new Set(sent.map((m) => m.body)))
    expect(new Set(stored.map((m) => m.headers["webhook-id"]))).toStrictEqual(new Set(sent.map((m) => m.id)))
    expect(stored).toHaveLength(MESSAGES)
  }, 300_000)
})

/**
 * A durable direct exchange and a durable queue of `type` (classic or quorum) bound to it with `routingKey`, on the
 * node at `url`.
 */
const durableQueue = async (url: string, routingKey: string, type: "classic" | "quorum") => {
  const exchange = `hookwire-restart-${suffix()}`
  const queue = `${exchange}-queue`
  const connection = await amqp.connect(url)
  try {
    const channel = await connection.createChannel()
    await channel.assertExchange(exchange, "direct", { durable: true })
    await channel.assertQueue(queue, { durable: true, arguments: { "x-queue-type": type } })
    await channel.bindQueue(queue, exchange, routingKey)
  } finally {
    await connection.close()
  }
  return { exchange, queue }
}

/** Everything `queue` holds, consumed (at most `max` messages, so a runaway queue cannot loop forever). */
const drain = async (url: string, queue: string, max: number) => {
  const connection = await amqp.connect(url)
  try {
    const channel = await connection.createChannel()
    const out: Array<amqp.GetMessage> = []
    for (let i = 0; i < max; i++) {
      const message = await channel.get(queue, { noAck: true })
      if (message === false) break
      out.push(message)
    }
    return out
  } finally {
    await connection.close()
  }
}

/**
 * An outage of the private node mid-run (`down`: stopped, or killed), then restarted on its data: the transport
 * reconnects and every published message is in the durable queue of `type`.
 */
const rabbitOutage = async (node: RabbitNode, type: "classic" | "quorum", down: () => Promise<void>) => {
  const { exchange, queue } = await durableQueue(node.url, "orders", type)
  const connectionName = `hookwire-restart-${suffix()}`
  const hookwire = engine({ amqp: { ...loopback, connectionName } })
  const endpoint = await hookwire.endpoints.create({
    tenant: "t",
    url: `amqp://127.0.0.1:${node.port}/?exchange=${exchange}&routingKey=orders`
  })
  await hookwire.start()
  const publishing = publishAll(hookwire)
  publishing.catch(() => undefined) // awaited below; a failure before that must not be reported twice
  const failed = await outageMidRun(hookwire, endpoint.id, down)
  // While the node is down, a send finds no connection: refused, a failed attempt with no response, retried.
  expect(failed.some((a) => /ECONNREFUSED/.test(a.errorMessage ?? ""))).toBe(true)
  expect(failed.every((a) => a.responseStatus === null)).toBe(true)
  await node.start()
  const sent = await publishing
  await allDelivered(hookwire, endpoint.id, 120_000)

  // One connection to the restarted node, the pooled one reopened (none stuck, none leaked).
  const connections = (await node.ctl(["list_connections", "client_properties", "-q", "--no-table-headers"]))
    .split("\n").filter((line) => line.includes(connectionName))
  expect(connections).toHaveLength(1)

  // At least once: a message whose confirm was lost with the connection is sent again.
  const stored = await drain(node.url, queue, 10 * MESSAGES)
  expect(stored.length).toBeGreaterThanOrEqual(MESSAGES)
  const ids = new Set(stored.map((m) => String(m.properties.headers?.["webhook-id"])))
  expect(ids).toStrictEqual(new Set(sent.map((m) => m.id)))
  expect(new Set(stored.map((m) => m.content.toString("utf8")))).toStrictEqual(new Set(sent.map((m) => m.body)))
}

describeIf(rabbitmqInstalled)("a RabbitMQ node taken down and restarted mid-run", () => {
  let rabbit: RabbitNode | undefined
  beforeAll(async () => {
    rabbit = await privateRabbit()
    await rabbit.start()
  }, 150_000)
  afterAll(() => rabbit?.remove(), 60_000)

  it(
    "stopped (SIGTERM), classic queue — loses nothing: the transport reconnects, every message is in the queue",
    () => rabbitOutage(rabbit!, "classic", rabbit!.stop),
    300_000
  )

  // A crash: the node flushes nothing and closes no connection. A publisher confirm means the quorum queue's Raft
  // log has the message on disk (fsynced), so every confirmed message is there after the restart.
  it(
    "killed (SIGKILL), quorum queue — loses nothing: every confirmed message survives the crash",
    () => rabbitOutage(rabbit!, "quorum", rabbit!.kill),
    300_000
  )
})

describeAmqp("a RabbitMQ connection closed by the broker mid-run", () => {
  it("loses nothing: the transport reconnects and every message arrives", async () => {
    const fx = await amqpFixture("orders")
    try {
      const connectionName = `hookwire-test-${suffix()}`
      const hookwire = engine({ amqp: { ...loopback, connectionName } })
      const endpoint = await hookwire.endpoints.create({
        tenant: "t",
        url: `amqp://127.0.0.1/?exchange=${fx.exchange}&routingKey=orders`
      })
      await hookwire.start()
      const publishing = publishAll(hookwire)
      publishing.catch(() => undefined) // awaited below; a failure before that must not be reported twice
      await waitFor("a third delivered", async () => (await delivered(hookwire, endpoint.id)) >= MESSAGES / 3, 60_000)
      // The shared broker closes the engine's connection (found by its name); its other users are not disturbed.
      const { stdout } = await run("rabbitmqctl", [
        "list_connections",
        "pid",
        "client_properties",
        "-q",
        "--no-table-headers"
      ])
      const ours = stdout.split("\n").filter((line) => line.includes(connectionName)).map((line) => line.split("\t")[0])
      expect(ours).toHaveLength(1)
      await run("rabbitmqctl", ["close_connection", ours[0], "hookwire connection close test"])
      const sent = await publishing
      await allDelivered(hookwire, endpoint.id, 120_000)
      const received = () => new Set(fx.received.map((m) => m.content.toString()))
      await waitFor("all received", () => received().size >= MESSAGES, 30_000)
      expect(received()).toStrictEqual(new Set(sent.map((m) => m.body)))
    } finally {
      await fx.remove()
    }
  }, 300_000)
})
