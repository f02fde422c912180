/**
 * The test Redis: reachability (skip loudly, or fail under HOOKWIRE_REQUIRE_SERVICES=1), a fresh key prefix per
 * suite, its keys deleted afterwards, and connection layers.
 */
import { redisUrl } from "@hookwire/testing/env"
import { describeIf, reachable, waitFor } from "@hookwire/testing/services"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Redis } from "ioredis"
import * as RedisConnection from "../../src/RedisConnection.js"
import * as RedisQueue from "../../src/RedisQueue.js"

export { redisUrl, waitFor }

/** A plain client for fixtures and checks, failing fast instead of retrying. */
export const plainClient = (connectionName = "hookwire-test-checks"): Redis => {
  const client = new Redis(redisUrl, { connectionName, maxRetriesPerRequest: 1 })
  client.on("error", () => {})
  return client
}

const STALE_MS = 3_600_000

/** Deletes the keys of earlier runs that were killed before cleaning up (prefixes older than an hour). */
const dropStale = async (client: Redis) => {
  let cursor = "0"
  const cutoff = Date.now() - STALE_MS
  do {
    const [next, found] = await client.scan(cursor, "MATCH", "*hwt:*", "COUNT", 1000)
    cursor = next
    const stale = found.filter((key) => {
      const stamp = /hwt:[^:]+:([0-9a-z]+):/.exec(key)?.[1]
      return stamp !== undefined && parseInt(stamp, 36) < cutoff
    })
    if (stale.length > 0) await client.unlink(...stale)
  } while (cursor !== "0")
}

export const available = await reachable({
  name: "Redis",
  url: RedisConnection.describe(redisUrl),
  probe: async () => {
    const client = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 3_000
    })
    client.on("error", () => {})
    try {
      await client.connect()
      await client.ping()
      await dropStale(client).catch(() => {})
    } finally {
      client.disconnect()
    }
  },
  start: "redis-server --daemonize yes --bind 127.0.0.1 --port 6379",
  env: "HOOKWIRE_TEST_REDIS_URL",
  skipping: "the @hookwire/redis tests"
})

/** `describe` when Redis is reachable, a skipped `describe` (after a loud warning) otherwise. */
export const describeRedis = describeIf(available)

/** A key prefix no other run uses; it carries its creation time so stale keys can be dropped. */
export const newPrefix = (label: string): string =>
  `hwt:${label}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}`

/** Deletes every key of a prefix: the queue's (hash-tagged) and the rate limiter's and dedup store's. */
export const deleteKeys = async (client: Redis, prefix: string): Promise<void> => {
  const k = RedisQueue.keys(prefix)
  await client.unlink(k.due, k.leases, k.items)
  let cursor = "0"
  do {
    const [next, found] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000)
    cursor = next
    if (found.length > 0) await client.unlink(...found)
  } while (cursor !== "0")
}

/** A layer that deletes the prefix's keys when released. */
export const cleanupLayer = (prefix: string): Layer.Layer<never> =>
  Layer.scopedDiscard(
    Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const client = plainClient("hookwire-test-cleanup")
        try {
          await deleteKeys(client, prefix)
        } finally {
          client.disconnect()
        }
      })
    )
  )

/** The connection layer for tests, named so a test can find (and kill) its connections. */
export const connectionLayer = (connectionName = "hookwire-test") => RedisConnection.layer(redisUrl, { connectionName })

/** The queue on its own connection, with its keys deleted when the layer is released. */
export const queueLayer = (prefix: string, connectionName = "hookwire-test") =>
  Layer.merge(RedisQueue.layer({ prefix }).pipe(Layer.provide(connectionLayer(connectionName))), cleanupLayer(prefix))

/** Kills every connection whose client name is `name` (CLIENT KILL ID for each; there is no kill-by-name). */
export const killClients = async (client: Redis, match: (name: string) => boolean): Promise<number> => {
  const list = await client.client("LIST") as string
  let killed = 0
  for (const line of list.split("\n")) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1]
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1]
    if (id !== undefined && name !== undefined && match(name)) {
      killed += Number(await client.client("KILL", "ID", id))
    }
  }
  return killed
}

/** The names of the connected clients matching `match`. */
export const clientNames = async (client: Redis, match: (name: string) => boolean): Promise<Array<string>> => {
  const list = await client.client("LIST") as string
  return list.split("\n").flatMap((line) => {
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1]
    return name !== undefined && match(name) ? [name] : []
  })
}
