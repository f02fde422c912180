import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as DeliveryQueue from "../src/DeliveryQueue.js"

/** How many Node timers are pending. */
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length

describe("DeliveryQueue.awaitSignal", () => {
  it.live("on the live clock: returns when the signal is completed, and leaves no timer behind", () =>
    Effect.gen(function*() {
      const before = timers()
      const signal = yield* Deferred.make<void>()
      const waiting = yield* Effect.fork(DeliveryQueue.awaitSignal(signal, 60_000))
      yield* Effect.yieldNow()
      expect(timers()).toBe(before + 1)
      yield* Deferred.succeed(signal, undefined)
      yield* Fiber.join(waiting)
      expect(timers()).toBe(before)
    }))

  it.live("on the live clock: returns after the wait when nothing completes the signal", () =>
    Effect.gen(function*() {
      const signal = yield* Deferred.make<void>()
      const start = Date.now()
      yield* DeliveryQueue.awaitSignal(signal, 30)
      expect(Date.now() - start).toBeGreaterThanOrEqual(25)
      // The signal was this wait's own: the timer completed it.
      expect(yield* Deferred.isDone(signal)).toBe(true)
    }))

  it.live("on the live clock: an interrupted wait clears its timer", () =>
    Effect.gen(function*() {
      const before = timers()
      const signal = yield* Deferred.make<void>()
      const waiting = yield* Effect.fork(DeliveryQueue.awaitSignal(signal, 60_000))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiting)
      expect(timers()).toBe(before)
      expect(yield* Deferred.isDone(signal)).toBe(false)
    }))

  it.effect("under TestClock: waits until the clock has moved by the wait", () =>
    Effect.gen(function*() {
      const signal = yield* Deferred.make<void>()
      const waiting = yield* Effect.fork(DeliveryQueue.awaitSignal(signal, 1_000))
      yield* TestClock.adjust("999 millis")
      expect(waiting.unsafePoll()).toBe(null)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(waiting)
      expect(yield* Deferred.isDone(signal)).toBe(false)
    }))

  it.effect("under TestClock: returns when the signal is completed", () =>
    Effect.gen(function*() {
      const signal = yield* Deferred.make<void>()
      const waiting = yield* Effect.fork(DeliveryQueue.awaitSignal(signal, 1_000))
      yield* Deferred.succeed(signal, undefined)
      yield* Fiber.join(waiting)
    }))
})
