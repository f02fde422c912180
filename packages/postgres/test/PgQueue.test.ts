/**
 * What the contract cannot see: wake-ups across processes (LISTEN/NOTIFY between two clients), and the LISTEN
 * connection coming back after the server terminates it.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Id from "@hookwire/core/Id"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, expect, it } from "vitest"
import * as PgQueue from "../src/PgQueue.js"
import { clientLayer, describeDb, newSchema, pool, schemaLayer, waitFor } from "./utils/db.js"

describeDb("PgQueue wake-ups", () => {
  const schema = newSchema("wake")
  const checks = pool()
  // Two independent queue instances, each with its own pool and LISTEN connection, as two processes would have.
  const appA = `hwt-wake-a-${schema}`.slice(0, 63)
  const setup = ManagedRuntime.make(Layer.provide(schemaLayer(schema), clientLayer("hookwire-test-wake")))
  const a = ManagedRuntime.make(Layer.provide(PgQueue.layer({ schema }), clientLayer(appA, 2)))
  const b = ManagedRuntime.make(Layer.provideMerge(PgQueue.layer({ schema }), clientLayer("hookwire-test-wake-b", 2)))

  beforeAll(async () => {
    await setup.runPromise(Effect.void)
    await a.runPromise(Effect.void)
    await b.runPromise(Effect.void)
  })
  afterAll(async () => {
    await a.dispose()
    await b.dispose()
    await setup.dispose()
    await checks.end()
  })

  const listenerPids = async () =>
    (await checks.query(
      `select pid from pg_stat_activity where application_name = $1 and query like 'LISTEN %'`,
      [appA]
    )).rows.map((row) => row.pid as number)

  /**
   * Starts an awaitWork on A (up to 60 s), then enqueues on B an item due in 30 s, and returns how long A took to
   * wake. Whether A looked at the table before or after B's insert, only the notification can wake it early: the item
   * is not due, and B is a different instance (no in-process wake-up).
   */
  const wakeAcross = async () => {
    const id = Id.make("dlv")
    const now = Date.now()
    const waiter = a.runFork(
      Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.awaitWork({ now, maxWaitMs: 60_000 }))
    )
    const started = Date.now()
    await b.runPromise(Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.enqueue([{ id, runAt: now + 30_000 }])))
    await a.runPromise(Fiber.join(waiter).pipe(Effect.timeout("5 seconds")))
    const took = Date.now() - started
    await b.runPromise(Effect.flatMap(DeliveryQueue.DeliveryQueue, (q) => q.remove([id])))
    return took
  }

  it("an enqueue in one process wakes an idle waiter in another", async () => {
    await waitFor("A's LISTEN connection", async () => (await listenerPids()).length === 1, 10_000)
    expect(await wakeAcross()).toBeLessThan(5_000)
  })

  it("the LISTEN connection comes back after the server terminates it, and wake-ups work again", async () => {
    await waitFor("A's LISTEN connection", async () => (await listenerPids()).length === 1, 10_000)
    const [before] = await listenerPids()
    await checks.query("select pg_terminate_backend($1)", [before])
    await waitFor(
      "a new LISTEN connection",
      async () => {
        const pids = await listenerPids()
        return pids.length === 1 && pids[0] !== before
      },
      10_000
    )
    expect(await wakeAcross()).toBeLessThan(5_000)
  })

  it("an enqueue inside a transaction that rolls back leaves nothing queued (it joined the transaction)", async () => {
    const id = Id.make("dlv")
    const has = await b.runPromise(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const q = yield* DeliveryQueue.DeliveryQueue
        const failed = yield* Effect.flip(
          sql.withTransaction(Effect.zipRight(q.enqueue([{ id, runAt: Date.now() }]), Effect.fail("rollback" as const)))
        )
        expect(failed).toBe("rollback")
        return yield* q.has([id])
      })
    )
    expect(has).toStrictEqual(new Set())
  })
})
