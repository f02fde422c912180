/**
 * The services every Webhooks operation module is built from (`Webhooks.make` hands them over).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { NotFound, type StorageError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { Queue } from "../../Queue.js"
import type { Resolved } from "../../Settings.js"
import type { Storage } from "../../Storage.js"
import type { Transport } from "../../Transport.js"

/** @internal */
export interface Deps {
  readonly settings: Resolved
  readonly storage: Storage["Type"]
  readonly queue: Queue["Type"]
  readonly transport: Transport["Type"]
}

/** The tenant's endpoint, or `endpoint_not_found` (another tenant's endpoint is not found either). */
export const loadEndpoint = (
  deps: Deps,
  tenant: string,
  id: string
): Effect.Effect<Model.EndpointRecord, NotFound | StorageError> =>
  Effect.flatMap(deps.storage.getEndpoint(tenant, id), (endpoint) =>
    endpoint === undefined
      ? Effect.fail(new NotFound({ code: "endpoint_not_found", id, message: `No endpoint ${id} for this tenant` }))
      : Effect.succeed(endpoint))

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
