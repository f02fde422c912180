import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { TransportError } from "../src/Errors.js"
import * as RecordingTransport from "../src/RecordingTransport.js"
import { Transport, type TransportRequest } from "../src/Transport.js"

const post = (url: string, overrides: Partial<TransportRequest> = {}): TransportRequest => ({
  url,
  headers: { "content-type": "application/json", "webhook-signature": "v1,abc" },
  body: "{\"n\":1}",
  timeoutMs: 15_000,
  maxResponseBytes: 16 * 1024,
  ...overrides
})

/**
 * Waits until a forked fiber has registered a TestClock sleep ending at `instant` (epoch ms), so `TestClock.adjust`
 * cannot run before the sleep it is meant to end. Bounded in iterations; never sleeps. (TestClock keeps
 * interrupted sleeps in its list until their time passes, so counting sleeps would not do.)
 */
const awaitSleepEndingAt = (instant: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1_000; i++) {
      if (Chunk.some(yield* TestClock.sleeps(), (end) => end === instant)) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`no pending sleep ending at ${instant}`)
  })

const send = (request: TransportRequest) => Effect.flatMap(Transport, (transport) => transport.send(request))

describe("RecordingTransport", () => {
  it.effect("answers 204 by default and records each request with its TestClock time", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 second")
      const response = yield* send(post("https://a.example/hook"))
      expect(response).toEqual({ status: 204, headers: {}, body: "" })
      yield* TestClock.adjust("2 seconds")
      yield* send(post("https://b.example/hook", { body: "{\"n\":2}" }))
      const requests = yield* RecordingTransport.requests
      expect(requests.map((r) => [r.index, r.url, r.body, r.at])).toEqual([
        [0, "https://a.example/hook", "{\"n\":1}", 1_000],
        [1, "https://b.example/hook", "{\"n\":2}", 3_000]
      ])
      expect(requests[0].headers).toEqual({ "content-type": "application/json", "webhook-signature": "v1,abc" })
    }).pipe(Effect.provide(RecordingTransport.layer())))

  it.effect("the handler decides per request: responses with lower-cased headers, or TransportErrors", () =>
    Effect.gen(function*() {
      const first = yield* send(post("https://a.example/"))
      expect(first).toEqual({ status: 503, headers: { "retry-after": "5" }, body: "busy" })
      const second = yield* Effect.flip(send(post("https://a.example/")))
      expect(second).toBeInstanceOf(TransportError)
      expect(second.code).toBe("connect")
      const third = yield* send(post("https://a.example/"))
      expect(third.status).toBe(200)
    }).pipe(Effect.provide(RecordingTransport.layer((_request, index) =>
      index === 0
        ? { status: 503, body: "busy", headers: { "Retry-After": "5" } }
        : index === 1
        ? new TransportError({ code: "connect", message: "connection refused" })
        : { status: 200 }
    ))))

  it.effect("the body is cut at maxResponseBytes like the HTTP transport", () =>
    Effect.gen(function*() {
      const response = yield* send(post("https://a.example/", { maxResponseBytes: 5 }))
      expect(response.body).toBe("éé")
    }).pipe(Effect.provide(RecordingTransport.layer(() => ({ status: 200, body: "é".repeat(10) })))))

  it.effect("an Effect handler can take time: driven by TestClock, and timed out at timeoutMs", () =>
    Effect.gen(function*() {
      const slow = yield* Effect.fork(send(post("https://slow.example/", { timeoutMs: 5_000 })))
      const recorder = yield* RecordingTransport.RecordingTransport
      yield* recorder.awaitRequests(1)
      yield* awaitSleepEndingAt(2_000)
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(slow)).toEqual({ status: 200, headers: {}, body: "slow" })

      const tooSlow = yield* Effect.fork(send(post("https://slow.example/", { timeoutMs: 1_000 })))
      yield* recorder.awaitRequests(2)
      yield* awaitSleepEndingAt(3_000) // the 1 s timeout, started at 2 s
      yield* TestClock.adjust("1 second")
      const error = yield* Effect.flip(Fiber.join(tooSlow))
      expect(error.code).toBe("timeout")
    }).pipe(
      Effect.provide(
        RecordingTransport.layer(() => Effect.as(Effect.sleep(Duration.seconds(2)), { status: 200, body: "slow" }))
      )
    ))

  it.effect("awaitRequests waits for traffic from a forked sender without sleeping; setHandler and clear", () =>
    Effect.gen(function*() {
      const recorder = yield* RecordingTransport.RecordingTransport
      // A stand-in for a dispatcher: retries every 10 s until a 2xx.
      const sender = Effect.gen(function*() {
        for (let attempt = 0; attempt < 10; attempt++) {
          const response = yield* send(post("https://a.example/"))
          if (response.status < 300) return attempt
          yield* Effect.sleep("10 seconds")
        }
        return -1
      })
      const fiber = yield* Effect.fork(sender)
      expect((yield* recorder.awaitRequests(1)).length).toBe(1)
      yield* awaitSleepEndingAt(10_000)
      yield* TestClock.adjust("10 seconds")
      const two = yield* recorder.awaitRequests(2)
      expect(two.map((r) => r.at)).toEqual([0, 10_000])
      yield* recorder.setHandler(() => ({ status: 200 }))
      yield* awaitSleepEndingAt(20_000)
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(fiber)).toBe(2)
      expect((yield* RecordingTransport.requests).length).toBe(3)
      yield* recorder.clear
      expect(yield* recorder.requests).toEqual([])
      yield* send(post("https://b.example/"))
      const after = yield* RecordingTransport.awaitRequests(1)
      expect(after.map((r) => [r.index, r.url])).toEqual([[3, "https://b.example/"]])
    }).pipe(Effect.provide(RecordingTransport.layer(() => ({ status: 500 })))))

  it.effect("make gives an unprovided recorder for hand-wired tests", () =>
    Effect.gen(function*() {
      const recorder = yield* RecordingTransport.make()
      yield* recorder.transport.send(post("https://a.example/"))
      yield* Effect.all([
        recorder.transport.send(post("https://b.example/")),
        recorder.transport.send(post("https://c.example/"))
      ], { concurrency: "unbounded" })
      const requests = yield* recorder.requests
      expect(requests.map((r) => r.index)).toEqual([0, 1, 2])
      expect(new Set(requests.map((r) => r.url))).toEqual(
        new Set(["https://a.example/", "https://b.example/", "https://c.example/"])
      )
    }))
})
