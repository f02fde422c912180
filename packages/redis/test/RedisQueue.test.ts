/**
 * What the contract suite cannot see: several processes (here, separate connections) on one queue, wake-ups through
 * Redis, reconnection of the wake-up subscriber, key layout, error mapping, ownership of connections, and claim
 * throughput in batches of 64.
 */
import { expect, it } from "@effect/vitest"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Id from "@hookwire/core/Id"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { createServer } from "node:net"
import { afterAll } from "vitest"
import * as RedisConnection from "../src/RedisConnection.js"
import * as RedisQueue from "../src/RedisQueue.js"
import {
  clientNames,
  connectionLayer,
  deleteKeys,
  describeRedis,
  killClients,
  newPrefix,
  plainClient,
  redisUrl
} from "./utils/redis.js"

/** A queue on a connection of its own (as in another process), built in the current scope. */
const queueOn = (prefix: string, connectionName: string) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      RedisQueue.layer({ prefix }).pipe(Layer.provide(connectionLayer(connectionName)))
    )
    return Context.get(context, DeliveryQueue.DeliveryQueue)
  })

/** Fails unless `effect` completes within `ms`. */
const within = (ms: number, what: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(effect, { duration: ms, onTimeout: () => new Error(`${what} did not complete within ${ms} ms`) })

const ids = (n: number) => Array.from({ length: n }, () => Id.make("dlv"))

describeRedis("RedisQueue", () => {
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

  it("lays out one queue's keys under one hash tag and checks the prefix", () => {
    expect(RedisQueue.keys()).toStrictEqual({
      due: "{hookwire}:due",
      leases: "{hookwire}:leases",
      items: "{hookwire}:items",
      wake: "{hookwire}:wake"
    })
    const k = RedisQueue.keys("app-1:prod")
    for (const key of [k.due, k.leases, k.items]) expect(key.startsWith("{app-1:prod}:")).toBe(true)
    for (const bad of ["", "a{b}", "has space", "x".repeat(101)]) {
      expect(() => RedisQueue.keys(bad)).toThrow(/Invalid Redis key prefix.*hash tag/)
    }
  })

  it.scopedLive("two processes: parallel claims never overlap, and each item is claimed once", () =>
    Effect.gen(function*() {
      const p = prefix("two")
      const a = yield* queueOn(p, "hookwire-test-two-a")
      const b = yield* queueOn(p, "hookwire-test-two-b")
      const mine = ids(400)
      const t = Date.now()
      yield* a.enqueue(mine.map((id, i) => ({ id, runAt: t + (i % 13) })))
      const batches = yield* Effect.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).claim({ max: 16, leaseMs: 60_000, now: t + 20 })),
        { concurrency: "unbounded" }
      )
      const claimed = batches.flat()
      expect(claimed.length).toBe(400)
      expect(new Set(claimed.map((c) => c.id))).toStrictEqual(new Set(mine))
      expect(new Set(claimed.map((c) => c.token)).size).toBe(400)
      // Only the holder's token completes; the other process's complete with a forged token is a no-op.
      yield* b.complete(claimed.map((c) => ({ ...c, token: `${c.token}x` })))
      expect((yield* a.has(mine)).size).toBe(400)
      yield* b.complete(claimed)
      expect((yield* a.has(mine)).size).toBe(0)
    }))

  it.scopedLive("tokens travel packed: a foreign token (spaces, empty) changes nothing, nor the items beside it", () =>
    Effect.gen(function*() {
      const q = yield* queueOn(prefix("packed"), "hookwire-test-packed")
      const mine = ids(5)
      const t = Date.now()
      // Ids with spaces travel one per argument; run times differ (one each) and are kept to the millisecond.
      const odd = ["has space", "", ...mine]
      yield* q.enqueue(odd.map((id, i) => ({ id, runAt: t - 10 + i })))
      const claimed = yield* q.claim({ max: 10, leaseMs: 60_000, now: t })
      expect(claimed.map((c) => [c.id, c.runAt, c.claims])).toStrictEqual(odd.map((id, i) => [id, t - 10 + i, 1]))
      const [a, b, c, d, e, f, g] = claimed
      yield* q.complete([{ ...a, token: "x y" }, b, { ...c, token: "" }, d, { ...e, token: `${e.token} ${f.token}` }])
      yield* q.reschedule([{ item: { ...f, token: "" }, runAt: t + 60_000 }, { item: g, runAt: t + 60_000 }])
      // a, c, e and f were untouched (still leased); b and d completed; g rescheduled.
      expect(yield* q.has(odd)).toStrictEqual(new Set([a.id, c.id, e.id, f.id, g.id]))
      expect(yield* q.claim({ max: 10, leaseMs: 60_000, now: t + 1000 })).toStrictEqual([])
      const again = yield* q.claim({ max: 10, leaseMs: 60_000, now: t + 61_000 })
      expect(again.map((x) => [x.id, x.claims])).toStrictEqual([[a.id, 2], [c.id, 2], [e.id, 2], [f.id, 2], [g.id, 1]])
    }))

  it.scopedLive("an expired lease of a dead process is claimed by another, whose awaitWork wakes at the expiry", () =>
    Effect.gen(function*() {
      const p = prefix("lease")
      const a = yield* queueOn(p, "hookwire-test-lease-a")
      const b = yield* queueOn(p, "hookwire-test-lease-b")
      const [id] = ids(1)
      const t = Date.now()
      yield* a.enqueue([{ id, runAt: t }])
      const [held] = yield* a.claim({ max: 10, leaseMs: 300, now: t })
      expect(held).toMatchObject({ id, claims: 1 })
      expect(yield* b.claim({ max: 10, leaseMs: 60_000, now: Date.now() })).toStrictEqual([])
      yield* b.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }).pipe(within(5_000, "awaitWork at the lease expiry"))
      expect(Date.now()).toBeGreaterThanOrEqual(t + 300)
      const [again] = yield* b.claim({ max: 10, leaseMs: 60_000, now: Date.now() })
      expect(again).toMatchObject({ id, claims: 2 })
      // The dead process's late complete does nothing: the item is b's now.
      yield* a.complete([held])
      expect(yield* b.has([id])).toStrictEqual(new Set([id]))
      yield* b.complete([again])
      expect(yield* b.has([id])).toStrictEqual(new Set())
    }))

  it.scopedLive("awaitWork in one process wakes promptly on enqueue, reschedule and release in another", () =>
    Effect.gen(function*() {
      const p = prefix("wake")
      const a = yield* queueOn(p, "hookwire-test-wake-a")
      const b = yield* queueOn(p, "hookwire-test-wake-b")
      const [id] = ids(1)
      const waitIn = (q: DeliveryQueue.DeliveryQueue["Type"]) =>
        Effect.fork(q.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }))

      let waiter = yield* waitIn(a)
      yield* Effect.yieldNow()
      yield* b.enqueue([{ id, runAt: Date.now() }])
      yield* Fiber.join(waiter).pipe(within(3_000, "awaitWork after an enqueue elsewhere"))

      const [first] = yield* a.claim({ max: 1, leaseMs: 600_000, now: Date.now() })
      waiter = yield* waitIn(b)
      yield* Effect.yieldNow()
      yield* a.reschedule([{ item: first, runAt: Date.now() }])
      yield* Fiber.join(waiter).pipe(within(3_000, "awaitWork after a reschedule elsewhere"))

      const [second] = yield* a.claim({ max: 1, leaseMs: 600_000, now: Date.now() })
      waiter = yield* waitIn(b)
      yield* Effect.yieldNow()
      yield* a.release([second])
      yield* Fiber.join(waiter).pipe(within(3_000, "awaitWork after a release elsewhere"))
      yield* a.remove([id])
    }))

  it.scopedLive("an item queued for later than a waiter's own deadline does not wake it early", () =>
    Effect.gen(function*() {
      const p = prefix("late")
      const a = yield* queueOn(p, "hookwire-test-late-a")
      const b = yield* queueOn(p, "hookwire-test-late-b")
      const [id] = ids(1)
      const start = Date.now()
      const waiter = yield* Effect.fork(a.awaitWork({ now: start, maxWaitMs: 400 }))
      yield* Effect.yieldNow()
      yield* b.enqueue([{ id, runAt: start + 3_600_000 }])
      yield* Fiber.join(waiter).pipe(within(5_000, "awaitWork by maxWaitMs"))
      expect(Date.now() - start).toBeGreaterThanOrEqual(390)
      yield* b.remove([id])
    }))

  it.scopedLive("after its wake-up connection is killed, a process reconnects, resubscribes and wakes again", () =>
    Effect.gen(function*() {
      const p = prefix("resub")
      const a = yield* queueOn(p, "hookwire-test-resub-a")
      const b = yield* queueOn(p, "hookwire-test-resub-b")
      const channel = RedisQueue.keys(p).wake
      const subscribers = () =>
        Effect.promise(() => checks.pubsub("NUMSUB", channel) as Promise<[string, number]>).pipe(
          Effect.map(([, n]) => Number(n))
        )
      expect(yield* subscribers()).toBe(2)
      const killed = yield* Effect.promise(() => killClients(checks, (name) => name === "hookwire-test-resub-a:wake"))
      expect(killed).toBe(1)
      // Bounded wait for ioredis to reconnect and resubscribe (a condition, not a sleep).
      yield* Effect.promise(async () => {
        const deadline = Date.now() + 10_000
        while ((await clientNames(checks, (n) => n === "hookwire-test-resub-a:wake")).length === 0) {
          if (Date.now() > deadline) throw new Error("the wake-up connection did not come back within 10 s")
          await new Promise((resolve) => setTimeout(resolve, 25))
        }
      })
      yield* Effect.promise(async () => {
        const deadline = Date.now() + 10_000
        while (Number(((await checks.pubsub("NUMSUB", channel)) as [string, number])[1]) < 2) {
          if (Date.now() > deadline) throw new Error("the wake-up connection did not resubscribe within 10 s")
          await new Promise((resolve) => setTimeout(resolve, 25))
        }
      })
      const [id] = ids(1)
      const waiter = yield* Effect.fork(a.awaitWork({ now: Date.now(), maxWaitMs: 60_000 }))
      yield* Effect.yieldNow()
      yield* b.enqueue([{ id, runAt: Date.now() }])
      yield* Fiber.join(waiter).pipe(within(3_000, "awaitWork after the reconnection"))
      yield* b.remove([id])
    }))

  it.live("connection failures are typed, name the host and never the password", () =>
    Effect.gen(function*() {
      // A port nothing listens on: bind one, note it, close it.
      const port = yield* Effect.promise(
        () =>
          new Promise<number>((resolve) => {
            const server = createServer().listen(0, "127.0.0.1", () => {
              const address = server.address()
              server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
            })
          })
      )
      const exit = yield* Effect.exit(
        Layer.build(
          RedisConnection.layer({
            host: "127.0.0.1",
            port,
            password: "hunter2-secret",
            maxRetriesPerRequest: 0,
            retryStrategy: () => null
          })
        ).pipe(Effect.scoped)
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toMatchObject({ _tag: "RedisConnectionError", code: "connection" })
        expect(error?.message).toContain(`127.0.0.1:${port}`)
        expect(error?.message).toContain("HOOKWIRE_REDIS_URL")
        expect(error?.message).not.toContain("hunter2")
      }
      expect(RedisConnection.describe("redis://user:hunter2@example.com:6380/2")).toBe("redis://example.com:6380/2")
    }))

  it.scopedLive("Redis errors become QueueErrors with a reason: a closed connection, a key of another type", () =>
    Effect.gen(function*() {
      const p = prefix("errors")
      const own = plainClient("hookwire-test-errors")
      const q = yield* Layer.build(RedisQueue.layer({ prefix: p }).pipe(Layer.provide(RedisConnection.layer(own))))
        .pipe(
          Effect.map(Context.get(DeliveryQueue.DeliveryQueue))
        )
      yield* Effect.promise(() => own.set(RedisQueue.keys(p).items, "not a hash"))
      const wrongType = yield* Effect.flip(q.enqueue([{ id: "dlv_x", runAt: Date.now() }]))
      expect(wrongType).toMatchObject({ _tag: "QueueError", code: "unknown" })
      expect(wrongType.message).toMatch(/another application uses the same prefix/)
      yield* Effect.promise(() => own.del(RedisQueue.keys(p).items))

      own.disconnect()
      const closed = yield* Effect.flip(q.has(["dlv_x"]))
      expect(closed).toMatchObject({ _tag: "QueueError", code: "connection" })
      expect(closed.message).toContain("RedisQueue.has: could not reach Redis")
    }))

  it.live("an ioredis instance passed in stays open after the layer is released; connections made are closed", () =>
    Effect.gen(function*() {
      const own = plainClient("hookwire-test-owner")
      yield* Effect.scoped(
        Effect.zipRight(
          Layer.build(RedisQueue.layer({ prefix: prefix("owner") }).pipe(Layer.provide(RedisConnection.layer(own)))),
          Effect.void
        )
      )
      expect(yield* Effect.promise(() => own.ping())).toBe("PONG")
      own.disconnect()

      const name = `hookwire-test-made-${Math.random().toString(36).slice(2, 8)}`
      yield* Effect.scoped(
        Effect.gen(function*() {
          yield* Layer.build(
            RedisQueue.layer({ prefix: prefix("made") }).pipe(
              Layer.provide(RedisConnection.layer(redisUrl, { connectionName: name }))
            )
          )
          const names = yield* Effect.promise(() => clientNames(checks, (n) => n.startsWith(name)))
          expect(names.sort()).toStrictEqual([name, `${name}:wake`])
        })
      )
      yield* Effect.promise(async () => {
        const deadline = Date.now() + 5_000
        while ((await clientNames(checks, (n) => n.startsWith(name))).length > 0) {
          if (Date.now() > deadline) throw new Error("the connections were not closed within 5 s")
          await new Promise((resolve) => setTimeout(resolve, 25))
        }
      })
    }))

  it.scopedLive("layerConfig reads HOOKWIRE_REDIS_URL and HOOKWIRE_REDIS_PREFIX, and says what is missing", () =>
    Effect.gen(function*() {
      const p = prefix("config")
      const configured = (env: Record<string, string>) =>
        Layer.build(RedisQueue.layerConfig()).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
        )
      const context = yield* configured({
        HOOKWIRE_REDIS_URL: redisUrl,
        HOOKWIRE_REDIS_PREFIX: p,
        HOOKWIRE_REDIS_CONNECTION_NAME: "hookwire-test-config"
      })
      const [id] = ids(1)
      yield* Context.get(context, DeliveryQueue.DeliveryQueue).enqueue([{ id, runAt: 1 }])
      expect(yield* Effect.promise(() => checks.zscore(RedisQueue.keys(p).due, id))).toBe("1")
      expect(yield* Effect.promise(() => clientNames(checks, (n) => n === "hookwire-test-config"))).toHaveLength(1)
      const missing = yield* Effect.flip(configured({}))
      expect(String(missing)).toContain("HOOKWIRE_REDIS_URL")
    }))

  it.scopedLive(
    "throughput: 20,000 items claimed in batches of 64 (one round trip each)",
    () =>
      Effect.gen(function*() {
        const p = prefix("bench")
        const q = yield* queueOn(p, "hookwire-test-bench")
        const n = 20_000
        const mine = ids(n)
        const t = Date.now()
        for (let i = 0; i < n; i += 5_000) {
          yield* q.enqueue(mine.slice(i, i + 5_000).map((id, j) => ({ id, runAt: t + ((i + j) % 1000) })))
        }
        const seen = new Set<string>()
        const started = performance.now()
        let batches = 0
        while (true) {
          const batch = yield* q.claim({ max: 64, leaseMs: 60_000, now: t + 1_000 })
          if (batch.length === 0) break
          batches++
          for (const c of batch) seen.add(c.id)
        }
        const sequential = performance.now() - started
        expect(seen.size).toBe(n)
        expect(batches).toBe(Math.ceil(n / 64))

        // The same again with 8 claimers in parallel, completing as they go (as 8 dispatchers would).
        yield* q.enqueue(mine.map((id, i) => ({ id, runAt: t + (i % 1000) })))
        const parallelStart = performance.now()
        const counts = yield* Effect.all(
          Array.from({ length: 8 }, () =>
            Effect.gen(function*() {
              let got = 0
              while (true) {
                const batch = yield* q.claim({ max: 64, leaseMs: 60_000, now: t + 1_000 })
                if (batch.length === 0) return got
                got += batch.length
                yield* q.complete(batch)
              }
            })),
          { concurrency: "unbounded" }
        )
        const parallel = performance.now() - parallelStart
        expect(counts.reduce((a, b) => a + b, 0)).toBe(n)
        expect((yield* q.has(mine)).size).toBe(0)
        console.log(
          `[throughput] claim, batches of 64: ${Math.round(n / (sequential / 1000))} items/s sequential ` +
            `(${(sequential / batches).toFixed(3)} ms per batch); ${Math.round(n / (parallel / 1000))} items/s ` +
            `claimed and completed by 8 claimers in parallel`
        )
      }),
    60_000
  )
})
