/**
 * `createHookwire` reads the same `HOOKWIRE_*` environment as `Settings.layerConfig` (master keys, timeout, http,
 * payload limit), synchronously, so that a bad value throws at construction like any other bad option. Options given
 * in code win over the environment.
 */
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { ValidationError } from "../../Errors.js"
import * as Settings from "../../Settings.js"

/** `options` completed from the environment; throws a `ValidationError` for a malformed variable. */
export const read = <O extends Settings.Options>(options: O): O => {
  const exit = Effect.runSyncExit(Settings.withEnvironment(options))
  if (Exit.isSuccess(exit)) return exit.value
  const error = Cause.squash(exit.cause)
  if (ConfigError.isConfigError(error)) {
    throw new ValidationError({
      code: "invalid_option",
      field: "environment",
      message: `Invalid HOOKWIRE_* environment variable: ${String(error)}. Fix or unset it (options given to ` +
        `createHookwire take precedence over the environment).`
    })
  }
  throw error
}
