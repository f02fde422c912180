import { describe, expect, it } from "@effect/vitest"
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import * as Id from "@hookwire/core/Id"
import { queueSuite } from "@hookwire/core/test/contract/QueueSuite"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as MemoryQueue from "../src/MemoryQueue.js"

queueSuite("memory", MemoryQueue.layer)

const T = 1_000_000

/** Whether the fiber completes when given plenty of turns to run (no time passes on the TestClock). */
const isDone = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 20; turn++) {
      if (Option.isSome(yield* Fiber.poll(fiber))) return true
      yield* Effect.yieldNow()
    }
    return false
  })

describe("MemoryQueue.awaitWork on the TestClock", () => {
  it.effect("waits maxWaitMs when idle, not less", () =>
    Effect.gen(function*() {
      const q = yield* MemoryQueue.make
      const waiter = yield* Effect.fork(q.awaitWork({ now: T, maxWaitMs: 1_000 }))
      yield* TestClock.adjust("999 millis")
      expect(yield* isDone(waiter)).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(yield* isDone(waiter)).toBe(true)
    }))

  it.effect("wakes at the earliest run time, and at a lease expiry", () =>
    Effect.gen(function*() {
      const q = yield* MemoryQueue.make
      yield* q.enqueue([{ id: "a", runAt: T + 300 }, { id: "b", runAt: T + 500 }])
      const waiter = yield* Effect.fork(q.awaitWork({ now: T, maxWaitMs: 60_000 }))
      yield* TestClock.adjust("299 millis")
      expect(yield* isDone(waiter)).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(yield* isDone(waiter)).toBe(true)

      const claimed = yield* q.claim({ max: 10, leaseMs: 1_000, now: T + 600 })
      expect(claimed.map((c) => c.id)).toStrictEqual(["a", "b"])
      const leased = yield* Effect.fork(q.awaitWork({ now: T + 600, maxWaitMs: 60_000 }))
      yield* TestClock.adjust("999 millis")
      expect(yield* isDone(leased)).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(yield* isDone(leased)).toBe(true)
    }))

  it.effect("returns at once when work is due, or maxWaitMs is 0", () =>
    Effect.gen(function*() {
      const q = yield* MemoryQueue.make
      const returnsAtOnce = (options: { readonly now: number; readonly maxWaitMs: number }) =>
        Effect.flatMap(Effect.fork(q.awaitWork(options)), isDone)
      expect(yield* returnsAtOnce({ now: T, maxWaitMs: 0 })).toBe(true)
      expect(yield* returnsAtOnce({ now: T, maxWaitMs: 60_000 })).toBe(false)
      yield* q.enqueue([{ id: "a", runAt: T }])
      expect(yield* returnsAtOnce({ now: T, maxWaitMs: 60_000 })).toBe(true)
      yield* q.claim({ max: 1, leaseMs: 100, now: T })
      expect(yield* returnsAtOnce({ now: T + 99, maxWaitMs: 60_000 })).toBe(false)
      expect(yield* returnsAtOnce({ now: T + 100, maxWaitMs: 60_000 })).toBe(true)
    }))

  it.effect("enqueue, reschedule and release wake every waiter; complete and remove do not", () =>
    Effect.gen(function*() {
      const q = yield* MemoryQueue.make
      const wait = () => Effect.fork(q.awaitWork({ now: T, maxWaitMs: 60_000 }))
      const w1 = yield* wait()
      const w2 = yield* wait()
      yield* Effect.yieldNow()
      expect(yield* isDone(w1)).toBe(false)
      yield* q.enqueue([{ id: "a", runAt: T + 10_000 }])
      expect(yield* isDone(w1)).toBe(true)
      expect(yield* isDone(w2)).toBe(true)

      const [a] = yield* q.claim({ max: 1, leaseMs: 30_000, now: T + 10_000 })
      const w3 = yield* wait()
      yield* q.remove(["nothing"])
      yield* q.complete([{ ...a, token: "stale" }])
      expect(yield* isDone(w3)).toBe(false)
      yield* q.reschedule([{ item: a, runAt: T + 20_000 }])
      expect(yield* isDone(w3)).toBe(true)

      const [again] = yield* q.claim({ max: 1, leaseMs: 30_000, now: T + 20_000 })
      const w4 = yield* wait()
      yield* q.release([{ ...again, token: "stale" }])
      expect(yield* isDone(w4)).toBe(false)
      yield* q.release([again])
      expect(yield* isDone(w4)).toBe(true)

      const [last] = yield* q.claim({ max: 1, leaseMs: 30_000, now: T + 20_000 })
      const w5 = yield* wait()
      yield* q.complete([last])
      expect(yield* isDone(w5)).toBe(false)
      yield* Fiber.interrupt(w5)
    }))
})

describe("MemoryQueue against a reference model", () => {
  interface ModelItem {
    runAt: number
    claims: number
    token: string | null
    leaseUntil: number
  }

  it.effect("random operations give the same claims as a plain scan", () =>
    Effect.gen(function*() {
      const q = yield* MemoryQueue.make
      const model = new Map<string, ModelItem>()
      const ids = Array.from({ length: 300 }, () => Id.make("dlv"))
      let seed = 7
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
        return seed % n
      }
      let now = T
      let held: Array<DeliveryQueue.ClaimedItem> = []
      for (let step = 0; step < 20_000; step++) {
        now += random(3)
        const op = random(10)
        if (op < 3) {
          const items = Array.from(
            { length: 1 + random(5) },
            () => ({ id: ids[random(ids.length)], runAt: now + random(50) })
          )
          yield* q.enqueue(items)
          for (const item of items) {
            const existing = model.get(item.id)
            model.set(item.id, { runAt: item.runAt, claims: existing?.claims ?? 0, token: null, leaseUntil: 0 })
          }
        } else if (op < 6) {
          const max = random(6)
          const leaseMs = 1 + random(40)
          const claimed = yield* q.claim({ max, leaseMs, now })
          // Reference: expired leases are due again at their own run time; due items by (runAt, id order of arrival).
          const due = [...model.entries()]
            .filter(([, m]) => (m.token === null && m.runAt <= now) || (m.token !== null && m.leaseUntil <= now))
          expect(claimed.length).toBe(Math.min(max, due.length))
          const dueRunAts = due.map(([, m]) => m.runAt).sort((a, b) => a - b)
          expect(claimed.map((c) => c.runAt)).toStrictEqual(dueRunAts.slice(0, claimed.length))
          for (const c of claimed) {
            const m = model.get(c.id)!
            expect(m.token === null ? m.runAt <= now : m.leaseUntil <= now).toBe(true)
            expect(c.runAt).toBe(m.runAt)
            m.claims++
            expect(c.claims).toBe(m.claims)
            m.token = c.token
            m.leaseUntil = now + leaseMs
          }
          held.push(...claimed)
        } else if (op < 9 && held.length > 0) {
          const item = held.splice(random(held.length), 1)[0]
          const m = model.get(item.id)
          const current = m !== undefined && m.token === item.token
          const kind = random(3)
          if (kind === 0) {
            yield* q.complete([item])
            if (current) model.delete(item.id)
          } else if (kind === 1) {
            const runAt = now + random(50)
            yield* q.reschedule([{ item, runAt }])
            if (current) Object.assign(m, { runAt, token: null, claims: 0 })
          } else {
            yield* q.release([item])
            if (current) Object.assign(m, { token: null, claims: 0 })
          }
        } else {
          const id = ids[random(ids.length)]
          yield* q.remove([id])
          model.delete(id)
        }
        if (step % 1_000 === 0) {
          expect(yield* q.has(ids)).toStrictEqual(new Set(model.keys()))
        }
      }
      held = []
    }))
})
