/** The engine's metrics (Effect `Metric`): exported by whatever metrics exporter the host installs. */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { globalValue } from "effect/GlobalValue"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"

export const messagesPublished = Metric.counter("hookwire_messages_published_total", {
  description: "Messages published (duplicates excluded)",
  incremental: true
})

export const deliveriesCreated = Metric.counter("hookwire_deliveries_created_total", {
  description: "Deliveries created by publish",
  incremental: true
})

export const attemptOutcomes = Metric.counter("hookwire_attempts_total", {
  description: "Attempts by outcome (delivered, retry, failed, gone)",
  incremental: true
})

export const attemptDuration = Metric.histogram(
  "hookwire_attempt_duration_ms",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 16 }),
  "Duration of HTTP attempts in milliseconds"
)

export const queueLag = Metric.histogram(
  "hookwire_queue_lag_ms",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 20 }),
  "Time from an item's due time to its claim, in milliseconds"
)

export const published = (deliveries: number): Effect.Effect<void> =>
  Effect.zipRight(Metric.increment(messagesPublished), Metric.incrementBy(deliveriesCreated, deliveries))

const byOutcome = {
  delivered: Metric.tagged(attemptOutcomes, "outcome", "delivered"),
  retry: Metric.tagged(attemptOutcomes, "outcome", "retry"),
  failed: Metric.tagged(attemptOutcomes, "outcome", "failed"),
  gone: Metric.tagged(attemptOutcomes, "outcome", "gone")
}

/**
 * Whether `hookwire_attempts_total` also carries the delivery's `tenant` (opt-in: `Telemetry.layer({ tenantLabel })`
 * sets it for the fibers of the layers it is provided to). Off by default: a series per tenant can be many series.
 */
export const tenantLabel: FiberRef.FiberRef<boolean> = globalValue(
  Symbol.for("@hookwire/core/metrics/tenantLabel"),
  () => FiberRef.unsafeMake(false)
)

/** `labels` plus `tenant` when the tenant label is on (for the dispatcher, which reads both once). */
export const withTenant = (
  labels: ReadonlyArray<MetricLabel.MetricLabel>,
  tenant: string,
  labelled: boolean
): ReadonlyArray<MetricLabel.MetricLabel> => labelled ? [...labels, MetricLabel.make("tenant", tenant)] : labels

export const attempted = (
  outcome: keyof typeof byOutcome,
  durationMs: number,
  tenant?: string | undefined
): Effect.Effect<void> =>
  Effect.zipRight(
    tenant === undefined
      ? Metric.increment(byOutcome[outcome])
      : Effect.flatMap(FiberRef.get(tenantLabel), (labelled) =>
        Metric.increment(labelled ? Metric.tagged(byOutcome[outcome], "tenant", tenant) : byOutcome[outcome])),
    Metric.update(attemptDuration, durationMs)
  )

export const deliveriesDue = Metric.gauge("hookwire_deliveries_due", {
  description: "Pending deliveries due now, waiting for a worker (read from storage at an interval, up to a maximum)"
})

export const oldestDueAge = Metric.gauge("hookwire_oldest_due_age_ms", {
  description: "How long the oldest due delivery has waited past its due time, in milliseconds (0 when none is due)"
})
