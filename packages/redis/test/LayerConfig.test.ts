/**
 * The Redis modules read from `Config`: a bad environment value (URL, key prefix, connection name) fails
 * `layerConfig` with a `ConfigError` naming the variable, before any connection is made; a bad option given in code
 * to `layer` is a `ValidationError` naming it, never a defect.
 */
import { describe, expect, it } from "@effect/vitest"
import { configError, invalidOption } from "@hookwire/core/test/contract/LayerFailures"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as RedisAdapter from "../src/RedisAdapter.js"
import * as RedisConnection from "../src/RedisConnection.js"
import * as RedisDedupStore from "../src/RedisDedupStore.js"
import * as RedisQueue from "../src/RedisQueue.js"
import * as RedisRateLimiter from "../src/RedisRateLimiter.js"
import { connectionLayer, describeRedis, redisUrl } from "./utils/redis.js"

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

describe("RedisConnection.layer", () => {
  it.effect("a URL that is not redis:// or a connection name with a space names the option", () =>
    Effect.gen(function*() {
      const scheme = yield* invalidOption(RedisConnection.layer("http://u:s3cret@host"))
      expect(scheme.field).toBe("url")
      expect(scheme.message).toMatch(/redis:\/\/\[user:password@\]host/)
      expect(scheme.message).not.toContain("s3cret")
      expect((yield* invalidOption(RedisConnection.layer(url, { connectionName: "a b" }))).field).toBe("connectionName")
    }))
})

describeRedis("a bad key prefix given in code", () => {
  it.effect("fails the queue, the adapter, the rate limiter and the dedup store with a ValidationError", () =>
    Effect.gen(function*() {
      const layers = [
        RedisQueue.layer({ prefix: "{tag}" }),
        RedisAdapter.layer({ prefix: "has space", sweeper: false }),
        RedisRateLimiter.layer({ prefix: "" }),
        RedisDedupStore.layer({ prefix: "{x}" })
      ] as Array<Layer.Layer<unknown, unknown, RedisConnection.RedisConnection>>
      for (const layer of layers) {
        const error = yield* invalidOption(Layer.provide(layer, connectionLayer("hookwire-test-options")))
        expect(error.field).toBe("prefix")
        expect(error.message).toMatch(/no braces or spaces/)
      }
    }))

  it.effect("from the host's Config: a ConfigError", () =>
    Effect.gen(function*() {
      const config = Config.succeed({ url: Redacted.make(redisUrl), prefix: "{tag}", connectionName: undefined })
      expect(yield* configError(RedisQueue.layerConfig(config))).toMatch(/prefix.*no braces/)
    }))
})
