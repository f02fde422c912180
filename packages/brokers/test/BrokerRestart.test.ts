/**
 * A broker going away mid-run loses nothing: every published message ends up stored by the broker, its delivery
 * `delivered`. NATS: a private `nats-server` (its own loopback port and store directory, never the shared one) is
 * killed with SIGKILL while deliveries flow and started again on the same store; the stream then holds every message
 * exactly once (the JetStream message id dedups a retry whose acknowledgement was lost). RabbitMQ: restarting the
 * shared broker would disturb other users of this machine, so the engine's own connection is closed by the broker
 * (`rabbitmqctl close_connection`, found by its connection name) while deliveries flow; every message still arrives
 * (at least once).
 */
import { RetryPolicy } from "@hookwire/core"
import { waitFor } from "@hookwire/testing/services"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterEach, expect, it } from "vitest"
import type * as BrokerTransport from "../src/BrokerTransport.js"
import { amqpFixture, describeAmqp, describeNats, jetStreamReady, natsStream, suffix } from "./utils/brokers.js"
import { type Engine, engine as makeEngine, loopback } from "./utils/engine.js"

const run = promisify(execFile)
const MESSAGES = 100

// Many short retries: the outage lasts a few seconds, and every delivery must outlive it.
const engine = (transport: BrokerTransport.Options) =>
  makeEngine(transport, RetryPolicy.fixed(Array.from({ length: 60 }, () => "250 millis")))

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

/** Publishes MESSAGES messages, one at a time (the outage happens while they flow). */
const publishAll = async (hookwire: Engine) => {
  const bodies: Array<string> = []
  for (let i = 0; i < MESSAGES; i++) {
    bodies.push((await hookwire.publish({ tenant: "t", type: "order.paid", data: { order: i } })).message.body)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return bodies
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = Net.connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

describeNats("a NATS server restart mid-run", () => {
  const started: Array<ChildProcess> = []
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null) child.kill("SIGKILL")
  })

  const startServer = async (port: number, store: string) => {
    const child = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], {
      stdio: "ignore"
    })
    started.push(child)
    await waitFor(`nats-server on ${port}`, () => accepts(port), 15_000)
    await jetStreamReady(`127.0.0.1:${port}`, 15_000)
    return child
  }

  it("loses nothing: every message is stored exactly once and delivered", async () => {
    const port = await freePort()
    const store = mkdtempSync(join(tmpdir(), "hookwire-nats-"))
    try {
      let server = await startServer(port, store)
      const subject = `hookwire.restart.${suffix()}`
      const stream = await natsStream(`127.0.0.1:${port}`, [subject])
      const hookwire = engine({ nats: loopback })
      const endpoint = await hookwire.endpoints.create({ tenant: "t", url: `nats://127.0.0.1:${port}/${subject}` })
      await hookwire.start()
      const publishing = publishAll(hookwire)
      await waitFor("a third delivered", async () => (await delivered(hookwire, endpoint.id)) >= MESSAGES / 3, 30_000)
      server.kill("SIGKILL")
      await waitFor("the server gone", () => server.exitCode !== null || server.signalCode !== null, 10_000)
      // Deliveries fail while it is down (connection refused), and are retried.
      await waitFor("a failed attempt", async () => {
        const page = await hookwire.deliveries.attempts({
          tenant: "t",
          endpointId: endpoint.id,
          limit: 250,
          order: "desc"
        })
        return page.items.some((a) => a.errorKind === "connect" || a.errorKind === "timeout")
      }, 15_000)
      server = await startServer(port, store)
      const bodies = await publishing
      await waitFor("all delivered", async () => (await delivered(hookwire, endpoint.id)) === MESSAGES, 60_000)
      const stored = await stream.read()
      expect(new Set(stored.map((m) => m.body))).toStrictEqual(new Set(bodies))
      expect(stored).toHaveLength(MESSAGES)
      await stream.remove()
    } finally {
      rmSync(store, { recursive: true, force: true })
    }
  }, 120_000)
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
      await waitFor("a third delivered", async () => (await delivered(hookwire, endpoint.id)) >= MESSAGES / 3, 30_000)
      const { stdout } = await run("rabbitmqctl", [
        "list_connections",
        "pid",
        "client_properties",
        "-q",
        "--no-table-headers"
      ])
      const ours = stdout.split("\n").filter((line) => line.includes(connectionName)).map((line) => line.split("\t")[0])
      expect(ours).toHaveLength(1)
      await run("rabbitmqctl", ["close_connection", ours[0], "hookwire broker restart test"])
      const bodies = await publishing
      await waitFor("all delivered", async () => (await delivered(hookwire, endpoint.id)) === MESSAGES, 60_000)
      await waitFor(
        "all received",
        () => new Set(fx.received.map((m) => m.content.toString())).size >= MESSAGES,
        10_000
      )
      expect(new Set(fx.received.map((m) => m.content.toString()))).toStrictEqual(new Set(bodies))
    } finally {
      await fx.remove()
    }
  }, 120_000)
})
