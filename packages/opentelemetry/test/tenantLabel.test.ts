import { RetryPolicy } from "@hookwire/core"
import { openTelemetry } from "@hookwire/opentelemetry"
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { afterEach, describe, expect, it } from "vitest"
import { engine, waitFor } from "./fixtures.js"

// Its own file: Effect's metrics are per process, and OpenTelemetry.test.ts checks the label's absence.
describe("openTelemetry with a meter provider and the tenant label (Promise API)", () => {
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 60_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  let close = async () => {}
  afterEach(() => close())

  const points = async (name: string) => {
    await reader.forceFlush()
    const exported = metrics.getMetrics()
    const metric = exported[exported.length - 1]?.scopeMetrics.filter((s) => s.scope.name === "@hookwire/core")
      .flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)
    return (metric?.dataPoints ?? []) as ReadonlyArray<{ attributes: Record<string, unknown>; value: unknown }>
  }

  it("labels attempts by outcome and tenant, on the host's meter provider", async () => {
    const seen = new Set<string>()
    // acme's and globex's first request fails (a 500: retried), the next succeeds; initech's succeeds at once (the
    // dispatcher's path for a delivery to a healthy endpoint).
    const test = await engine(
      openTelemetry({ meterProvider, tenantLabel: true, queueGauges: { interval: "50 millis" } }),
      (request, response) => {
        response.statusCode = request.url === "/initech" || seen.has(request.url!) ? 200 : 500
        seen.add(request.url!)
        response.end()
      }
    )
    close = test.close
    const { hookwire } = test
    for (const tenant of ["acme", "globex", "initech"]) {
      await hookwire.endpoints.create({
        tenant,
        url: `${test.url}/${tenant}`,
        retryPolicy: RetryPolicy.fixed(["10 millis"])
      })
    }
    await hookwire.start()
    await hookwire.publish({ tenant: "acme", type: "invoice.paid", data: { id: "in_1" } })
    await waitFor("acme's delivery", () => test.succeeded.length === 1, 15_000)
    await hookwire.publish({ tenant: "globex", type: "invoice.paid", data: { id: "in_2" } })
    await waitFor("globex's delivery", () => test.succeeded.length === 2, 15_000)
    await hookwire.publish({ tenant: "initech", type: "invoice.paid", data: { id: "in_3" } })
    await waitFor("initech's delivery", () => test.succeeded.length === 3, 15_000)

    const attempts = await points("hookwire_attempts_total")
    const value = (outcome: string, tenant: string) =>
      attempts.find((p) => p.attributes.outcome === outcome && p.attributes.tenant === tenant)?.value
    expect(value("retry", "acme")).toBe(1)
    expect(value("delivered", "acme")).toBe(1)
    expect(value("retry", "globex")).toBe(1)
    expect(value("delivered", "globex")).toBe(1)
    expect(value("delivered", "initech")).toBe(1)
    expect(value("retry", "initech")).toBeUndefined()
    expect(attempts.every((p) => typeof p.attributes.tenant === "string")).toBe(true)
    // Counters and gauges reach a meter provider; the gauges read the (now empty) backlog.
    expect((await points("hookwire_messages_published_total"))[0].value).toBe(3)
    await waitFor(
      "the backlog gauge at 0",
      async () => (await points("hookwire_deliveries_due"))[0]?.value === 0,
      10_000
    )
  })
})
