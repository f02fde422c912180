/**
 * Test send: the example payload of one event type, sent to one endpoint only, once, now. The message and its
 * delivery are stored like any other (so the test shows up in the endpoint's log) but never queued: the one attempt
 * (trigger `test`) is made here and its outcome is the delivery's final status — a test is never retried.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { EventTypeError, InvalidState, ValidationError } from "../../Errors.js"
import * as Id from "../../Id.js"
import type * as Model from "../../Model.js"
import type * as Views from "../../Views.js"
import * as attemptInternal from "../attempt.js"
import * as validate from "../validate.js"
import * as views from "../views.js"
import { type Deps, loadEndpoint, newDelivery } from "./deps.js"

/** @internal */
export interface TestSendInput {
  readonly tenant: string
  readonly id: string
  readonly type: string
  /** The data to send; default: the first example of the event type in the catalog. */
  readonly data?: unknown
}

const bodyOf = (deps: Deps, id: string, type: string, data: unknown, now: number) => {
  const body = JSON.stringify(deps.settings.envelope({ id, type, timestamp: new Date(now), data }))
  return Buffer.byteLength(body) > deps.settings.maxPayloadBytes
    ? Effect.fail(
      new ValidationError({
        code: "payload_too_large",
        field: "data",
        message: `the test message is larger than maxPayloadBytes (${deps.settings.maxPayloadBytes})`
      })
    )
    : Effect.succeed(body)
}

/** The event type's data to send: the given data, or the catalog's first example. */
const dataFor = (deps: Deps, input: TestSendInput) => {
  const eventType = deps.settings.catalog.types.get(input.type)
  const data = input.data !== undefined ? input.data : eventType?.examples?.[0]
  if (eventType !== undefined && data === undefined) {
    return Effect.fail(
      new EventTypeError({
        code: "invalid_event_data",
        type: input.type,
        message: `Event type "${input.type}" has no example to send: add \`examples\` to its catalog entry, ` +
          `or pass the data to send`
      })
    )
  }
  const encoded = deps.settings.catalog.encode(input.type, data)
  return Either.isLeft(encoded) ? Effect.fail(encoded.left) : Effect.succeed(encoded.right)
}

/** @internal */
export const make = (deps: Deps) =>
  Effect.fn("Webhooks.endpoints.test")(function*(input: TestSendInput) {
    const tenant = yield* validate.tenant(input.tenant)
    const endpoint = yield* loadEndpoint(deps, tenant, input.id)
    if (endpoint.disabled) {
      return yield* new InvalidState({
        code: "endpoint_disabled",
        id: endpoint.id,
        message: `Endpoint ${endpoint.id} is disabled; enable it before sending it a test`
      })
    }
    const data = yield* dataFor(deps, input)
    const now = yield* Clock.currentTimeMillis
    const id = Id.make("msg", now)
    const message: Model.MessageRecord = {
      id,
      tenant,
      type: input.type,
      body: yield* bodyOf(deps, id, input.type, data, now),
      channels: [],
      idempotencyKey: null,
      createdAt: now
    }
    // Pending with no next attempt time: neither the queue nor the sweeper ever picks it up.
    const delivery = newDelivery(message, endpoint.id, Id.make("dlv", now), now, null)
    yield* deps.storage.insertMessage(message, [delivery])
    const { record } = yield* attemptInternal.perform(
      deps.settings,
      deps.transport,
      { delivery, message, endpoint },
      "test"
    )
    const delivered = record.responseStatus !== null && record.responseStatus >= 200 && record.responseStatus < 300
    const updated: Model.DeliveryRecord = {
      ...delivery,
      status: delivered ? "delivered" : "failed",
      attempts: 1,
      lastAttemptAt: record.startedAt,
      lastResponseStatus: record.responseStatus,
      lastError: record.errorKind,
      updatedAt: yield* Clock.currentTimeMillis
    }
    yield* deps.storage.recordAttempts([{ attempt: record, delivery: updated }])
    const result: Views.TestSendResult = { messageId: id, deliveryId: delivery.id, delivery: views.delivery(updated) }
    return result
  })
