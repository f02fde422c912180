/**
 * Recover: every failed delivery of an endpoint created in a window (`since`, optional `until`) goes back to
 * pending and is queued now, with a fresh retry schedule.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { ValidationError } from "../../Errors.js"
import type { TimeInput } from "../../Webhooks.js"
import * as validate from "../validate.js"
import { type Deps, loadEndpoint } from "./deps.js"

/** @internal */
export const make = (deps: Deps) =>
  Effect.fn("Webhooks.deliveries.recover")(function*(input: {
    readonly tenant: string
    readonly endpointId: string
    readonly since: TimeInput
    readonly until?: TimeInput | undefined
  }) {
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
    // Move, then enqueue: uninterruptible, or an interruption between the two would strand the deliveries.
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
