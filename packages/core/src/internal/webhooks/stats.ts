/**
 * Endpoint statistics: attempts and deliveries by outcome over the last hour, day and week, the latest attempt, and
 * the endpoint's current health — what a dashboard shows beside an endpoint. Counting happens in the store
 * (`Storage.endpointStats`), one call for the three windows — or one call with the endpoint itself where the store
 * offers `endpointWithStats`.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Model from "../../Model.js"
import type * as Views from "../../Views.js"
import { traced } from "../telemetry/hotPath.js"
import * as validate from "../validate.js"
import * as views from "../views.js"
import { type Deps, endpointNotFound, loadEndpoint } from "./deps.js"

const HOUR = 3_600_000

const windowOf = (w: Model.EndpointStatsWindow): Views.StatsWindow => ({
  attempts: {
    total: w.attempts.total,
    succeeded: w.attempts.succeeded,
    failed: w.attempts.total - w.attempts.succeeded
  },
  deliveries: w.deliveries
})

/** The endpoint and its statistics: in one call where the store offers it, else the endpoint first. */
const withStats = (deps: Deps, tenant: string, id: string, since: ReadonlyArray<number>) => {
  const { storage } = deps
  if (storage.endpointWithStats !== undefined) {
    return Effect.flatMap(
      storage.endpointWithStats(tenant, id, since),
      (found) => (found === undefined ? Effect.fail(endpointNotFound(id)) : Effect.succeed(found))
    )
  }
  return Effect.flatMap(
    loadEndpoint(deps, tenant, id),
    (endpoint) => Effect.map(storage.endpointStats(tenant, endpoint.id, since), (stats) => ({ endpoint, stats }))
  )
}

const statsOf = (deps: Deps, input: { readonly tenant: string; readonly id: string }) =>
  Effect.gen(function*() {
    const tenant = yield* validate.tenant(input.tenant)
    const now = yield* Clock.currentTimeMillis
    const since = [now - HOUR, now - 24 * HOUR, now - 168 * HOUR]
    const { endpoint, stats } = yield* withStats(deps, tenant, input.id, since)
    const [hour, day, week] = stats.windows
    const result: Views.EndpointStats = {
      windows: { hour: windowOf(hour), day: windowOf(day), week: windowOf(week) },
      lastAttempt: stats.lastAttempt === null ? null : {
        at: new Date(stats.lastAttempt.startedAt),
        responseStatus: stats.lastAttempt.responseStatus,
        errorKind: stats.lastAttempt.errorKind
      },
      health: views.health(endpoint.health),
      disabled: endpoint.disabled,
      disabledReason: endpoint.disabledReason
    }
    return result
  })

/**
 * The operation, in its span `Webhooks.endpoints.stats` — made only when a tracer would export it (`traced`: a
 * dashboard polls this route; `Effect.fn`'s span and call-site trace cost ≈ 20 µs a call with nobody to see them).
 *
 * @internal
 */
export const make = (deps: Deps) => (input: { readonly tenant: string; readonly id: string }) =>
  traced(statsOf(deps, input), "Webhooks.endpoints.stats", {})
