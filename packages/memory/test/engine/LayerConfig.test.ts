/**
 * Every configurable service of core and memory read from `Config`: a bad environment value fails its
 * `layerConfig` with a `ConfigError` that names the variable and says what is accepted (never a defect), and good
 * values reach the service. A bad option given in code fails `layer(options)` with a `ValidationError`
 * (`invalid_option`) naming it; through `layerConfig` (from the host's own `Config`) the same value is a `ConfigError`.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Dispatcher,
  Hookwire,
  HttpTransport,
  OperationalEvents,
  RecordingTransport,
  Retention,
  Settings,
  Storage,
  Sweeper
} from "@hookwire/core"
import { configError, invalidOption } from "@hookwire/core/test/contract/LayerFailures"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { memory } from "../../src/Memory.js"
import * as MemoryQueue from "../../src/MemoryQueue.js"
import * as MemoryStorage from "../../src/MemoryStorage.js"
import { catalog } from "./harness.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const stores = Layer.merge(MemoryStorage.layer(), MemoryQueue.layer).pipe(Layer.orDie)
const engineParts = Layer.mergeAll(
  stores,
  Settings.layer({ catalog }),
  OperationalEvents.layer(),
  RecordingTransport.layer()
)

describe("Settings.layerConfig", () => {
  it.effect("HOOKWIRE_TIMEOUT=\"2 minutes\" is a ConfigError naming the variable and the accepted range", () =>
    Effect.gen(function*() {
      const text = yield* configError(Settings.layerConfig({ catalog }), { HOOKWIRE_TIMEOUT: "2 minutes" })
      expect(text).toContain("HOOKWIRE_TIMEOUT")
      expect(text).toContain("between 1ms and 1m")
      expect(text).toContain("\"2 minutes\"")
    }))

  it.effect("a timeout that is not a duration says what a duration looks like", () =>
    Effect.gen(function*() {
      const text = yield* configError(Settings.layerConfig({ catalog }), { HOOKWIRE_TIMEOUT: "soon" })
      expect(text).toMatch(/HOOKWIRE_TIMEOUT.*like "10 seconds"/)
    }))

  it.effect("allowHttp, maxPayloadBytes and masterKeys: each bad value names its variable", () =>
    Effect.gen(function*() {
      const layer = Settings.layerConfig({ catalog })
      expect(yield* configError(layer, { HOOKWIRE_ALLOW_HTTP: "maybe" })).toMatch(/HOOKWIRE_ALLOW_HTTP.*true or false/)
      expect(yield* configError(layer, { HOOKWIRE_MAX_PAYLOAD_BYTES: "0" })).toMatch(
        /HOOKWIRE_MAX_PAYLOAD_BYTES.*whole number of at least 1/
      )
      expect(yield* configError(layer, { HOOKWIRE_MAX_PAYLOAD_BYTES: "1.5" })).toContain("HOOKWIRE_MAX_PAYLOAD_BYTES")
      // A key of the wrong length: named, never echoed.
      const key = "k1:" + Buffer.alloc(16, 7).toString("base64")
      const text = yield* configError(layer, { HOOKWIRE_MASTER_KEYS: key })
      expect(text).toContain("HOOKWIRE_MASTER_KEYS")
      expect(text).not.toContain(key.slice(3))
      expect(yield* configError(layer, { HOOKWIRE_MASTER_KEYS: "no-colon" })).toContain("id:base64key")
    }))

  it.effect("good values reach the settings; options given in code win", () =>
    Effect.gen(function*() {
      const env = { HOOKWIRE_TIMEOUT: "10 seconds", HOOKWIRE_MAX_PAYLOAD_BYTES: "1024", HOOKWIRE_ALLOW_HTTP: "yes" }
      const fromEnv = yield* Effect.provide(Settings.Settings, Settings.layerConfig({ catalog })).pipe(withEnv(env))
      expect([fromEnv.timeoutMs, fromEnv.maxPayloadBytes, fromEnv.allowHttp]).toEqual([10_000, 1024, true])
      const given = yield* Effect.provide(Settings.Settings, Settings.layerConfig({ catalog, timeout: "5 seconds" }))
        .pipe(withEnv(env))
      expect(given.timeoutMs).toBe(5_000)
    }))
})

describe("HttpTransport.layerConfig", () => {
  it.effect("bad connections, timeouts, CIDRs and booleans name their variable", () =>
    Effect.gen(function*() {
      const layer = HttpTransport.layerConfig()
      expect(yield* configError(layer, { HOOKWIRE_HTTP_CONNECTIONS: "0" })).toMatch(
        /HOOKWIRE_HTTP_CONNECTIONS.*at least 1/
      )
      expect(yield* configError(layer, { HOOKWIRE_HTTP_CONNECT_TIMEOUT: "fast" })).toContain(
        "HOOKWIRE_HTTP_CONNECT_TIMEOUT"
      )
      expect(yield* configError(layer, { HOOKWIRE_HTTP_ALLOW_CIDRS: "10.0.0.0/8,not-a-range" })).toMatch(
        /HOOKWIRE_HTTP_ALLOW_CIDRS.*CIDR ranges.*not-a-range/
      )
      expect(yield* configError(layer, { HOOKWIRE_HTTP_ALLOW_PRIVATE_NETWORKS: "sometimes" })).toContain(
        "HOOKWIRE_HTTP_ALLOW_PRIVATE_NETWORKS"
      )
    }))
})

describe("Dispatcher.layerConfig", () => {
  const layer = Dispatcher.layerConfig().pipe(Layer.provide(engineParts))

  it.effect("a bad concurrency or a lease under a second is a ConfigError naming the variable", () =>
    Effect.gen(function*() {
      expect(yield* configError(layer, { HOOKWIRE_DISPATCHER_CONCURRENCY: "0" })).toMatch(
        /HOOKWIRE_DISPATCHER_CONCURRENCY.*at least 1/
      )
      expect(yield* configError(layer, { HOOKWIRE_DISPATCHER_LEASE: "500 millis" })).toMatch(
        /HOOKWIRE_DISPATCHER_LEASE.*at least 1s/
      )
      expect(yield* configError(layer, { HOOKWIRE_DISPATCHER_POLL_INTERVAL: "often" })).toContain(
        "HOOKWIRE_DISPATCHER_POLL_INTERVAL"
      )
    }))

  it.scoped("good values build a running dispatcher", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(layer).pipe(
        withEnv({ HOOKWIRE_DISPATCHER_CONCURRENCY: "4", HOOKWIRE_DISPATCHER_LEASE: "10 seconds" })
      )
      const stats = yield* Effect.provide(Effect.flatMap(Dispatcher.Dispatcher, (d) => d.stats), context)
      expect(stats.inFlight).toBe(0)
    }))
})

describe("Sweeper and Retention layerConfig", () => {
  it.effect("a bad interval, batch size or age names its variable; a missing required age too", () =>
    Effect.gen(function*() {
      const sweeper = Sweeper.layerConfig().pipe(Layer.provide(stores))
      expect(yield* configError(sweeper, { HOOKWIRE_SWEEPER_INTERVAL: "1 millis" })).toMatch(
        /HOOKWIRE_SWEEPER_INTERVAL.*at least 1s/
      )
      expect(yield* configError(sweeper, { HOOKWIRE_SWEEPER_BATCH_SIZE: "ten" })).toContain(
        "HOOKWIRE_SWEEPER_BATCH_SIZE"
      )
      const retention = Retention.layerConfig().pipe(Layer.provide(MemoryStorage.layer()))
      expect(yield* configError(retention, {})).toContain("HOOKWIRE_RETENTION_OLDER_THAN")
      expect(yield* configError(retention, { HOOKWIRE_RETENTION_OLDER_THAN: "a month" })).toMatch(
        /HOOKWIRE_RETENTION_OLDER_THAN.*like "10 seconds"/
      )
    }))

  it.scoped("good values start the sweeps", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(Layer.merge(Sweeper.layerConfig(), Retention.layerConfig()).pipe(Layer.provide(stores))).pipe(
          withEnv({ HOOKWIRE_SWEEPER_INTERVAL: "5 seconds", HOOKWIRE_RETENTION_OLDER_THAN: "30 days" })
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
    }))
})

describe("MemoryStorage.layerConfig", () => {
  it.effect("a limit that is not a whole number or Infinity names its variable", () =>
    Effect.gen(function*() {
      const layer = MemoryStorage.layerConfig()
      expect(yield* configError(layer, { HOOKWIRE_MEMORY_MAX_MESSAGES: "0" })).toMatch(
        /HOOKWIRE_MEMORY_MAX_MESSAGES.*or Infinity/
      )
      expect(yield* configError(layer, { HOOKWIRE_MEMORY_MAX_BYTES: "lots" })).toContain("HOOKWIRE_MEMORY_MAX_BYTES")
    }))

  it.effect("Infinity and whole numbers are accepted", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Effect.provide(Storage.Storage, MemoryStorage.layerConfig()).pipe(
          withEnv({ HOOKWIRE_MEMORY_MAX_MESSAGES: "Infinity", HOOKWIRE_MEMORY_MAX_ATTEMPTS_PER_DELIVERY: "5" })
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
    }))
})

describe("Settings.layer", () => {
  it.effect("a timeout over a minute, a payload limit of 0 or a short master key names the option", () =>
    Effect.gen(function*() {
      const timeout = yield* invalidOption(Settings.layer({ catalog, timeout: "2 minutes" }))
      expect(timeout.field).toBe("timeout")
      expect(timeout.message).toMatch(/between 1 ms and 60 s/)
      expect((yield* invalidOption(Settings.layer({ catalog, maxPayloadBytes: 0 }))).field).toBe("maxPayloadBytes")
      const key = Buffer.alloc(16, 7).toString("base64")
      const short = yield* invalidOption(Settings.layer({ catalog, masterKeys: [{ id: "k1", key }] }))
      expect(short.field).toBe("masterKeys")
      expect(short.message).toMatch(/32 bytes/)
      expect(short.message).not.toContain(key)
    }))

  it.effect("a bad circuit breaker names the breaker's option", () =>
    Effect.gen(function*() {
      const error = yield* invalidOption(Settings.layer({ catalog, circuitBreaker: { failureThreshold: 0 } }))
      expect(error.field).toBe("circuitBreaker.failureThreshold")
      expect(error.message).toMatch(/whole number of at least 1/)
      const coolDown = yield* invalidOption(Settings.layer({ catalog, circuitBreaker: { coolDown: 0 } }))
      expect(coolDown.field).toBe("circuitBreaker.coolDown")
    }))

  it.effect("Hookwire.layer fails with the same error", () =>
    Effect.gen(function*() {
      const engine = Hookwire.layer({ catalog, timeout: -1 }).pipe(Layer.provide(stores))
      expect((yield* invalidOption(engine)).field).toBe("timeout")
    }))

  it.effect("through layerConfig, an option given in code is checked too: a ConfigError", () =>
    Effect.gen(function*() {
      const text = yield* configError(Settings.layerConfig({ catalog, maxPayloadBytes: 1.5 }))
      expect(text).toMatch(/maxPayloadBytes.*positive whole number/)
    }))
})

describe("Dispatcher.layer", () => {
  it.effect("concurrency 0 or a lease under a second names the option", () =>
    Effect.gen(function*() {
      const zero = yield* invalidOption(Dispatcher.layer({ concurrency: 0 }).pipe(Layer.provide(engineParts)))
      expect(zero.field).toBe("dispatcher.concurrency")
      expect(zero.message).toMatch(/whole number of at least 1/)
      const lease = yield* invalidOption(Dispatcher.layer({ lease: "100 millis" }).pipe(Layer.provide(engineParts)))
      expect(lease.field).toBe("dispatcher.lease")
    }))

  it.effect("from the host's Config: a ConfigError at the option's path", () =>
    Effect.gen(function*() {
      const layer = Dispatcher.layerConfig(Config.succeed({ writeBatchSize: 0 })).pipe(Layer.provide(engineParts))
      expect(yield* configError(layer)).toMatch(/dispatcher\.writeBatchSize.*at least 1/)
    }))
})

describe("Sweeper.layer", () => {
  it.effect("an interval of 0 or a batch size of 0 names the option", () =>
    Effect.gen(function*() {
      const interval = yield* invalidOption(Sweeper.layer({ interval: "0 millis" }).pipe(Layer.provide(stores)))
      expect(interval.field).toBe("sweeper.interval")
      expect(interval.message).toMatch(/at least 1ms/)
      const batch = yield* invalidOption(Sweeper.layer({ batchSize: 0 }).pipe(Layer.provide(stores)))
      expect(batch.field).toBe("sweeper.batchSize")
      const config = Sweeper.layerConfig(Config.succeed({ maxPerSweep: 2.5 })).pipe(Layer.provide(stores))
      expect(yield* configError(config)).toMatch(/sweeper\.maxPerSweep.*whole number/)
    }))
})

describe("MemoryStorage.layer", () => {
  it.effect("a limit of 0 names the limit; through layerConfig it is a ConfigError", () =>
    Effect.gen(function*() {
      const error = yield* invalidOption(MemoryStorage.layer({ maxMessages: 0 }))
      expect(error.field).toBe("maxMessages")
      expect(error.message).toMatch(/positive integer or Infinity/)
      expect(yield* configError(MemoryStorage.layerConfig(Config.succeed({ maxBytes: -1 })))).toMatch(/maxBytes/)
    }))

  it("memory() checks its options at once, like every option of the Promise API", () => {
    expect(() => memory({ maxAttemptsPerDelivery: 0 })).toThrow(/maxAttemptsPerDelivery/)
  })
})
