/**
 * Durable operational webhooks: the engine's operational events — an endpoint created, updated, deleted, disabled,
 * recovered, its circuit opened or closed, a delivery failed for good — and an early warning when an endpoint has
 * been failing for a share of the auto-disable window, published through Hookwire itself as messages of the host's
 * own system tenant (`hookwire.endpoint.disabled`, …). The host registers endpoints for that tenant like any other
 * (an email bridge, its ops channel, a customer-facing notifier); the notices are persisted, retried, logged and
 * signed like any message.
 *
 * Nothing is lost to a crash: every notice is published with an idempotency key derived from the state it reports
 * (`endpoint.disabled:<id>:<disabledAt>`, `delivery.failed:<id>:<attempts>`, …), and a sweep (at start, then every
 * `every`) reads that state back from storage — endpoints created, disabled endpoints, open circuits, long failure
 * runs within `lookback`, deliveries failed within it — and publishes each again: what was already published is a duplicate and creates nothing,
 * what a crash kept from being published is published now. Changes that leave no such state are kept with their
 * notice instead: on a storage with transactions (`Storage.transaction`, Postgres) an endpoint's creation, update,
 * deletion, disabling and re-enabling, and the dispatcher's health writes that recover an endpoint or open or close its
 * circuit, publish their notice inside the change's own transaction (the recorder this layer installs with
 * `OperationalEvents.recordWith`), so both commit or neither. Events of the system tenant itself are never reported
 * (a failing notifier cannot cause a loop).
 *
 * @since 0.5.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { StorageError } from "./Errors.js"
import type * as Model from "./Model.js"
import { OperationalEvents } from "./OperationalEvents.js"
import type { OperationalEvent } from "./OperationalEvents.js"
import { Settings } from "./Settings.js"
import { Storage } from "./Storage.js"
import { Webhooks } from "./Webhooks.js"

const Notice = Schema.Struct({
  tenant: Schema.String,
  endpointId: Schema.String,
  at: Schema.String,
  reason: Schema.optional(Schema.String),
  deliveryId: Schema.optional(Schema.String),
  messageId: Schema.optional(Schema.String),
  attempts: Schema.optional(Schema.Number),
  retryAt: Schema.optional(Schema.String),
  failingSince: Schema.optional(Schema.String),
  disableAt: Schema.optional(Schema.String)
})

const notice = (description: string) => ({ description, schema: Notice })

/**
 * The notices' event types: spread them into your catalog (`Catalog.make({ ...yours, ...OperationalWebhooks.eventTypes
 * })`) so the engine can publish them.
 *
 * @since 0.5.0
 * @category constants
 */
export const eventTypes = {
  "hookwire.endpoint.created": notice("An endpoint was created"),
  "hookwire.endpoint.updated": notice("An endpoint was updated"),
  "hookwire.endpoint.deleted": notice("An endpoint was deleted"),
  "hookwire.endpoint.disabled": notice("An endpoint was disabled (410 Gone, failing for too long, or by hand)"),
  "hookwire.endpoint.recovered": notice("A disabled or failing endpoint was re-enabled or answered 2xx again"),
  "hookwire.endpoint.circuit_opened": notice("Deliveries to an endpoint are paused by its circuit breaker"),
  "hookwire.endpoint.circuit_closed": notice("Deliveries to an endpoint resumed"),
  "hookwire.endpoint.failing": notice("An endpoint has failed for a while and will be disabled if it goes on"),
  "hookwire.delivery.failed": notice("A delivery failed for good")
} as const

/**
 * @since 0.5.0
 * @category models
 */
export interface Options {
  /** The host's own tenant, whose endpoints receive the notices. Default "hookwire". */
  readonly tenant?: string | undefined
  /** Warn (`hookwire.endpoint.failing`) once an endpoint has failed for this share of `disableAfter`. Default 0.5. */
  readonly warnAt?: number | undefined
  /** How often the sweep runs (the first at start). Default "1 minute". */
  readonly every?: Duration.DurationInput | undefined
  /** How far back the sweep looks for failed deliveries. Default "24 hours". */
  readonly lookback?: Duration.DurationInput | undefined
}

interface Report {
  readonly type: keyof typeof eventTypes
  readonly key: string
  readonly data: typeof Notice.Type
}

/** The notice of an in-process event (none for `delivery.succeeded`, which is not an operational problem). */
export const reportOf = (event: OperationalEvent): Report | undefined => {
  const at = event.at.toISOString()
  const base = { tenant: event.tenant, endpointId: event.endpointId, at }
  const ms = event.at.getTime()
  switch (event.type) {
    case "delivery.succeeded":
      return undefined
    case "delivery.failed":
      return {
        type: "hookwire.delivery.failed",
        key: `delivery.failed:${event.deliveryId}:${event.attempts}`,
        data: {
          ...base,
          deliveryId: event.deliveryId,
          messageId: event.messageId,
          attempts: event.attempts,
          reason: event.reason
        }
      }
    case "endpoint.circuit_opened":
      return {
        type: "hookwire.endpoint.circuit_opened",
        key: `${event.type}:${event.endpointId}:${ms}`,
        data: { ...base, reason: event.reason, retryAt: event.retryAt.toISOString() }
      }
    case "endpoint.disabled":
      return {
        type: "hookwire.endpoint.disabled",
        key: `${event.type}:${event.endpointId}:${ms}`,
        data: { ...base, reason: event.reason }
      }
    case "endpoint.recovered":
      return {
        type: "hookwire.endpoint.recovered",
        key: `${event.type}:${event.endpointId}:${ms}`,
        data: { ...base, reason: event.reason }
      }
    default:
      return { type: `hookwire.${event.type}`, key: `${event.type}:${event.endpointId}:${ms}`, data: base }
  }
}

/**
 * What an endpoint's stored state says must have been reported: its creation (within the lookback), its disabling,
 * open circuit, long failure run. (Updates are not found again: the engine's own health writes move `updatedAt` too.)
 */
const reportsOfEndpoint = (
  endpoint: Model.EndpointRecord,
  now: number,
  disableAfterMs: number | undefined,
  warnAt: number,
  lookbackMs: number
): Array<Report> => {
  const reports: Array<Report> = []
  const at = (ms: number) => new Date(ms).toISOString()
  const base = { tenant: endpoint.tenant, endpointId: endpoint.id }
  if (now - endpoint.createdAt <= lookbackMs) {
    reports.push({
      type: "hookwire.endpoint.created",
      key: `endpoint.created:${endpoint.id}:${endpoint.createdAt}`,
      data: { ...base, at: at(endpoint.createdAt) }
    })
  }
  if (endpoint.disabled && endpoint.disabledAt !== null) {
    reports.push({
      type: "hookwire.endpoint.disabled",
      key: `endpoint.disabled:${endpoint.id}:${endpoint.disabledAt}`,
      data: { ...base, at: at(endpoint.disabledAt), reason: endpoint.disabledReason ?? "disabled" }
    })
  }
  const health = endpoint.health
  if (health.circuit === "open" && health.circuitOpenedAt !== null) {
    reports.push({
      type: "hookwire.endpoint.circuit_opened",
      key: `endpoint.circuit_opened:${endpoint.id}:${health.circuitOpenedAt}`,
      data: {
        ...base,
        at: at(health.circuitOpenedAt),
        reason: `${health.consecutiveFailures} consecutive failures`,
        ...(health.circuitRetryAt !== null ? { retryAt: at(health.circuitRetryAt) } : {})
      }
    })
  }
  const since = health.failingSince
  if (!endpoint.disabled && since !== null && disableAfterMs !== undefined && now - since >= warnAt * disableAfterMs) {
    reports.push({
      type: "hookwire.endpoint.failing",
      key: `endpoint.failing:${endpoint.id}:${since}`,
      data: { ...base, at: at(now), failingSince: at(since), disableAt: at(since + disableAfterMs) }
    })
  }
  return reports
}

const PAGE = 500
const MAX_PAGES = 10_000

/**
 * Reports every operational event of the engine as a durable message of the system tenant, and sweeps storage for
 * what a crash kept from being reported (see the module's description). Requires the engine's services.
 *
 * @since 0.5.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<never, never, Webhooks | OperationalEvents | Storage | Settings> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const webhooks = yield* Webhooks
    const events = yield* OperationalEvents
    const storage = yield* Storage
    const settings = yield* Settings
    const tenant = options.tenant ?? "hookwire"
    const warnAt = options.warnAt ?? 0.5
    if (!(warnAt > 0 && warnAt <= 1)) return yield* Effect.dieMessage("OperationalWebhooks: warnAt must be in (0, 1]")
    const missing = Object.keys(eventTypes).filter((type) => !settings.catalog.types.has(type))
    if (missing.length > 0) {
      return yield* Effect.dieMessage(
        `OperationalWebhooks: the catalog lacks ${missing.join(", ")}: build it with ` +
          "Catalog.make({ ...yourTypes, ...OperationalWebhooks.eventTypes })"
      )
    }
    const lookbackMs = Duration.toMillis(options.lookback ?? Duration.hours(24))

    const report = (r: Report) =>
      r.data.tenant === tenant ?
        Effect.void :
        webhooks.publish({ tenant, type: r.type, data: r.data, idempotencyKey: r.key }).pipe(
          Effect.asVoid,
          Effect.catchAll((error) => Effect.logError(`OperationalWebhooks: could not publish ${r.type}`, error))
        )

    const sweep = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const tenants = new Set<string>()
      let after: string | undefined
      for (let page = 0; page < MAX_PAGES; page++) {
        const endpoints = yield* storage.scanEndpoints(after, PAGE)
        for (const endpoint of endpoints) {
          if (endpoint.tenant === tenant) continue
          tenants.add(endpoint.tenant)
          for (const r of reportsOfEndpoint(endpoint, now, settings.disableAfterMs, warnAt, lookbackMs)) {
            yield* report(r)
          }
        }
        if (endpoints.length < PAGE) break
        after = endpoints[endpoints.length - 1].id
      }
      for (const t of tenants) {
        let cursor: string | undefined
        for (let page = 0; page < MAX_PAGES; page++) {
          const failed = yield* webhooks.deliveries.list({
            tenant: t,
            status: "failed",
            since: now - lookbackMs,
            limit: PAGE,
            cursor
          })
          for (const d of failed.items) {
            yield* report({
              type: "hookwire.delivery.failed",
              key: `delivery.failed:${d.id}:${d.attempts}`,
              data: {
                tenant: t,
                endpointId: d.endpointId,
                deliveryId: d.id,
                messageId: d.messageId,
                attempts: d.attempts,
                at: d.updatedAt.toISOString(),
                reason: d.lastResponseStatus !== null
                  ? `last answer ${d.lastResponseStatus}`
                  : (d.lastError ?? "failed")
              }
            })
          }
          if (failed.nextCursor === null) break
          cursor = failed.nextCursor
        }
      }
    }).pipe(Effect.catchAllCause((cause) => Effect.logError("OperationalWebhooks: the sweep failed; next time", cause)))

    // Endpoint writes on a storage with transactions (Postgres) publish their notice in the write's own transaction:
    // a notice that cannot be written fails the write, so the change and its notice commit together or not at all.
    // The in-process event that follows is then a duplicate by its key.
    yield* events.recordWith((event) => {
      const r = reportOf(event)
      if (r === undefined || r.data.tenant === tenant) return Effect.void
      return webhooks.publish({ tenant, type: r.type, data: r.data, idempotencyKey: r.key }).pipe(
        Effect.asVoid,
        Effect.mapError((error) =>
          error._tag === "StorageError" ? error : new StorageError({
            code: "unknown",
            message:
              `OperationalWebhooks: the ${r.type} notice could not be written, so the change was not made: ${error.message}`,
            cause: error
          })
        )
      )
    })
    const subscription = yield* events.subscribeQueue
    const forward = (event: OperationalEvent) => {
      const r = reportOf(event)
      return r === undefined ? Effect.void : report(r)
    }
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(subscription.take, forward)))
    yield* Effect.forkScoped(Effect.repeat(sweep, Schedule.spaced(options.every ?? Duration.minutes(1))))
    // On close, hand over what the last attempts reported (within 5 s) before the subscription ends.
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(subscription.takeAll, (rest) => Effect.forEach(rest, forward, { discard: true })).pipe(
        Effect.interruptible,
        Effect.timeout("5 seconds"),
        Effect.ignore
      )
    )
  }))
