/**
 * The receiver dedup store: atomic claims across connections, expiry on Redis's clock, release, argument checks,
 * typed failures when Redis is down, the Effect service, and `receive` from `@hookwire/verify` using it.
 */
import { expect, it } from "@effect/vitest"
import { receive, sign } from "@hookwire/verify"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:net"
import { afterAll, it as vitestIt } from "vitest"
import * as RedisDedupStore from "../src/RedisDedupStore.js"
import { connectionLayer, deleteKeys, describeRedis, newPrefix, plainClient, redisUrl, waitFor } from "./utils/redis.js"

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

describeRedis("RedisDedupStore", () => {
  const checks = plainClient()
  const prefixes: Array<string> = []
  const prefix = (label: string) => {
    const p = newPrefix(label)
    prefixes.push(p)
    return p
  }
  afterAll(async () => {
    for (const p of prefixes) await deleteKeys(checks, p)
    checks.disconnect()
  })

  vitestIt("claims once per id across stores on separate connections, even when claims race", async () => {
    const p = prefix("race")
    const a = RedisDedupStore.redisDedupStore({ redis: redisUrl, prefix: p, connectionName: "hookwire-test-dedup-a" })
    const b = RedisDedupStore.redisDedupStore({ redis: redisUrl, prefix: p, connectionName: "hookwire-test-dedup-b" })
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).claim("msg_1", 60)))
      expect(results.filter(Boolean).length).toBe(1)
      expect(await a.claim("msg_2", 60)).toBe(true)
      expect(await b.claim("msg_2", 60)).toBe(false)
      expect(await checks.get(`${p}:dedup:msg_1`)).toBe("1")
    } finally {
      await a.close()
      await b.close()
    }
  })

  vitestIt("an id can be claimed again after release, or once its time to live has passed", async () => {
    const p = prefix("ttl")
    const store = RedisDedupStore.redisDedupStore({ redis: redisUrl, prefix: p })
    try {
      expect(await store.claim("msg_r", 60)).toBe(true)
      await store.release("msg_r")
      expect(await store.claim("msg_r", 60)).toBe(true)
      expect(await store.claim("msg_r", 60)).toBe(false)

      const claimedAt = Date.now()
      expect(await store.claim("msg_t", 0.3)).toBe(true)
      const pttl = await checks.pttl(`${p}:dedup:msg_t`)
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(300)
      expect(await store.claim("msg_t", 0.3)).toBe(false)
      await waitFor("the claim to expire", async () => await store.claim("msg_t", 60), 5_000)
      expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(250)
    } finally {
      await store.close()
    }
  })

  vitestIt("rejects bad arguments with a TypeError, and calls after close", async () => {
    const store = RedisDedupStore.redisDedupStore({ redis: redisUrl, prefix: prefix("args") })
    await expect(store.claim("", 60)).rejects.toThrow(TypeError)
    await expect(store.claim("msg", 0)).rejects.toThrow(/ttlSeconds must be a positive number/)
    await expect(store.claim("msg", Number.NaN)).rejects.toThrow(TypeError)
    await store.close()
    await expect(store.claim("msg", 60)).rejects.toThrow(/closed/)
    expect(() => RedisDedupStore.redisDedupStore({ redis: redisUrl, prefix: "{bad}" })).toThrow(
      /Invalid Redis key prefix/
    )
  })

  vitestIt(
    "fails fast with a StorageError (code connection) when Redis is unreachable; no password in it",
    async () => {
      const port = await closedPort()
      const store = RedisDedupStore.redisDedupStore({ redis: `redis://:hunter2@127.0.0.1:${port}` })
      try {
        const started = Date.now()
        const error = await store.claim("msg", 60).then(() => undefined, (e: unknown) => e)
        expect(error).toMatchObject({ _tag: "StorageError", code: "connection" })
        expect((error as Error).message).toContain(`127.0.0.1:${port}`)
        expect((error as Error).message).not.toContain("hunter2")
        expect(Date.now() - started).toBeLessThan(5_000)
      } finally {
        await store.close()
      }
    }
  )

  vitestIt("an ioredis instance passed in is used as is and stays open after close", async () => {
    const own = plainClient("hookwire-test-dedup-own")
    const p = prefix("own")
    const store = RedisDedupStore.redisDedupStore({ redis: own, prefix: p })
    expect(await store.claim("msg_o", 60)).toBe(true)
    await store.close()
    expect(await own.get(`${p}:dedup:msg_o`)).toBe("1")
    own.disconnect()
  })

  vitestIt("works as the dedup store of @hookwire/verify's receive: a redelivery is a duplicate", async () => {
    const store = RedisDedupStore.redisDedupStore({ redis: redisUrl, prefix: prefix("receive") })
    try {
      const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
      const body = new TextEncoder().encode(JSON.stringify({ type: "order.created", data: { id: 1 } }))
      const headers = sign(body, { secret, id: "msg_p5jXN8AQM9LWM0D4loKWxJek" })
      const first = await receive(body, headers, { secret, dedup: store })
      expect(first.duplicate).toBe(false)
      const again = await receive(body, headers, { secret, dedup: store })
      expect(again.duplicate).toBe(true)
      await first.release()
      expect((await receive(body, headers, { secret, dedup: store })).duplicate).toBe(false)
    } finally {
      await store.close()
    }
  })

  it.scopedLive("the Effect service, and dedupStore for middleware running on an Effect runtime", () =>
    Effect.gen(function*() {
      const p = prefix("effect")
      const context = yield* Layer.build(
        RedisDedupStore.layer({ prefix: p }).pipe(Layer.provide(connectionLayer("hookwire-test-dedup-effect")))
      )
      const service = Context.get(context, RedisDedupStore.RedisDedupStore)
      expect(yield* service.claim("msg_e", 60)).toBe(true)
      expect(yield* service.claim("msg_e", 60)).toBe(false)
      yield* service.release("msg_e")
      const plain = yield* Effect.provide(RedisDedupStore.dedupStore, context)
      expect(yield* Effect.promise(async () => await plain.claim("msg_e", 60))).toBe(true)
      expect(yield* Effect.promise(async () => await plain.claim("msg_e", 60))).toBe(false)
    }))
})
