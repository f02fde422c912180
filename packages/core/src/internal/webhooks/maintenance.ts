/**
 * The maintenance slice of the Webhooks service: `resealSecrets`, run after a master-key rotation, re-seals every
 * endpoint secret and sensitive header value stored unsealed or sealed with another key than the current one. (Pruning and expunging the
 * delivery log are `Retention`'s.)
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { ValidationError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { SecretBox } from "../../SecretBox.js"
import type { Webhooks } from "../../Webhooks.js"
import * as validate from "../validate.js"
import type { Deps } from "./deps.js"
import * as endpointTransport from "./endpointTransport.js"
import * as endpointWrites from "./endpointWrites.js"

/** The slice's operations, as the service exposes them. */
export type Maintenance = Webhooks["Type"]["maintenance"]

const noMasterKey = () =>
  new ValidationError({
    code: "invalid_option",
    field: "masterKeys",
    message: "resealSecrets needs a master key: configure masterKeys (HOOKWIRE_MASTER_KEYS) first"
  })

const current = (box: SecretBox, endpoint: Model.EndpointRecord) =>
  endpoint.secrets.every((s) => box.keyIdOf(s.value) === box.currentKeyId) &&
  endpointTransport.isCurrent(box, endpoint.transport)

const resealSecrets = ({ settings, storage }: Deps) => {
  /** Re-seals one endpoint's stale secrets and sensitive header values; whether it wrote. */
  const reseal = (box: SecretBox, endpoint: { readonly tenant: string; readonly id: string }) =>
    Effect.suspend(() => {
      let changed = false
      // Only the secrets, as a compare-and-set: a rotation or an update meanwhile is not undone.
      const secrets = endpointWrites.swapSecrets(storage, endpoint.tenant, endpoint.id, (fresh) => {
        if (fresh.secrets.every((s) => box.keyIdOf(s.value) === box.currentKeyId)) return undefined
        changed = true
        return fresh.secrets.map((s) =>
          box.keyIdOf(s.value) === box.currentKeyId
            ? s
            : { ...s, value: settings.secrets.seal(fresh, settings.secrets.open(fresh, s.value)) }
        )
      })
      // Then the transport's sealed values, as a compare-and-set on the transport.
      const transport = endpointWrites.swapTransport(storage, endpoint.tenant, endpoint.id, (fresh) => {
        if (fresh.transport == null || endpointTransport.isCurrent(box, fresh.transport)) return undefined
        changed = true
        return endpointTransport.reseal(settings, box, fresh, fresh.transport)
      })
      return Effect.map(Effect.zipRight(secrets, transport), () => changed)
    })

  return Effect.fn("Webhooks.maintenance.resealSecrets")(function*(
    options?: { readonly batchSize?: number | undefined }
  ) {
    const box = settings.secrets.box
    if (box === undefined) return yield* noMasterKey()
    const batchSize = yield* validate.pageLimit(options?.batchSize ?? 500)
    let scanned = 0
    let resealed = 0
    let after: string | undefined
    while (true) {
      const batch = yield* storage.scanEndpoints(after, batchSize)
      for (const endpoint of batch) {
        scanned++
        if (current(box, endpoint)) continue
        if (yield* reseal(box, endpoint)) resealed++
      }
      if (batch.length < batchSize) break
      after = batch[batch.length - 1]!.id
    }
    return { scanned, resealed }
  }, (effect) =>
    Effect.catchAllDefect(effect, (defect) =>
      Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "masterKeys",
          message: `resealSecrets stopped: ${defect instanceof Error ? defect.message : String(defect)}`
        })
      )))
}

/** @internal */
export const make = (deps: Deps): Maintenance => ({ resealSecrets: resealSecrets(deps) })
