import { createHookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { openTelemetry } from "@hookwire/opentelemetry"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  type MetricData,
  PeriodicExportingMetricReader
} from "@opentelemetry/sdk-metrics"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { afterEach, describe, expect, it } from "vitest"
import { catalog, engine, waitFor } from "./fixtures.js"

// One engine per file: Effect's metrics are per process, so the tenant label's absence is checked here, alone,
// and its presence in tenantLabel.test.ts.
describe("openTelemetry with a tracer provider and a metric reader (Promise API)", () => {
  const spans = new InMemorySpanExporter()
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 60_000 })
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  let close = async () => {}
  afterEach(() => close())

  /** The latest exported points of one metric, after asking the reader to export now. */
  const points = async (name: string) => {
    await reader.forceFlush()
    const exported = metrics.getMetrics()
    const latest = exported[exported.length - 1]
    const metric: MetricData | undefined = latest?.scopeMetrics.flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === name)
    return (metric?.dataPoints ?? []) as ReadonlyArray<{ attributes: Record<string, unknown>; value: unknown }>
  }

  it("exports the attempt's client span and the metrics by outcome, without a tenant label; the backlog gauges follow the queue", async () => {
    const test = await engine(openTelemetry({
      tracerProvider,
      metricReader: reader,
      queueGauges: { interval: "50 millis" }
    }))
    close = test.close
    const { hookwire } = test
    const endpoint = await hookwire.endpoints.create({ tenant: "acme", url: `${test.url}/hooks` })
    // Published before start(): the delivery waits, due, and the gauges see it.
    const published = await hookwire.publish({ tenant: "acme", type: "invoice.paid", data: { id: "in_1" } })
    expect(published.deliveries).toBe(1)
    await waitFor("the backlog gauge to count the waiting delivery", async () => {
      const due = await points("hookwire_deliveries_due")
      return due.length === 1 && due[0].value === 1
    }, 10_000)
    expect((await points("hookwire_oldest_due_age_ms"))[0].value).toBeGreaterThanOrEqual(0)

    await hookwire.start()
    await waitFor("the delivery", () => test.succeeded.length === 1, 10_000)
    await waitFor("the backlog gauge to drop to 0", async () => {
      const due = await points("hookwire_deliveries_due")
      return due.length === 1 && due[0].value === 0
    }, 10_000)

    // The span: a client span with the HTTP attributes and the delivery's ids.
    const attempt = spans.getFinishedSpans().find((s) => s.name === "Dispatcher.attempt")
    expect(attempt).toBeDefined()
    expect(attempt!.kind).toBe(SpanKind.CLIENT)
    expect(attempt!.status.code).not.toBe(SpanStatusCode.ERROR)
    expect(attempt!.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "hookwire.delivery": test.succeeded[0],
      "hookwire.endpoint": endpoint.id,
      "hookwire.attempt": 1
    })
    expect(attempt!.instrumentationScope.name).toBe("hookwire")
    expect(spans.getFinishedSpans().map((s) => s.name)).toContain("Webhooks.publish")

    // The metrics: one delivered attempt, labelled by outcome only; the publish counters; the duration histogram.
    const attempts = await points("hookwire_attempts_total")
    expect(attempts).toEqual([expect.objectContaining({ attributes: { outcome: "delivered" }, value: 1 })])
    expect(attempts.every((p) => !("tenant" in p.attributes))).toBe(true)
    expect((await points("hookwire_messages_published_total"))[0].value).toBe(1)
    expect((await points("hookwire_deliveries_created_total"))[0].value).toBe(1)
    const duration = (await points("hookwire_attempt_duration_ms"))[0].value as { count: number }
    expect(duration.count).toBe(1)
  })

  it("refuses a bad option with a typed error that names it", () => {
    expect(() => openTelemetry({ tracerProvider: {} as never })).toThrow(
      expect.objectContaining({ _tag: "ValidationError", field: "tracerProvider" })
    )
    expect(() => openTelemetry({ tenantLabels: true } as never)).toThrow(
      expect.objectContaining({ _tag: "ValidationError", field: "tenantLabels" })
    )
    expect(() => openTelemetry({ queueGauges: { interval: "soon" } } as never)).toThrow(
      expect.objectContaining({ _tag: "ValidationError", field: "queueGauges.interval" })
    )
    // createHookwire's option itself: { layer }, nothing else.
    expect(() => createHookwire({ adapter: memory(), catalog, telemetry: {} as never })).toThrow(
      expect.objectContaining({ _tag: "ValidationError", code: "invalid_option", field: "telemetry" })
    )
  })
})
