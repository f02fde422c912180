/**
 * Endpoint writes that never undo a concurrent one. `update` patches only the fields it changed (the dispatcher's
 * disabling and health updates, and a rotation's secrets, are not its to write); a rotation or a re-seal replaces the
 * secrets with a compare-and-set on the secrets it read, and reads again when another writer got there first. Without
 * this, an `update` racing the dispatcher's 410 disable re-enabled the endpoint, and an `update` racing a rotation
 * dropped a secret the customer had already been shown. A re-seal of the sealed transport settings (sensitive header
 * values) is a compare-and-set on the transport it read, likewise.
 */
import * as Effect from "effect/Effect"
import { StorageError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { Storage } from "../../Storage.js"

/** The host-owned fields `update` may change. */
const owned = [
  "url",
  "name",
  "description",
  "eventTypes",
  "channels",
  "headers",
  "metadata",
  "timeoutMs",
  "retryPolicy",
  "scheme",
  "options",
  "transport"
] as const satisfies ReadonlyArray<keyof Model.EndpointPatch & keyof Model.EndpointRecord>

/**
 * The patch that turns `current` into `next` for the fields `update` owns: those whose value `next` replaced
 * (`update` builds `next` from `current` by replacing what it was given, so untouched fields are the same values).
 */
export const changes = (current: Model.EndpointRecord, next: Model.EndpointRecord): Model.EndpointPatch => {
  const patch: Record<string, unknown> = { updatedAt: next.updatedAt }
  for (const field of owned) {
    if (next[field] !== current[field]) patch[field] = next[field]
  }
  return patch as unknown as Model.EndpointPatch
}

/** How often a compare-and-set of secrets is retried when other writers keep winning. */
const MAX_TRIES = 20

/**
 * Replaces the endpoint's secrets with `next(current)` as a compare-and-set on the secrets it read; on a conflict,
 * reads again and recomputes. `next` returning undefined means nothing to write (the result is then the record read).
 * `updatedAt` is the write's time; without it (a re-seal, which changes no one's view of the endpoint) the endpoint's
 * own is kept. Returns the stored endpoint, or undefined when there is none.
 */
export const swapSecrets = (
  storage: Storage["Type"],
  tenant: string,
  id: string,
  next: (current: Model.EndpointRecord) => ReadonlyArray<Model.SecretRecord> | undefined,
  updatedAt?: number | undefined
): Effect.Effect<Model.EndpointRecord | undefined, StorageError> =>
  Effect.gen(function*() {
    for (let i = 0; i < MAX_TRIES; i++) {
      const current = yield* storage.getEndpoint(tenant, id)
      if (current === undefined) return undefined
      const secrets = next(current)
      if (secrets === undefined) return current
      const patch = { secrets, updatedAt: updatedAt ?? current.updatedAt }
      const written = yield* storage.patchEndpoint(tenant, id, patch, undefined, current.secrets)
      if (written !== undefined) return written
    }
    return yield* new StorageError({
      code: "conflict",
      message: `the secrets of endpoint ${id} changed under ${MAX_TRIES} writes in a row; try again`
    })
  })

/**
 * Replaces the endpoint's `transport` with `next(current)` as a compare-and-set on the transport it read (a re-seal:
 * an update meanwhile is not undone); like `swapSecrets` otherwise, keeping the endpoint's `updatedAt`.
 */
export const swapTransport = (
  storage: Storage["Type"],
  tenant: string,
  id: string,
  next: (current: Model.EndpointRecord) => Model.EndpointTransport | undefined
): Effect.Effect<Model.EndpointRecord | undefined, StorageError> =>
  Effect.gen(function*() {
    for (let i = 0; i < MAX_TRIES; i++) {
      const current = yield* storage.getEndpoint(tenant, id)
      if (current === undefined) return undefined
      const transport = next(current)
      if (transport === undefined) return current
      const patch = { transport, updatedAt: current.updatedAt }
      const written = yield* storage.patchEndpoint(tenant, id, patch, undefined, undefined, current.transport ?? null)
      if (written !== undefined) return written
    }
    return yield* new StorageError({
      code: "conflict",
      message: `the transport settings of endpoint ${id} changed under ${MAX_TRIES} writes in a row; try again`
    })
  })
