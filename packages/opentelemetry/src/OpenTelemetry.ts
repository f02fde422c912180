/**
 * Hookwire in OpenTelemetry: the engine's spans (`Webhooks.publish`, `Dispatcher.claim`, the attempt's `client` span)
 * go to your `tracerProvider`, its metrics (attempts by outcome, publish counts, attempt duration, queue lag, the
 * backlog gauges) to your `meterProvider` or `metricReader`, through `@effect/opentelemetry`. One call for the
 * Promise API, `createHookwire({ telemetry: openTelemetry({ ... }) })`, and a Layer for the Effect API.
 *
 * @since 0.1.0
 */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import type { DeliveryQueue, Storage } from "@hookwire/core"
import { Errors, Telemetry } from "@hookwire/core"
import type { MeterProvider, TracerProvider } from "@opentelemetry/api"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as meterBridge from "./internal/meterBridge.js"

const version = "0.1.0"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Telemetry.Options {
  /** Where the spans go, e.g. a `NodeTracerProvider` or `BasicTracerProvider` with your span processors. */
  readonly tracerProvider?: TracerProvider | undefined
  /**
   * Where the metrics go: your `MeterProvider` (counters and gauges, as observable instruments of the
   * `@hookwire/core` meter; the two histograms need `metricReader`).
   */
  readonly meterProvider?: MeterProvider | undefined
  /**
   * Or a `MetricReader` of Hookwire's own (not one a `MeterProvider` already holds): every metric, histograms
   * included, exported by `@effect/opentelemetry`. The reader is shut down with the engine.
   */
  readonly metricReader?: MetricReader | ReadonlyArray<MetricReader> | undefined
  /** The tracer's name (its instrumentation scope) and, with `metricReader`, the metrics' `service.name`. Default "hookwire". */
  readonly serviceName?: string | undefined
}

const known = new Set([
  "tracerProvider",
  "meterProvider",
  "metricReader",
  "serviceName",
  "tenantLabel",
  "queueGauges"
])

const check = (options: Options): void => {
  if (typeof options !== "object" || options === null) {
    throw new Errors.ValidationError({
      code: "invalid_option",
      field: "telemetry",
      message: "openTelemetry takes an object: { tracerProvider?, meterProvider?, metricReader?, tenantLabel?, … }"
    })
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new Errors.ValidationError({
        code: "invalid_option",
        field: key,
        message: `openTelemetry has no option "${key}"; it takes ${[...known].join(", ")}`
      })
    }
  }
  const provider = (field: string, value: unknown, method: string) => {
    if (value !== undefined && typeof (value as Record<string, unknown> | null)?.[method] !== "function") {
      throw new Errors.ValidationError({
        code: "invalid_option",
        field,
        message:
          `${field} must be an OpenTelemetry ${field === "tracerProvider" ? "TracerProvider" : "MeterProvider"}` +
          ` (an object with ${method}())`
      })
    }
  }
  provider("tracerProvider", options.tracerProvider, "getTracer")
  provider("meterProvider", options.meterProvider, "getMeter")
  if (options.serviceName !== undefined && (typeof options.serviceName !== "string" || options.serviceName === "")) {
    throw new Errors.ValidationError({
      code: "invalid_option",
      field: "serviceName",
      message: "serviceName must be a non-empty string"
    })
  }
  const invalid = Telemetry.validate(options)
  if (invalid !== undefined) throw invalid
}

/**
 * The engine's telemetry as a Layer (Effect API): provide it to `Dispatcher.layer()` and `Hookwire.layer(...)` as
 * you provide a logger, with Storage available for the backlog gauges. A bad option fails the layer with a
 * `ValidationError` (`invalid_option`) naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<never, Errors.ValidationError, Storage.Storage> =>
  Layer.unwrapEffect(Effect.map(Errors.checkOptions(() => check(options)), () => build(options)))

const build = (options: Options): Layer.Layer<never, Errors.ValidationError, Storage.Storage> => {
  const resource = Resource.layer({ serviceName: options.serviceName ?? "hookwire", serviceVersion: version })
  const tracing = options.tracerProvider === undefined
    ? Layer.empty
    : OtelTracer.layer.pipe(Layer.provide(Layer.succeed(OtelTracer.OtelTracerProvider, options.tracerProvider)))
  const reader = options.metricReader
  const reading = reader === undefined
    ? Layer.empty
    : OtelMetrics.layer(() => (Array.isArray(reader) ? reader : [reader]) as [MetricReader, ...Array<MetricReader>])
  const meter = options.meterProvider
  const bridging = meter === undefined ? Layer.empty : Layer.scopedDiscard(meterBridge.register(meter, version))
  const exporters = Layer.mergeAll(Layer.discard(tracing), reading, bridging).pipe(Layer.provide(resource))
  return Layer.merge(exporters, Telemetry.layer(options))
}

/**
 * For `createHookwire({ telemetry: openTelemetry({ tracerProvider, meterProvider }) })`. Throws a `ValidationError`
 * for a bad option, at once, like every option of the Promise API.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openTelemetry = (
  options: Options
): { readonly layer: Layer.Layer<never, Errors.ValidationError, Storage.Storage | DeliveryQueue.DeliveryQueue> } => {
  check(options)
  return { layer: layer(options) }
}
