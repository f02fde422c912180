/**
 * The Queue contract: one suite that every Queue adapter runs with its own layer (`queueSuite("redis",
 * RedisQueue.layer(...))`), so memory, Postgres and Redis queues are held to exactly the same behaviour. The layer is
 * built once and shared by every test, as a real server would be.
 *
 * A queue has no namespaces, so the tests keep out of each other's way differently from the Storage suite: every test
 * works on fresh ids (`Id.make`), removes them when it ends (even when it fails), and reads claims through its own
 * ids, handing back untouched anything else it happened to claim. Run the suite against a queue nothing else uses (a
 * schema or key prefix of its own) and do not run its tests concurrently with each other. Time is passed explicitly
 * (`now`), so most tests need no clock; the `awaitWork` tests use the live clock with small real waits and a deadline,
 * which works for in-process and server-side waiting alike.
 *
 * @since 0.1.0
 */
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as TestServices from "effect/TestServices"
import * as DeliveryQueue from "../../src/DeliveryQueue.js"
import * as Id from "../../src/Id.js"

const queue = DeliveryQueue.DeliveryQueue

/** Fresh ids, removed from the queue when the test ends. */
const ownIds = (count: number) =>
  Effect.gen(function*() {
    const q = yield* queue
    const ids = Array.from({ length: count }, () => Id.make("dlv"))
    yield* Effect.addFinalizer(() => Effect.orDie(q.remove(ids)))
    return ids
  })

/**
 * Claims, keeps the items among `own` and hands any other claimed item back exactly as it was (same run time), so
 * that a stray item left by someone else neither breaks this test nor gets lost.
 */
const claimOwn = (
  own: ReadonlyArray<string>,
  options: { readonly now: number; readonly leaseMs?: number; readonly max?: number }
) =>
  Effect.gen(function*() {
    const q = yield* queue
    const mine = new Set(own)
    const claimed = yield* q.claim({ max: options.max ?? 1_000, leaseMs: options.leaseMs ?? 60_000, now: options.now })
    const foreign = claimed.filter((item) => !mine.has(item.id))
    if (foreign.length > 0) yield* q.reschedule(foreign.map((item) => ({ item, runAt: item.runAt })))
    return claimed.filter((item) => mine.has(item.id))
  })

const idsOf = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)

/** Runs with the live clock, so that adapters that wait in process and adapters that wait on a server both work. */
const live = TestServices.provideLive

/** Fails the test unless `effect` completes within 5 seconds (the waits under test are 0–200 ms). */
const within = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(effect, {
    duration: "5 seconds",
    onTimeout: () => new Error("awaitWork did not complete within 5 seconds")
  })

/**
 * Registers the Queue contract tests for an adapter, under `describe("Queue contract: <name>")`. The layer is built
 * once for the whole suite.
 *
 * @since 0.1.0
 * @category constructors
 */
export const queueSuite = (name: string, queueLayer: Layer.Layer<DeliveryQueue.DeliveryQueue, unknown>): void =>
  layer(queueLayer)(`Queue contract: ${name}`, (it) => {
    describe("claim", () => {
      it.scoped("returns due items earliest first, each with its run time, claims = 1 and a distinct token", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const ids = yield* ownIds(5)
          const t = Date.now()
          const runAt = [t + 50, t + 10, t + 40, t + 20, t + 30]
          yield* q.enqueue(ids.map((id, i) => ({ id, runAt: runAt[i] })))
          const claimed = yield* claimOwn(ids, { now: t + 100 })
          expect(idsOf(claimed)).toStrictEqual([ids[1], ids[3], ids[4], ids[2], ids[0]])
          expect(claimed.map((c) => c.runAt)).toStrictEqual([t + 10, t + 20, t + 30, t + 40, t + 50])
          expect(claimed.every((c) => c.claims === 1)).toBe(true)
          expect(claimed.every((c) => typeof c.token === "string" && c.token.length > 0)).toBe(true)
          expect(new Set(claimed.map((c) => c.token)).size).toBe(5)
        }))

      it.scoped("does not claim items before their run time; an item is due at its run time", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [a, b] = yield* ownIds(2)
          const t = Date.now()
          yield* q.enqueue([{ id: a, runAt: t }, { id: b, runAt: t + 1_000 }])
          expect(yield* claimOwn([a, b], { now: t - 1 })).toStrictEqual([])
          expect(idsOf(yield* claimOwn([a, b], { now: t }))).toStrictEqual([a])
          expect(yield* claimOwn([a, b], { now: t + 999 })).toStrictEqual([])
          const [claimedB] = yield* claimOwn([a, b], { now: t + 1_000 })
          expect(claimedB).toMatchObject({ id: b, runAt: t + 1_000, claims: 1 })
        }))

      it.scoped("respects max and hands out the earliest items first", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const ids = yield* ownIds(5)
          const t = Date.now()
          yield* q.enqueue(ids.map((id, i) => ({ id, runAt: t + i })).reverse())
          const first = yield* q.claim({ max: 2, leaseMs: 60_000, now: t + 10 })
          const second = yield* q.claim({ max: 2, leaseMs: 60_000, now: t + 10 })
          expect(first.length).toBe(2)
          expect(second.length).toBe(2)
          const mine = new Set(ids)
          const foreign = [...first, ...second].filter((c) => !mine.has(c.id))
          if (foreign.length > 0) yield* q.reschedule(foreign.map((item) => ({ item, runAt: item.runAt })))
          const rest = yield* claimOwn(ids, { now: t + 10 })
          // With nothing else queued: [0, 1], then [2, 3], then [4]. Strays can only push ours to later claims.
          expect([...first, ...second, ...rest].filter((c) => mine.has(c.id)).map((c) => c.id)).toStrictEqual(ids)
          expect(yield* q.claim({ max: 0, leaseMs: 60_000, now: t + 10 })).toStrictEqual([])
        }))

      it.scoped("an expired lease returns the item: same id and run time, claims + 1, a new token", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          const [first] = yield* claimOwn([id], { now: t, leaseMs: 1_000 })
          expect(first).toMatchObject({ id, runAt: t, claims: 1 })
          expect(yield* claimOwn([id], { now: t + 999, leaseMs: 1_000 })).toStrictEqual([])
          const [second] = yield* claimOwn([id], { now: t + 1_001, leaseMs: 1_000 })
          expect(second).toMatchObject({ id, runAt: t, claims: 2 })
          expect(second.token).not.toBe(first.token)
          expect(yield* claimOwn([id], { now: t + 2_000, leaseMs: 1_000 })).toStrictEqual([])
          const [third] = yield* claimOwn([id], { now: t + 2_002, leaseMs: 1_000 })
          expect(third).toMatchObject({ id, claims: 3 })
          expect(yield* q.has([id])).toStrictEqual(new Set([id]))
        }))

      it.scoped("parallel claims never hand one item to two claimers within a lease", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const ids = yield* ownIds(200)
          const t = Date.now()
          yield* q.enqueue(ids.map((id, i) => ({ id, runAt: t + (i % 7) })))
          const batches = yield* Effect.all(
            Array.from({ length: 25 }, () => q.claim({ max: 10, leaseMs: 60_000, now: t + 10 })),
            { concurrency: "unbounded" }
          )
          const claimed = batches.flat()
          expect(new Set(idsOf(claimed)).size).toBe(claimed.length)
          expect(new Set(claimed.map((c) => c.token)).size).toBe(claimed.length)
          const mine = new Set(ids)
          const foreign = claimed.filter((c) => !mine.has(c.id))
          if (foreign.length > 0) yield* q.reschedule(foreign.map((item) => ({ item, runAt: item.runAt })))
          // Whatever the burst left (only if strays took some of its capacity) is still there, once.
          const rest = yield* claimOwn(ids, { now: t + 10 })
          const all = [...idsOf(claimed.filter((c) => mine.has(c.id))), ...idsOf(rest)]
          expect(all.length).toBe(200)
          expect(new Set(all)).toStrictEqual(mine)
        }))

      it.scoped(
        "10,000 items enqueued in one call are claimed once each, in run time order",
        () =>
          Effect.gen(function*() {
            const q = yield* queue
            const ids = yield* ownIds(10_000)
            const t = Date.now()
            // A permutation of run times, so the queue has to order them.
            yield* q.enqueue(ids.map((id, i) => ({ id, runAt: t + ((i * 7_919) % 10_000) })))
            const claimed: Array<{ readonly id: string; readonly runAt: number }> = []
            for (let round = 0; round < 20; round++) {
              const batch = yield* claimOwn(ids, { now: t + 10_000, max: 1_000 })
              if (batch.length === 0) break
              claimed.push(...batch)
            }
            expect(claimed.length).toBe(10_000)
            expect(new Set(idsOf(claimed)).size).toBe(10_000)
            for (let i = 1; i < claimed.length; i++) {
              expect(claimed[i].runAt).toBeGreaterThanOrEqual(claimed[i - 1].runAt)
            }
          }),
        60_000
      )
    })

    describe("complete, reschedule, release, remove", () => {
      it.scoped("complete removes claimed items", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [x, y] = yield* ownIds(2)
          const t = Date.now()
          yield* q.enqueue([{ id: x, runAt: t }, { id: y, runAt: t + 1 }])
          const [cx, cy] = yield* claimOwn([x, y], { now: t + 1, leaseMs: 1_000 })
          yield* q.complete([cx])
          expect(yield* q.has([x, y])).toStrictEqual(new Set([y]))
          // Long after every lease: only y comes back.
          const later = yield* claimOwn([x, y], { now: t + 86_400_000 })
          expect(later.map((c) => [c.id, c.claims])).toStrictEqual([[y, 2]])
          yield* q.complete([later[0]])
          expect(yield* q.has([x, y])).toStrictEqual(new Set())
          expect(cy.id).toBe(y)
        }))

      it.scoped("a stale token (the item was claimed again) cannot complete, reschedule or release it", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          const [stale] = yield* claimOwn([id], { now: t, leaseMs: 1_000 })
          const [fresh] = yield* claimOwn([id], { now: t + 1_001, leaseMs: 1_000 })
          expect(fresh.claims).toBe(2)

          yield* q.complete([stale])
          expect(yield* q.has([id])).toStrictEqual(new Set([id]))
          yield* q.reschedule([{ item: stale, runAt: t }])
          expect(yield* claimOwn([id], { now: t + 1_500 })).toStrictEqual([])
          yield* q.release([stale])
          expect(yield* claimOwn([id], { now: t + 1_500 })).toStrictEqual([])

          yield* q.complete([fresh])
          expect(yield* q.has([id])).toStrictEqual(new Set())
        }))

      it.scoped("after its lease expired, a holder can still finish an item nobody has claimed again", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [x, y, z] = yield* ownIds(3)
          const t = Date.now()
          yield* q.enqueue([{ id: x, runAt: t }, { id: y, runAt: t + 1 }, { id: z, runAt: t + 2 }])
          const [cx, cy, cz] = yield* claimOwn([x, y, z], { now: t + 2, leaseMs: 1_000 })
          // Time passes beyond every lease; a claim that takes nothing must not invalidate the tokens.
          expect(yield* q.claim({ max: 0, leaseMs: 1_000, now: t + 5_000 })).toStrictEqual([])
          yield* q.complete([cx])
          yield* q.reschedule([{ item: cy, runAt: t + 9_000 }])
          yield* q.release([cz])
          expect(yield* q.has([x, y, z])).toStrictEqual(new Set([y, z]))
          const now = yield* claimOwn([x, y, z], { now: t + 5_000 })
          // Released unstarted: the claim does not count.
          expect(now.map((c) => [c.id, c.runAt, c.claims])).toStrictEqual([[z, t + 2, 1]])
          expect(yield* claimOwn([x, y, z], { now: t + 8_999 })).toStrictEqual([])
          expect(idsOf(yield* claimOwn([x, y, z], { now: t + 9_000 }))).toStrictEqual([y])
        }))

      it.scoped("reschedule returns the item at its new run time, its claim count back to 0", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          const [claimed] = yield* claimOwn([id], { now: t, leaseMs: 60_000 })
          yield* q.reschedule([{ item: claimed, runAt: t + 5_000 }])
          expect(yield* q.has([id])).toStrictEqual(new Set([id]))
          expect(yield* claimOwn([id], { now: t + 4_999 })).toStrictEqual([])
          const [again] = yield* claimOwn([id], { now: t + 5_000, leaseMs: 60_000 })
          // Rescheduled with a result: the count starts again.
          expect(again).toMatchObject({ id, runAt: t + 5_000, claims: 1 })
          expect(again.token).not.toBe(claimed.token)
          // Rescheduling earlier than the lease end makes it due then: the lease is over.
          yield* q.reschedule([{ item: again, runAt: t + 5_001 }])
          expect(idsOf(yield* claimOwn([id], { now: t + 5_001 }))).toStrictEqual([id])
        }))

      it.scoped("release returns the item due at once, with its run time unchanged and its claim count back to 0", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [id, other] = yield* ownIds(2)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }, { id: other, runAt: t + 1 }])
          const claimed = yield* claimOwn([id, other], { now: t + 10, leaseMs: 60_000 })
          yield* q.release(claimed.filter((c) => c.id === id))
          const [again] = yield* claimOwn([id, other], { now: t + 10, leaseMs: 60_000 })
          expect(again).toMatchObject({ id, runAt: t, claims: 1 })
          expect(again.token).not.toBe(claimed[0].token)
          expect(yield* claimOwn([id, other], { now: t + 10 })).toStrictEqual([])
        }))

      it.scoped("claims counts the claims since the last result: lease expiries add up, reschedule and release reset", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          // Three holders die in turn (their leases expire): each claim counts.
          const counts: Array<number> = []
          for (let i = 0; i < 3; i++) {
            const [claimed] = yield* claimOwn([id], { now: t + i * 1_000, leaseMs: 1_000 })
            counts.push(claimed.claims)
          }
          expect(counts).toStrictEqual([1, 2, 3])
          // Re-enqueueing (a retry, a sweep) keeps the count: no result was recorded.
          yield* q.enqueue([{ id, runAt: t + 3_000 }])
          const [afterEnqueue] = yield* claimOwn([id], { now: t + 3_000, leaseMs: 1_000 })
          expect(afterEnqueue.claims).toBe(4)
          // A result recorded (rescheduled): the next claim is the first since.
          yield* q.reschedule([{ item: afterEnqueue, runAt: t + 3_000 }])
          const [afterReschedule] = yield* claimOwn([id], { now: t + 3_000, leaseMs: 1_000 })
          expect(afterReschedule.claims).toBe(1)
          const [expired] = yield* claimOwn([id], { now: t + 4_000, leaseMs: 1_000 })
          expect(expired.claims).toBe(2)
          // Released unstarted: neither this claim nor the expired ones before count.
          yield* q.release([expired])
          const [afterRelease] = yield* claimOwn([id], { now: t + 4_000, leaseMs: 1_000 })
          expect(afterRelease.claims).toBe(1)
        }))

      it.scoped("enqueueUnclaimed leaves items under a live lease with their holder and queues the rest", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [held, waiting, expired, absent] = yield* ownIds(4)
          const t = Date.now()
          yield* q.enqueue([{ id: held, runAt: t }, { id: expired, runAt: t }, { id: waiting, runAt: t + 60_000 }])
          // Both claimed at t, leased until t + 10,000.
          const claimed = yield* claimOwn([held, expired], { now: t, leaseMs: 10_000 })
          expect(idsOf(claimed).sort()).toStrictEqual([held, expired].sort())
          const holder = claimed.find((c) => c.id === held)!
          const staleHolder = claimed.find((c) => c.id === expired)!

          // During the lease: left with its holder, reported, not made due.
          expect(yield* q.enqueueUnclaimed([{ id: held, runAt: t + 5_000 }], t + 5_000)).toStrictEqual(new Set([held]))
          expect(yield* claimOwn([held], { now: t + 5_000 })).toStrictEqual([])
          yield* q.complete([holder])
          expect(yield* q.has([held])).toStrictEqual(new Set())

          // After the lease: queued again (its holder's token goes stale, its claim count kept); a waiting item
          // moves to the new run time; an id not queued is queued.
          const none = yield* q.enqueueUnclaimed([
            { id: expired, runAt: t + 11_000 },
            { id: waiting, runAt: t + 11_000 },
            { id: absent, runAt: t + 11_000 }
          ], t + 11_000)
          expect(none).toStrictEqual(new Set())
          yield* q.complete([staleHolder])
          expect(yield* q.has([waiting, expired, absent])).toStrictEqual(new Set([waiting, expired, absent]))
          expect(yield* claimOwn([waiting, expired, absent], { now: t + 10_999 })).toStrictEqual([])
          const again = yield* claimOwn([waiting, expired, absent], { now: t + 11_000 })
          const byId = new Map(again.map((c) => [c.id, [c.runAt, c.claims]]))
          expect(byId).toStrictEqual(
            new Map([[waiting, [t + 11_000, 1]], [expired, [t + 11_000, 2]], [absent, [t + 11_000, 1]]])
          )
          expect(yield* q.enqueueUnclaimed([], t)).toStrictEqual(new Set())
        }))

      it.scoped("claimById leases one item, queued or not, unless its lease is still running", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [absent, waiting, held] = yield* ownIds(3)
          const t = Date.now()
          yield* q.enqueue([{ id: waiting, runAt: t + 60_000 }, { id: held, runAt: t }])
          const [holder] = yield* claimOwn([held], { now: t, leaseMs: 10_000 })

          // Not queued, or waiting (even not due yet): leased at once under a new token, claim count 1.
          const a = yield* q.claimById({ id: absent, runAt: t + 1_000, leaseMs: 5_000, now: t })
          const w = yield* q.claimById({ id: waiting, runAt: t + 1_000, leaseMs: 5_000, now: t })
          expect(a).toMatchObject({ id: absent, runAt: t + 1_000, claims: 1 })
          expect(w).toMatchObject({ id: waiting, runAt: t + 1_000, claims: 1 })
          expect(new Set([a!.token, w!.token, holder.token]).size).toBe(3)
          // Held: no claim hands them out, and "retry now" elsewhere is refused, until the lease ends.
          expect(yield* claimOwn([absent, waiting], { now: t + 4_999 })).toStrictEqual([])
          expect(yield* q.enqueueUnclaimed([{ id: absent, runAt: t }], t + 1)).toStrictEqual(new Set([absent]))

          // The holder completes it: gone. Had it died, the lease would end and a claim would take the item.
          yield* q.complete([a!])
          expect(yield* q.has([absent])).toStrictEqual(new Set())
          const [expired] = yield* claimOwn([waiting], { now: t + 5_000 })
          expect(expired).toMatchObject({ id: waiting, claims: 2 })

          // Under a live lease: refused, and the holder keeps it.
          expect(yield* q.claimById({ id: held, runAt: t, leaseMs: 5_000, now: t + 9_999 })).toBeUndefined()
          yield* q.reschedule([{ item: holder, runAt: t + 20_000 }])
          expect(yield* claimOwn([held], { now: t + 20_000 })).toMatchObject([{ id: held, claims: 1 }])

          // A lease that has ended can be claimed by id again; the old holder's token is stale.
          const again = yield* q.claimById({ id: waiting, runAt: t + 6_000, leaseMs: 5_000, now: t + 65_000 })
          expect(again).toMatchObject({ id: waiting, runAt: t + 6_000, claims: 1 })
          yield* q.complete([expired])
          expect(yield* q.has([waiting])).toStrictEqual(new Set([waiting]))
          yield* q.complete([again!])
          expect(yield* q.has([waiting])).toStrictEqual(new Set())
        }))

      it.scoped("remove drops waiting and claimed items; has reports queued ids, claimed or not", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [a, b, c] = yield* ownIds(3)
          const unknown = Id.make("dlv")
          const t = Date.now()
          yield* q.enqueue([{ id: a, runAt: t }, { id: b, runAt: t + 1 }, { id: c, runAt: t + 2 }])
          const [claimedA] = yield* claimOwn([a, b, c], { now: t, leaseMs: 1_000 })
          expect(claimedA.id).toBe(a)
          expect(yield* q.has([a, b, c, unknown])).toStrictEqual(new Set([a, b, c]))
          expect(yield* q.has([])).toStrictEqual(new Set())

          yield* q.remove([a, b, unknown])
          expect(yield* q.has([a, b, c, unknown])).toStrictEqual(new Set([c]))
          // Completing a removed item does not bring it back.
          yield* q.complete([claimedA])
          yield* q.release([claimedA])
          expect(yield* q.has([a])).toStrictEqual(new Set())
          expect(idsOf(yield* claimOwn([a, b, c], { now: t + 86_400_000 }))).toStrictEqual([c])
        }))

      it.scoped("enqueueing a queued id replaces its run time, never duplicates it", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [x, y] = yield* ownIds(2)
          const t = Date.now()
          yield* q.enqueue([{ id: x, runAt: t + 1_000 }])
          yield* q.enqueue([{ id: x, runAt: t + 10 }])
          const [claimed] = yield* claimOwn([x], { now: t + 10, leaseMs: 86_400_000 })
          expect(claimed).toMatchObject({ id: x, runAt: t + 10 })
          expect(yield* claimOwn([x], { now: t + 100_000 })).toStrictEqual([])

          yield* q.enqueue([{ id: y, runAt: t }])
          yield* q.enqueue([{ id: y, runAt: t + 1_000 }])
          expect(yield* claimOwn([y], { now: t + 500 })).toStrictEqual([])
          expect(idsOf(yield* claimOwn([y], { now: t + 1_000 }))).toStrictEqual([y])
          expect(yield* claimOwn([y], { now: t + 2_000 })).toStrictEqual([])
        }))

      it.scoped("whole-millisecond run times round-trip exactly through enqueue, claim, reschedule and release", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [near, far, odd] = yield* ownIds(3)
          const t = Date.now()
          // Now, a year-9999 time (beyond 32-bit seconds and float32), and an odd one (no rounding to even).
          const times = { [near]: t, [far]: 253_402_300_799_999, [odd]: t - 86_400_001 }
          yield* q.enqueue([near, far, odd].map((id) => ({ id, runAt: times[id] })))
          const claimed = yield* claimOwn([near, far, odd], { now: 253_402_300_799_999, leaseMs: 1 })
          expect(Object.fromEntries(claimed.map((c) => [c.id, c.runAt]))).toStrictEqual(times)
          for (const c of claimed) expect(Number.isSafeInteger(c.runAt)).toBe(true)
          const later = t + 1_234_567
          yield* q.reschedule(claimed.filter((c) => c.id !== far).map((item) => ({ item, runAt: later + 1 })))
          yield* q.release(claimed.filter((c) => c.id === far))
          const again = yield* claimOwn([near, far, odd], { now: 253_402_300_799_999, leaseMs: 60_000 })
          expect(Object.fromEntries(again.map((c) => [c.id, c.runAt]))).toStrictEqual({
            [near]: later + 1,
            [odd]: later + 1,
            [far]: 253_402_300_799_999
          })
        }))

      it.scoped("empty batches are no-ops", () =>
        Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          yield* q.enqueue([])
          yield* q.complete([])
          yield* q.reschedule([])
          yield* q.release([])
          yield* q.remove([])
          expect(yield* q.has([id])).toStrictEqual(new Set([id]))
          expect(idsOf(yield* claimOwn([id], { now: t }))).toStrictEqual([id])
        }))
    })

    describe("awaitWork", () => {
      it.scoped("returns at once when an item is already due", () =>
        live(Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          yield* within(q.awaitWork({ now: t, maxWaitMs: 60_000 }))
        })))

      it.scoped("wakes promptly when another fiber enqueues", () =>
        live(Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          const waiter = yield* Effect.fork(q.awaitWork({ now: t, maxWaitMs: 60_000 }))
          // Let the waiter start waiting first (either order must work).
          yield* Effect.yieldNow()
          yield* q.enqueue([{ id, runAt: t }])
          yield* within(Fiber.join(waiter))
          expect(idsOf(yield* claimOwn([id], { now: t }))).toStrictEqual([id])
        })))

      it.scoped("wakes promptly when another fiber reschedules or releases", () =>
        live(Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          const [first] = yield* claimOwn([id], { now: t, leaseMs: 600_000 })
          const waiter = yield* Effect.fork(q.awaitWork({ now: t, maxWaitMs: 60_000 }))
          yield* Effect.yieldNow()
          yield* q.reschedule([{ item: first, runAt: t }])
          yield* within(Fiber.join(waiter))

          const [second] = yield* claimOwn([id], { now: t, leaseMs: 600_000 })
          const again = yield* Effect.fork(q.awaitWork({ now: t, maxWaitMs: 60_000 }))
          yield* Effect.yieldNow()
          yield* q.release([second])
          yield* within(Fiber.join(again))
        })))

      it.scoped("wakes when the earliest run time is reached", () =>
        live(Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t + 200 }])
          yield* within(q.awaitWork({ now: t, maxWaitMs: 60_000 }))
        })))

      it.scoped("wakes when a lease expires", () =>
        live(Effect.gen(function*() {
          const q = yield* queue
          const [id] = yield* ownIds(1)
          const t = Date.now()
          yield* q.enqueue([{ id, runAt: t }])
          expect(idsOf(yield* claimOwn([id], { now: t, leaseMs: 200 }))).toStrictEqual([id])
          yield* within(q.awaitWork({ now: t, maxWaitMs: 60_000 }))
        })))

      it.scoped("returns by maxWaitMs when there is no work", () =>
        live(Effect.gen(function*() {
          const q = yield* queue
          yield* within(q.awaitWork({ now: Date.now(), maxWaitMs: 100 }))
        })))
    })
  })
