/** The engine's metrics (Effect `Metric`): exported by whatever metrics exporter the host installs. */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

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

export const attempted = (outcome: keyof typeof byOutcome, durationMs: number): Effect.Effect<void> =>
  Effect.zipRight(Metric.increment(byOutcome[outcome]), Metric.update(attemptDuration, durationMs))
