/**
 * What the engine adds to its metrics for an exporter: an opt-in `tenant` label on the attempt counter, and the
 * backlog gauges (`hookwire_deliveries_due`, `hookwire_oldest_due_age_ms`) read from Storage at an interval. The
 * metrics are Effect `Metric`s, so any exporter of Effect metrics reads them: `@hookwire/opentelemetry` hands them
 * (and the spans) to OpenTelemetry, for the Promise API as for the Effect API.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ValidationError } from "./Errors.js"
import * as metrics from "./internal/metrics.js"
import * as options from "./internal/telemetry/options.js"
import * as queueGauges from "./internal/telemetry/queueGauges.js"
import { Storage } from "./Storage.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Label `hookwire_attempts_total` with the delivery's `tenant` too. Off by default: one series per tenant and
   * outcome can be many series.
   */
  readonly tenantLabel?: boolean | undefined
  /**
   * The backlog gauges: read every `interval` (default 15 s) from Storage, counting due deliveries up to `maxCount`
   * (default 10,000; a larger backlog reads as `maxCount`). `false` turns them off.
   */
  readonly queueGauges?: false | {
    readonly interval?: Duration.DurationInput | undefined
    readonly maxCount?: number | undefined
  } | undefined
}

/**
 * The backlog gauges, as Effect metrics (`Metric.value(Telemetry.deliveriesDue)` reads one in Effect code).
 *
 * @since 0.1.0
 * @category models
 */
export const deliveriesDue = metrics.deliveriesDue

/**
 * @since 0.1.0
 * @category models
 */
export const oldestDueAge = metrics.oldestDueAge

/**
 * Checks the options; a bad one is a `ValidationError` (`code: "invalid_option"`, the option as `field`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const validate = (input: Options | undefined): ValidationError | undefined => {
  const resolved = options.resolve(input)
  return "_tag" in resolved ? resolved : undefined
}

/**
 * Turns the tenant label on (when asked) for the layers it is provided to, and polls the backlog gauges while it
 * lives. Provide it to `Dispatcher.layer()` (the label is read by the dispatcher's fibers):
 * `Dispatcher.layer().pipe(Layer.provide(Telemetry.layer({ tenantLabel: true })), …)`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: Options = {}): Layer.Layer<never, ValidationError, Storage> => {
  const resolved = options.resolve(input)
  if ("_tag" in resolved) return Layer.fail(resolved)
  const label = resolved.tenantLabel ? Layer.locallyScoped(metrics.tenantLabel, true) : Layer.empty
  const gauges = resolved.queueGauges === undefined
    ? Layer.empty
    : Layer.scopedDiscard(Effect.flatMap(Storage, (storage) => queueGauges.run(storage, resolved.queueGauges!)))
  return Layer.merge(label, gauges)
}
