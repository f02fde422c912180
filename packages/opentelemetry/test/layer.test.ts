import { Catalog, Dispatcher, Hookwire, Webhooks } from "@hookwire/core"
import { invalidOption } from "@hookwire/core/test/contract/LayerFailures"
import { MemoryQueue, MemoryStorage } from "@hookwire/memory"
import { OpenTelemetry } from "@hookwire/opentelemetry"
import { servers } from "@hookwire/testing/http"
import { waitFor } from "@hookwire/testing/services"
import { SpanKind } from "@opentelemetry/api"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { afterEach, describe, expect, it } from "vitest"

describe("OpenTelemetry.layer (Effect API)", () => {
  const http = servers()
  afterEach(() => http.closeAll())

  it("provided like a logger, sends the dispatcher's attempt spans to the tracer provider", async () => {
    const spans = new InMemorySpanExporter()
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
    const url = await http.listen((request, response) => request.resume().on("end", () => response.end()))
    const catalog = Catalog.make({ "invoice.paid": Schema.Struct({ id: Schema.String }) })
    // As the README shows it.
    const Live = Dispatcher.layer().pipe(
      Layer.provideMerge(Hookwire.layer({ catalog, allowHttp: true, http: { allowCidrs: ["127.0.0.1/32"] } })),
      Layer.provide(OpenTelemetry.layer({ tracerProvider, queueGauges: false })),
      Layer.provideMerge(Layer.merge(MemoryStorage.layer(), MemoryQueue.layer))
    )
    const runtime = ManagedRuntime.make(Live)
    try {
      const deliveryId = await runtime.runPromise(Effect.gen(function*() {
        const webhooks = yield* Webhooks.Webhooks
        yield* webhooks.endpoints.create({ tenant: "acme", url })
        yield* webhooks.publish({ tenant: "acme", type: "invoice.paid", data: { id: "in_1" } })
        const page = yield* webhooks.deliveries.list({ tenant: "acme" })
        return page.items[0].id
      }))
      await waitFor(
        "the attempt span",
        () => spans.getFinishedSpans().some((s) => s.name === "Dispatcher.attempt"),
        10_000
      )
      const attempt = spans.getFinishedSpans().find((s) => s.name === "Dispatcher.attempt")!
      expect(attempt.kind).toBe(SpanKind.CLIENT)
      expect(attempt.attributes).toMatchObject({ "hookwire.delivery": deliveryId, "http.response.status_code": 200 })
      expect(spans.getFinishedSpans().map((s) => s.name)).toContain("Webhooks.publish")
    } finally {
      await runtime.dispose()
    }
  })

  it("a bad option fails the layer with a ValidationError naming it (calling layer(options) does not throw)", async () => {
    const layer = OpenTelemetry.layer({ tracerProvider: {} as never, queueGauges: false }).pipe(
      Layer.provide(MemoryStorage.layer())
    )
    const error = await Effect.runPromise(invalidOption(layer))
    expect(error.field).toBe("tracerProvider")
    expect(error.message).toMatch(/getTracer/)
  })
})
