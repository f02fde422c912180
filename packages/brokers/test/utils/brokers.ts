/**
 * The real brokers the tests use — RabbitMQ (`HOOKWIRE_TEST_AMQP_URL`, default amqp://guest:guest@127.0.0.1:5672)
 * and NATS with JetStream (`HOOKWIRE_TEST_NATS_URL`, default nats://127.0.0.1:4222) — probed once (skip loudly, or
 * fail under HOOKWIRE_REQUIRE_SERVICES=1), and fixtures on them: a fresh exchange bound to a fresh queue, a fresh
 * stream, readers of what arrived. Every name carries a random suffix, so runs never collide with each other or with
 * other users of the shared brokers.
 */
import { describeIf, reachable } from "@hookwire/testing/services"
import * as amqp from "amqplib"
import { connect, type ConsumerMessages, type NatsConnection, nuid } from "nats"

export const amqpUrl = process.env.HOOKWIRE_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672"
export const natsUrl = process.env.HOOKWIRE_TEST_NATS_URL ?? "nats://127.0.0.1:4222"

export const amqpAvailable = await reachable({
  name: "RabbitMQ",
  url: amqpUrl.replace(/\/\/[^@/]*@/, "//***@"),
  probe: async () => {
    const connection = await amqp.connect(amqpUrl)
    await connection.close()
  },
  start: "rabbitmq-server -detached",
  env: "HOOKWIRE_TEST_AMQP_URL",
  skipping: "the RabbitMQ destination tests"
})

export const natsAvailable = await reachable({
  name: "NATS",
  url: natsUrl,
  probe: async () => {
    const nc = await connect({ servers: natsUrl.replace("nats://", ""), timeout: 3_000 })
    await (await nc.jetstreamManager()).getAccountInfo()
    await nc.close()
  },
  start: "nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server",
  env: "HOOKWIRE_TEST_NATS_URL",
  skipping: "the NATS JetStream destination tests"
})

export const describeAmqp = describeIf(amqpAvailable)
export const describeNats = describeIf(natsAvailable)

export const suffix = (): string => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`

/** A direct exchange and a queue bound to it with `routingKey`; `read` drains what arrived; `remove` cleans up. */
export const amqpFixture = async (routingKey: string) => {
  const connection = await amqp.connect(amqpUrl)
  const channel = await connection.createChannel()
  const exchange = `hookwire-test-${suffix()}`
  const { queue } = await channel.assertQueue("", { exclusive: true })
  await channel.assertExchange(exchange, "direct", { durable: false, autoDelete: false })
  await channel.bindQueue(queue, exchange, routingKey)
  const received: Array<amqp.ConsumeMessage> = []
  await channel.consume(queue, (message) => {
    if (message !== null) received.push(message)
  }, { noAck: true })
  return {
    exchange,
    received,
    remove: async () => {
      await channel.deleteExchange(exchange).catch(() => undefined)
      await connection.close().catch(() => undefined)
    }
  }
}

/** Runs `f` on a new connection to `servers` (so a fixture outlives a server restart), then closes it. */
const withConnection = async <A>(servers: string, f: (nc: NatsConnection) => Promise<A>): Promise<A> => {
  const nc = await connect({ servers, timeout: 3_000 })
  try {
    return await f(nc)
  } finally {
    await nc.close().catch(() => undefined)
  }
}

/** Resolves once the NATS server at `servers` answers JetStream requests (it may take a moment after start). */
export const jetStreamReady = async (servers: string, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ready = await withConnection(servers, async (nc) => {
      await (await nc.jetstreamManager({ timeout: 1_000 })).getAccountInfo()
      return true
    }).catch(() => false)
    if (ready) return
    if (Date.now() > deadline) throw new Error(`JetStream at ${servers} not ready within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A file-backed stream storing `subjects` on the NATS server at `servers`. */
export const natsStream = async (servers: string, subjects: ReadonlyArray<string>) => {
  const name = `hookwire_test_${suffix()}`
  await withConnection(
    servers,
    async (nc) => (await nc.jetstreamManager()).streams.add({ name, subjects: [...subjects] })
  )
  return {
    name,
    /** Every message the stream holds, in order (its count is checked first, so this never waits for more). */
    read: () =>
      withConnection(servers, async (nc) => {
        const jsm = await nc.jetstreamManager()
        const info = await jsm.streams.info(name)
        const count = info.state.messages
        if (count === 0) return []
        const consumer = await nc.jetstream().consumers.get(name)
        const messages: ConsumerMessages = await consumer.fetch({ max_messages: count, expires: 5_000 })
        const out: Array<{ subject: string; headers: Record<string, string>; body: string; seq: number }> = []
        for await (const m of messages) {
          const headers: Record<string, string> = {}
          for (const [k, v] of m.headers ?? []) headers[k] = v.join(",")
          out.push({ subject: m.subject, headers, body: m.string(), seq: m.seq })
          if (out.length === count) break
        }
        return out
      }),
    remove: () =>
      withConnection(servers, async (nc) => (await nc.jetstreamManager()).streams.delete(name)).then(
        () => undefined,
        () => undefined
      )
  }
}

export { nuid }
