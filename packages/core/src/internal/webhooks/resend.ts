/**
 * Resend: one stored message, delivered again to one endpoint of its tenant as a new delivery (queued now, with the
 * endpoint's usual retry policy). The endpoint need not have received the message before: a resend also reaches an
 * endpoint created after the message was published.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { InvalidState, NotFound } from "../../Errors.js"
import * as Id from "../../Id.js"
import * as validate from "../validate.js"
import * as views from "../views.js"
import { type Deps, loadEndpoint, newDelivery } from "./deps.js"

/** @internal */
export const make = (deps: Deps) =>
  Effect.fn("Webhooks.messages.resend")(function*(input: {
    readonly tenant: string
    readonly id: string
    readonly endpointId: string
  }) {
    const tenant = yield* validate.tenant(input.tenant)
    const message = yield* deps.storage.getMessage(tenant, input.id)
    if (message === undefined) {
      return yield* new NotFound({
        code: "message_not_found",
        id: input.id,
        message: `No message ${input.id} for this tenant`
      })
    }
    const endpoint = yield* loadEndpoint(deps, tenant, input.endpointId)
    if (endpoint.disabled) {
      return yield* new InvalidState({
        code: "endpoint_disabled",
        id: endpoint.id,
        message: `Endpoint ${endpoint.id} is disabled; enable it before resending to it`
      })
    }
    const now = yield* Clock.currentTimeMillis
    const delivery = newDelivery(message, endpoint.id, Id.make("dlv", now), now, now)
    // Insert, then enqueue: uninterruptible, or an interruption between the two would strand the delivery.
    yield* Effect.uninterruptible(
      Effect.zipRight(deps.storage.insertDelivery(delivery), deps.queue.enqueue([{ id: delivery.id, runAt: now }]))
    )
    return views.delivery(delivery)
  })
