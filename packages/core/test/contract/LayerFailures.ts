/**
 * How a layer refuses bad options, for every package's tests: `layer(options)` given a bad option in code fails with a
 * `ValidationError` (`invalid_option`, naming the option), and `layerConfig` given a bad value (from the environment
 * or from code through `Config.succeed`) fails with a `ConfigError` — never a defect, never a built layer.
 */
import { assert } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { ValidationError } from "../../src/Errors.js"

/** The typed failure of building `layer` (with `env` as the environment); fails the test on success or a defect. */
export const failureOf = <A, E>(layer: Layer.Layer<A, E>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(
      Effect.scoped(Layer.build(layer)).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      )
    )
    assert(Exit.isFailure(exit), "the layer was built")
    const failure = Cause.failureOption(exit.cause)
    assert(Option.isSome(failure), `not a typed failure: ${Cause.pretty(exit.cause)}`)
    return failure.value as unknown
  })

/** The `ValidationError` building `layer` fails with: its `field` and `message`. */
export const invalidOption = <A, E>(layer: Layer.Layer<A, E>) =>
  Effect.map(failureOf(layer), (error) => {
    assert(error instanceof ValidationError, `not a ValidationError: ${String(error)}`)
    assert(error.code === "invalid_option", `code ${error.code}`)
    return { field: error.field, message: error.message }
  })

/** The text of the `ConfigError` building `layer` with `env` fails with. */
export const configError = <A, E>(layer: Layer.Layer<A, E>, env: Record<string, string> = {}) =>
  Effect.map(failureOf(layer, env), (error) => {
    assert(ConfigError.isConfigError(error), `not a ConfigError: ${String(error)}`)
    return String(error)
  })
