/**
 * The Redis modules read from `Config`: a bad environment value (URL, key prefix, connection name) fails
 * `layerConfig` with a `ConfigError` naming the variable, before any connection is made.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RedisConnection from "../src/RedisConnection.js"
import * as RedisQueue from "../src/RedisQueue.js"
import * as RedisRateLimiter from "../src/RedisRateLimiter.js"

const configError = <A, E>(layer: Layer.Layer<A, E>, env: Record<string, string>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(
      Effect.scoped(Layer.build(layer)).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
      )
    )
    assert(Exit.isFailure(exit), "the layer was built")
    const failure = Cause.failureOption(exit.cause)
    assert(Option.isSome(failure), `not a typed failure: ${Cause.pretty(exit.cause)}`)
    assert(ConfigError.isConfigError(failure.value), `not a ConfigError: ${String(failure.value)}`)
    return String(failure.value)
  })

// Port 1: never connected to, since every case fails while reading its config.
const url = "redis://127.0.0.1:1"

describe("Redis layerConfig", () => {
  it.effect("a URL that is not redis:// names the variable and never shows the value", () =>
    Effect.gen(function*() {
      const text = yield* configError(RedisConnection.layerConfig(), { HOOKWIRE_REDIS_URL: "http://u:s3cret@host" })
      expect(text).toMatch(/HOOKWIRE_REDIS_URL.*redis:\/\/ or rediss:\/\//)
      expect(text).not.toContain("s3cret")
    }))

  it.effect("a bad key prefix or connection name names its variable, for the queue and the rate limiter", () =>
    Effect.gen(function*() {
      for (
        const layer of [RedisQueue.layerConfig(), RedisRateLimiter.layerConfig()] as Array<
          Layer.Layer<unknown, unknown>
        >
      ) {
        expect(yield* configError(layer, { HOOKWIRE_REDIS_URL: url, HOOKWIRE_REDIS_PREFIX: "{tag}" })).toMatch(
          /HOOKWIRE_REDIS_PREFIX.*no braces/
        )
        expect(yield* configError(layer, { HOOKWIRE_REDIS_URL: url, HOOKWIRE_REDIS_CONNECTION_NAME: "a b" })).toMatch(
          /HOOKWIRE_REDIS_CONNECTION_NAME.*without spaces/
        )
      }
    }))
})
