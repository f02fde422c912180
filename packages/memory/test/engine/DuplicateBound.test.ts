/**
 * The duplicate bound after a crash (issue 16.3): up to `concurrency` unwritten results free their attempts' slots,
 * beyond that a slot is free only once its result is durable, so a worker never has more than 2 × `concurrency`
 * deliveries sent without a written result — what a crash can send twice.
 * (The crash itself, with real processes and a kill -9, is tested on Postgres and on Redis in their packages.)
 */
import { describe, expect, it } from "@effect/vitest"
import { Dispatcher, RecordingTransport, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { engine, eventually } from "./harness.js"

const tenant = "acme"

describe("while attempt results cannot be written", () => {
  // Writes wait for this gate; the test opens it at its end, so that shutdown can write what it has.
  let open: () => void = () => {}
  const gate = new Promise<void>((resolve) => {
    open = resolve
  })
  it.effect("a worker sends at most 2 × `concurrency` deliveries, then claims nothing more", () =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      for (let i = 0; i < 4; i++) yield* w.endpoints.create({ tenant, url: `https://r${i}.example/webhooks` })
      for (let i = 0; i < 10; i++) {
        yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: `in_${i}`, amount: i } })
      }
      yield* RecordingTransport.awaitRequests(16)
      // Plenty of turns and time for a worker that freed its slots before the writes to claim and send the rest.
      for (let step = 0; step < 50; step++) yield* TestClock.adjust("100 millis")
      const stats = yield* eventually(
        Effect.flatMap(Dispatcher.Dispatcher, (d) => d.stats),
        (s) => s.inFlight === 0
      )
      expect(yield* RecordingTransport.requests).toHaveLength(16)
      expect(stats).toMatchObject({ occupied: 8, inFlight: 0, waiting: 0, unwritten: 16 })
      open()
      yield* eventually(Effect.flatMap(Dispatcher.Dispatcher, (d) => d.stats), (s) => s.unwritten === 0)
      // Written: the slots are free, and the rest is sent.
      yield* RecordingTransport.awaitRequests(40)
    }).pipe(
      // Also when an expectation failed: shutdown waits for the writer.
      Effect.ensuring(Effect.sync(() => open())),
      Effect.provide(engine({
        dispatcher: { concurrency: 8 },
        wrapStorage: (storage) => ({
          ...storage,
          recordAttempts: (results) => Effect.zipRight(Effect.promise(() => gate), storage.recordAttempts(results))
        })
      }) as Layer.Layer<Webhooks.Webhooks | Dispatcher.Dispatcher | RecordingTransport.RecordingTransport>)
    ))
})
