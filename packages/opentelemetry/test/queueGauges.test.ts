import { Catalog, Hookwire, Telemetry, Webhooks } from "@hookwire/core"
import { MemoryQueue, MemoryStorage } from "@hookwire/memory"
import { waitFor } from "@hookwire/testing/services"
import { Effect, Layer, ManagedRuntime, Metric } from "effect"
import { describe, expect, it } from "vitest"

// Core's Telemetry.layer on its own (no OpenTelemetry): the gauges page through a long backlog up to maxCount.
describe("Telemetry.layer's backlog gauges", () => {
  it("count due deliveries across pages, up to maxCount, and measure the oldest one's wait", async () => {
    const catalog = Catalog.make({ "invoice.paid": {} })
    const runtime = ManagedRuntime.make(
      Layer.merge(
        Hookwire.layer({ catalog }),
        Telemetry.layer({ queueGauges: { interval: "20 millis", maxCount: 2_400 } })
      )
        .pipe(Layer.provideMerge(Layer.merge(MemoryStorage.layer(), MemoryQueue.layer)))
    )
    const read = async () => {
      const due = await runtime.runPromise(Metric.value(Telemetry.deliveriesDue))
      const age = await runtime.runPromise(Metric.value(Telemetry.oldestDueAge))
      return { due: due.value, age: age.value }
    }
    try {
      // 2,500 deliveries due now (no dispatcher runs): more than two pages of 1,000, more than maxCount.
      await runtime.runPromise(Effect.gen(function*() {
        const webhooks = yield* Webhooks.Webhooks
        yield* webhooks.endpoints.create({ tenant: "acme", url: "https://acme.example/hooks" })
        for (let batch = 0; batch < 5; batch++) {
          const inputs = Array.from({ length: 500 }, () => ({ tenant: "acme", type: "invoice.paid", data: {} }))
          yield* webhooks.publishMany(inputs)
        }
      }))
      await waitFor("the gauge to reach maxCount", async () => (await read()).due === 2_400, 10_000)
      const first = (await read()).age
      await waitFor("the oldest delivery's wait to grow", async () => (await read()).age > first, 10_000)
      expect(await read()).toEqual({ due: 2_400, age: expect.any(Number) })
    } finally {
      await runtime.dispose()
    }
  })
})
