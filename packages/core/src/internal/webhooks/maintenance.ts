/**
 * The maintenance slice of the Webhooks service: `resealSecrets`, run after a master-key rotation, re-seals every
 * endpoint secret stored unsealed or sealed with another key than the current one. (Pruning and expunging the
 * delivery log are `Retention`'s.)
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { ValidationError } from "../../Errors.js"
import type { SecretBox } from "../../SecretBox.js"
import type { Webhooks } from "../../Webhooks.js"
import * as validate from "../validate.js"
import type { Deps } from "./deps.js"
import * as endpointWrites from "./endpointWrites.js"

/** The slice's operations, as the service exposes them. */
export type Maintenance = Webhooks["Type"]["maintenance"]

const noMasterKey = () =>
  new ValidationError({
    code: "invalid_option",
    field: "masterKeys",
    message: "resealSecrets needs a master key: configure masterKeys (HOOKWIRE_MASTER_KEYS) first"
  })

const resealSecrets = ({ settings, storage }: Deps) => {
  /** Re-seals one endpoint's stale secrets; whether it wrote. */
  const reseal = (box: SecretBox, endpoint: { readonly tenant: string; readonly id: string }) =>
    Effect.suspend(() => {
      let changed = false
      // Only the secrets, as a compare-and-set: a rotation or an update meanwhile is not undone.
      const written = endpointWrites.swapSecrets(storage, endpoint.tenant, endpoint.id, (fresh) => {
        if (fresh.secrets.every((s) => box.keyIdOf(s.value) === box.currentKeyId)) return undefined
        changed = true
        return fresh.secrets.map((s) =>
          box.keyIdOf(s.value) === box.currentKeyId
            ? s
            : { ...s, value: settings.secrets.seal(fresh, settings.secrets.open(fresh, s.value)) }
        )
      })
      return Effect.map(written, () => changed)
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
        if (endpoint.secrets.every((s) => box.keyIdOf(s.value) === box.currentKeyId)) continue
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
