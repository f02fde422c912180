/**
 * `Storage.endpointStats` over the memory store's indexes: walks an endpoint's attempts and deliveries newest first
 * and stops at the oldest window's start, so the cost is what the week holds, not the endpoint's whole history.
 *
 * @internal
 */
import * as Id from "@hookwire/core/Id"
import type { AttemptRecord, DeliveryRecord, EndpointStatsRecord, EndpointStatsWindow } from "@hookwire/core/Model"
import type { IdIndex } from "./idIndex.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] }

/** @internal */
export const endpointStats = (
  since: ReadonlyArray<number>,
  attemptIds: IdIndex | undefined,
  attemptOf: (id: string) => Pick<AttemptRecord, "startedAt" | "responseStatus" | "errorKind"> | undefined,
  deliveryIds: IdIndex | undefined,
  deliveryOf: (id: string) => DeliveryRecord | undefined
): EndpointStatsRecord => {
  const windows: Array<Mutable<EndpointStatsWindow>> = since.map((start) => ({
    since: start,
    attempts: { total: 0, succeeded: 0 },
    deliveries: { pending: 0, delivered: 0, failed: 0, cancelled: 0 }
  }))
  const oldest = since.length === 0 ? Infinity : Math.max(0, Math.min(...since))
  let lastAttempt: EndpointStatsRecord["lastAttempt"] = null
  // An id never sorts before its record's time: every record of the windows has an id at or after these bounds.
  const attemptFloor = Id.lowerBound("atm", oldest)
  attemptIds?.forEachBefore(undefined, (id) => {
    const attempt = attemptOf(id)
    if (attempt === undefined) return true
    if (lastAttempt === null || attempt.startedAt > lastAttempt.startedAt) {
      lastAttempt = {
        startedAt: attempt.startedAt,
        responseStatus: attempt.responseStatus,
        errorKind: attempt.errorKind
      }
    }
    if (id < attemptFloor) return false
    const ok = attempt.responseStatus !== null && attempt.responseStatus >= 200 && attempt.responseStatus < 300
    for (const w of windows) {
      if (attempt.startedAt < w.since) continue
      w.attempts.total++
      if (ok) w.attempts.succeeded++
    }
    return true
  })
  const deliveryFloor = Id.lowerBound("dlv", oldest)
  deliveryIds?.forEachBefore(undefined, (id) => {
    if (id < deliveryFloor) return false
    const delivery = deliveryOf(id)
    if (delivery === undefined) return true
    for (const w of windows) {
      if (delivery.createdAt >= w.since) w.deliveries[delivery.status]++
    }
    return true
  })
  return { windows, lastAttempt }
}
