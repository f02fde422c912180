/**
 * The backlog gauges: how many pending deliveries are due now and how long the oldest has waited past its due time,
 * read from Storage (`duePendingDeliveries`, the sweeper's query: every adapter has it, ordered by due time) every
 * `interval`. The first page gives the oldest; the count pages on up to `maxCount`, so one poll costs at most
 * `maxCount / 1,000` short queries however long the backlog.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type { Storage } from "../../Storage.js"
import * as metrics from "../metrics.js"

const pageSize = 1_000

export interface Resolved {
  readonly intervalMs: number
  readonly maxCount: number
}

/** One reading: `due` counted up to `maxCount`; `oldestDueAt` the earliest due time, if any. */
export const read = (
  storage: Storage["Type"],
  maxCount: number
): Effect.Effect<{ readonly due: number; readonly oldestAgeMs: number }, unknown> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    // "Due before now + 1": a delivery due this very millisecond is due.
    let page = yield* storage.duePendingDeliveries(now + 1, Math.min(pageSize, maxCount))
    // Rows without a next attempt time (written by older versions) come first: the oldest is the first with one.
    const oldest = page.find((d) => d.nextAttemptAt !== null)?.nextAttemptAt
    const oldestAgeMs = oldest === undefined || oldest === null ? 0 : Math.max(0, now - oldest)
    let due = page.length
    // Bounded: at most maxCount / pageSize further pages.
    while (page.length === pageSize && due < maxCount) {
      const last = page[page.length - 1]
      page = yield* storage.duePendingDeliveries(now + 1, Math.min(pageSize, maxCount - due), last)
      due += page.length
    }
    return { due, oldestAgeMs }
  })

/** Polls every `intervalMs` for as long as the calling scope lives; a failed poll keeps the last values. */
export const run = (storage: Storage["Type"], options: Resolved) =>
  read(storage, options.maxCount).pipe(
    Effect.flatMap(({ due, oldestAgeMs }) =>
      Effect.zipRight(Metric.set(metrics.deliveriesDue, due), Metric.set(metrics.oldestDueAge, oldestAgeMs))
    ),
    Effect.catchAllCause((cause) =>
      Effect.logDebug("telemetry: reading the backlog failed; trying again later", cause)
    ),
    Effect.repeat(Schedule.spaced(Duration.millis(options.intervalMs))),
    Effect.forkScoped
  )
