/**
 * The delivery log, write side: sending again what did not arrive. `resend` delivers a stored message to one endpoint
 * as a new delivery; `retry` moves a pending delivery to the front of the queue (unless a worker is sending it right
 * now: refused) or gives a finished one a single manual attempt (see `manualAttempt.ts`); `recover` puts an
 * endpoint's failed deliveries of a time window back in the queue with a fresh retry schedule. Each writes storage and queue uninterruptibly: an interruption between the
 * two would strand a delivery.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { InvalidState, NotFound, ValidationError } from "../../Errors.js"
import * as Id from "../../Id.js"
import type * as Model from "../../Model.js"
import type { Webhooks } from "../../Webhooks.js"
import * as validate from "../validate.js"
import * as views from "../views.js"
import { deliveryNotFound, type Deps, loadEndpoint, messageNotFound, newDelivery } from "./deps.js"
import * as manualAttempt from "./manualAttempt.js"
import * as SingleFlight from "./singleFlight.js"

type Service = Webhooks["Type"]

/** The slice's operations, as the service exposes them. */
export interface Recovery {
  readonly resend: Service["messages"]["resend"]
  readonly retry: Service["deliveries"]["retry"]
  readonly recover: Service["deliveries"]["recover"]
}

const endpointDisabled = (endpoint: Model.EndpointRecord, what: string) =>
  new InvalidState({
    code: "endpoint_disabled",
    id: endpoint.id,
    message: `Endpoint ${endpoint.id} is disabled; enable it before ${what}`
  })

/**
 * One stored message, delivered again to one endpoint of its tenant as a new delivery (queued now, with the
 * endpoint's usual retry policy). The endpoint need not have received the message before: a resend also reaches an
 * endpoint created after the message was published.
 */
const resend = (deps: Deps) =>
  Effect.fn("Webhooks.messages.resend")(function*(input: Parameters<Recovery["resend"]>[0]) {
    const tenant = yield* validate.tenant(input.tenant)
    const message = yield* deps.storage.getMessage(tenant, input.id)
    if (message === undefined) return yield* messageNotFound(input.id)
    const endpoint = yield* loadEndpoint(deps, tenant, input.endpointId)
    if (endpoint.disabled) return yield* endpointDisabled(endpoint, "resending to it")
    const now = yield* Clock.currentTimeMillis
    const delivery = newDelivery(message, endpoint.id, Id.make("dlv", now), now, now)
    yield* Effect.uninterruptible(
      Effect.zipRight(deps.storage.insertDelivery(delivery), deps.queue.enqueue([{ id: delivery.id, runAt: now }]))
    )
    return views.delivery(delivery)
  })

/**
 * Concurrent retries of one delivery in this process share one run (`SingleFlight`): the second waits for the first
 * and returns its result. In another process, the second finds the delivery `pending` under the first's manual
 * attempt, whose queue lease refuses it with `delivery_in_flight` (see manualAttempt.ts).
 */
const retry = (deps: Deps) => {
  const flights = SingleFlight.make()
  const once = retryOnce(deps)
  return (input: Parameters<Recovery["retry"]>[0]) => flights.run(`${input.tenant}\u0000${input.id}`, once(input))
}

const retryOnce = (deps: Deps) =>
  Effect.fn("Webhooks.deliveries.retry")(function*(input: Parameters<Recovery["retry"]>[0]) {
    const { storage } = deps
    const tenant = yield* validate.tenant(input.tenant)
    const delivery = yield* storage.getDelivery(tenant, input.id)
    if (delivery === undefined) return yield* deliveryNotFound(input.id)
    const now = yield* Clock.currentTimeMillis
    if (delivery.status === "pending") {
      // To the front of the queue, unless a worker is sending it now (see manualAttempt.ts).
      return views.delivery(yield* manualAttempt.expedite(deps, delivery, now))
    }
    const [ctx] = yield* storage.loadForDispatch([delivery.id])
    if (ctx === undefined) {
      return yield* new NotFound({
        code: "endpoint_not_found",
        id: delivery.endpointId,
        message: `The endpoint of delivery ${delivery.id} no longer exists`
      })
    }
    if (ctx.endpoint.disabled) return yield* endpointDisabled(ctx.endpoint, "retrying its deliveries")
    // Claimed, sent and recorded with only the send interruptible (see manualAttempt.ts).
    return views.delivery(yield* manualAttempt.run(deps, ctx, now))
  })

/**
 * Every failed delivery of an endpoint created in a window (`since`, optional `until`) goes back to pending and is
 * queued now, with a fresh retry schedule.
 */
const recover = (deps: Deps) =>
  Effect.fn("Webhooks.deliveries.recover")(function*(input: Parameters<Recovery["recover"]>[0]) {
    const tenant = yield* validate.tenant(input.tenant)
    yield* loadEndpoint(deps, tenant, input.endpointId)
    const since = yield* validate.time(input.since, "since")
    const until = yield* validate.time(input.until, "until")
    if (since !== undefined && until !== undefined && until <= since) {
      return yield* new ValidationError({
        code: "invalid_option",
        field: "until",
        message: "until must be later than since"
      })
    }
    const now = yield* Clock.currentTimeMillis
    const ids = yield* Effect.uninterruptible(
      Effect.tap(
        deps.storage.transitionEndpointDeliveries(tenant, input.endpointId, {
          from: ["failed"],
          to: "pending",
          since: since ?? 0,
          until,
          nextAttemptAt: now,
          now
        }),
        (ids) => ids.length > 0 ? deps.queue.enqueue(ids.map((id) => ({ id, runAt: now }))) : Effect.void
      )
    )
    return { recovered: ids.length }
  })

/** @internal */
export const make = (deps: Deps): Recovery => ({
  resend: resend(deps),
  retry: retry(deps),
  recover: recover(deps)
})
