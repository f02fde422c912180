/**
 * Hookwire's metrics on a host's OpenTelemetry `MeterProvider`. Effect keeps its metrics in its own registry and
 * `@effect/opentelemetry` exports them through a `MetricReader` of their own; a host that already has a meter
 * provider gets them here instead, as observable instruments of a `@hookwire/core` meter that read the registry's
 * snapshot when the provider collects: counters as observable counters, gauges as observable gauges. Histograms have
 * no observable form in OpenTelemetry: they reach a meter provider only through `metricReader`.
 */
import type { Attributes, MeterProvider, Observable } from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricState from "effect/MetricState"

const counters = [
  ["hookwire_attempts_total", "Attempts by outcome (delivered, retry, failed, gone)"],
  ["hookwire_messages_published_total", "Messages published (duplicates excluded)"],
  ["hookwire_deliveries_created_total", "Deliveries created by publish"]
] as const
const gauges = [
  ["hookwire_deliveries_due", "Pending deliveries due now, waiting for a worker"],
  ["hookwire_oldest_due_age_ms", "How long the oldest due delivery has waited past its due time, in milliseconds"]
] as const

/** Registers the instruments; the returned effect removes the callback (the scope's end). */
export const register = (provider: MeterProvider, version: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const meter = provider.getMeter("@hookwire/core", version)
      const instruments = new Map<string, Observable<Attributes>>()
      for (const [name, description] of counters) {
        instruments.set(name, meter.createObservableCounter(name, { description }))
      }
      for (const [name, description] of gauges) {
        instruments.set(name, meter.createObservableGauge(name, { description }))
      }
      const callback = (result: { observe: (o: Observable<Attributes>, v: number, a?: Attributes) => void }) => {
        for (const { metricKey, metricState } of Metric.unsafeSnapshot()) {
          const instrument = instruments.get(metricKey.name)
          if (instrument === undefined) {
            continue
          }
          const attributes: Attributes = {}
          for (const label of metricKey.tags) attributes[label.key] = label.value
          if (MetricState.isCounterState(metricState)) result.observe(instrument, Number(metricState.count), attributes)
          else if (MetricState.isGaugeState(metricState)) {
            result.observe(instrument, Number(metricState.value), attributes)
          }
        }
      }
      const observables = [...instruments.values()]
      meter.addBatchObservableCallback(callback, observables)
      return () => meter.removeBatchObservableCallback(callback, observables)
    }),
    (remove) => Effect.sync(remove)
  )
