/**
 * What every slice of the Webhooks service is built from: the services `Webhooks.make` reads from the context once
 * and hands over, and the few lookups and records more than one slice needs.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { DeliveryQueue } from "../../DeliveryQueue.js"
import { NotFound, type StorageError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { OperationalEvents } from "../../OperationalEvents.js"
import type { Resolved } from "../../Settings.js"
import type { Storage } from "../../Storage.js"
import type { Transport } from "../../Transport.js"

/** @internal */
export interface Deps {
  readonly settings: Resolved
  readonly storage: Storage["Type"]
  readonly queue: DeliveryQueue["Type"]
  readonly transport: Transport["Type"]
  readonly events: OperationalEvents["Type"]
}

/** `endpoint_not_found`: there is no such endpoint for this tenant (another tenant's endpoint is not found either). */
export const endpointNotFound = (id: string): NotFound =>
  new NotFound({ code: "endpoint_not_found", id, message: `No endpoint ${id} for this tenant` })

/** `message_not_found` */
export const messageNotFound = (id: string): NotFound =>
  new NotFound({ code: "message_not_found", id, message: `No message ${id} for this tenant` })

/** `delivery_not_found` */
export const deliveryNotFound = (id: string): NotFound =>
  new NotFound({ code: "delivery_not_found", id, message: `No delivery ${id} for this tenant` })

/** The tenant's endpoint, or `endpoint_not_found`. */
export const loadEndpoint = (
  deps: Pick<Deps, "storage">,
  tenant: string,
  id: string
): Effect.Effect<Model.EndpointRecord, NotFound | StorageError> =>
  Effect.flatMap(
    deps.storage.getEndpoint(tenant, id),
    (endpoint) => endpoint === undefined ? Effect.fail(endpointNotFound(id)) : Effect.succeed(endpoint)
  )

/** A new pending delivery of `message` to `endpointId`, due at `nextAttemptAt` (null: not queued). */
export const newDelivery = (
  message: Model.MessageRecord,
  endpointId: string,
  id: string,
  now: number,
  nextAttemptAt: number | null
): Model.DeliveryRecord => ({
  id,
  tenant: message.tenant,
  messageId: message.id,
  endpointId,
  status: "pending",
  attempts: 0,
  nextAttemptAt,
  lastAttemptAt: null,
  lastResponseStatus: null,
  lastError: null,
  createdAt: now,
  updatedAt: now
})

/** A page of records as a page of views. */
export const page = <A, B>(p: Model.Page<A>, f: (a: A) => B): Model.Page<B> => ({
  items: p.items.map(f),
  nextCursor: p.nextCursor
})
