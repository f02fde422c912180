/**
 * The second argument of the Promise API's `publish` and `publishMany`: `{ transaction }`, the host's own database
 * transaction, which the publish joins through the adapter (`Adapter.inTransaction`; the Postgres adapter has it).
 * Checked here, once for every adapter: an unknown key (`{ transacton: client }` would otherwise publish outside the
 * transaction without a word) and an adapter that cannot join a transaction are `ValidationError`s.
 */
import * as Effect from "effect/Effect"
import { ValidationError } from "../../Errors.js"
import type * as Hookwire from "../../Hookwire.js"
import { unknownKey } from "./optionKeys.js"

const allowed = { transaction: true } as const satisfies Record<keyof Hookwire.PublishOptions, true>

/** Runs `effect` (a publish) in the transaction `options` names, if any, with `adapter`. */
export const make =
  (adapter: Hookwire.Adapter) =>
  <A, E, R>(where: string, options: unknown, effect: Effect.Effect<A, E, R>): Effect.Effect<A, unknown, R> => {
    if (options === undefined) return effect
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      return Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "options",
          message: `${where}'s second argument takes { transaction }; got ${
            options === null ? "null" : typeof options
          }.`
        })
      )
    }
    const unknown = unknownKey(`${where} options`, options, allowed)
    if (unknown !== undefined) return Effect.fail(unknown)
    const transaction = (options as Hookwire.PublishOptions).transaction
    if (transaction === undefined) return effect
    if (adapter.inTransaction === undefined) {
      return Effect.fail(
        new ValidationError({
          code: "invalid_option",
          field: "transaction",
          message: `This adapter cannot join your transaction: ${where} with { transaction } needs an adapter on ` +
            "your database (postgres() from @hookwire/postgres). Without it, publish after your commit."
        })
      )
    }
    return adapter.inTransaction(transaction, effect)
  }
