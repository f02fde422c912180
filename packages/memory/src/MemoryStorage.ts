/**
 * The Storage port in process memory: the embedded default and the test double. Records live in `Map`s keyed by id,
 * with sorted id lists per tenant, endpoint and message for cursor pages, and a min-heap of pending deliveries on their
 * next attempt time for the sweeper. Every operation is synchronous, so each one is atomic. Memory is bounded by
 * retention: once more than `maxMessages` messages are stored, or their estimated size passes `maxBytes`, the
 * messages whose deliveries are all finished (delivered, failed or cancelled) are evicted oldest-finished first, with
 * their deliveries and attempts, and each delivery keeps its last `maxAttemptsPerDelivery` attempts. Pending work is
 * never evicted, and endpoints are never evicted.
 *
 * This module holds the options and the layers; the service is built from one module per record family under
 * `internal/` (`endpoints`, `messages`, `deliveries`, `attempts`, `retention`) over one shared state
 * (`internal/state.ts`: the maps, the indexes, the due heap and eviction).
 *
 * @since 0.1.0
 */
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Errors from "@hookwire/core/Errors"
import * as Storage from "@hookwire/core/Storage"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as attempts from "./internal/attempts.js"
import * as deliveries from "./internal/deliveries.js"
import * as endpoints from "./internal/endpoints.js"
import * as messages from "./internal/messages.js"
import * as retention from "./internal/retention.js"
import * as state from "./internal/state.js"

/**
 * Retention limits. Both bound memory; neither ever drops pending work.
 *
 * @since 0.1.0
 * @category config
 */
export interface Options {
  /**
   * How many messages to keep. Beyond it, finished messages (no pending delivery) are evicted oldest-finished first,
   * with their deliveries and attempts, and their idempotency keys are forgotten. Messages with pending deliveries
   * are never evicted, so the count can exceed this while they are in flight. Default 100,000; `Infinity` keeps all.
   */
  readonly maxMessages?: number | undefined
  /**
   * An estimate of the bytes that messages, deliveries and attempts may take (see `costs`); beyond it, finished
   * messages are evicted as for `maxMessages`. Default 256 MiB; `Infinity` turns it off.
   */
  readonly maxBytes?: number | undefined
  /** How many attempts to keep per delivery, the most recent ones. Default 100; `Infinity` keeps all. */
  readonly maxAttemptsPerDelivery?: number | undefined
}

/**
 * The defaults of `Options`.
 *
 * @since 0.1.0
 * @category config
 */
export const defaults: {
  readonly maxMessages: number
  readonly maxBytes: number
  readonly maxAttemptsPerDelivery: number
} = {
  maxMessages: 100_000,
  maxBytes: 256 * 1024 * 1024,
  maxAttemptsPerDelivery: 100
}

/**
 * What a record costs in memory, as the `maxBytes` estimate counts it: a fixed overhead (measured on Node 20, 64-bit:
 * the record, its id, its map entry and its index slots) plus a message's body in UTF-8 bytes (the store keeps
 * bodies as bytes, off the V8 heap) and one byte per character of its other variable strings (a message's type,
 * channels and idempotency key; an attempt's url, response body and error message). Strings outside Latin-1 take two
 * bytes per character, so the estimate can be low by up to that much for them.
 *
 * @since 0.1.0
 * @category config
 */
export const costs: {
  readonly message: number
  readonly delivery: number
  readonly attempt: number
} = state.costs

const validLimit = (value: number): boolean => value === Infinity || (Number.isInteger(value) && value > 0)

// Throws a ValidationError naming the first bad limit (see `Errors.checkOptions`).
const limitsOf = (options: Options): state.Limits => {
  const limits = {
    maxMessages: options.maxMessages ?? defaults.maxMessages,
    maxBytes: options.maxBytes ?? defaults.maxBytes,
    maxAttemptsPerDelivery: options.maxAttemptsPerDelivery ?? defaults.maxAttemptsPerDelivery
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!validLimit(value)) {
      throw Errors.invalidOption(name, `MemoryStorage: ${name} (${value}) must be a positive integer or Infinity`)
    }
  }
  return limits
}

/**
 * Builds a memory Storage with retention options; a bad one fails with a `ValidationError` (`invalid_option`) naming
 * it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (
  options: Options = {}
): Effect.Effect<Context.Tag.Service<typeof Storage.Storage>, Errors.ValidationError> =>
  Effect.map(Errors.checkOptions(() => limitsOf(options)), unsafeMake)

/**
 * Builds a memory Storage with the default retention (`defaults`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Context.Tag.Service<typeof Storage.Storage>> = Effect.sync(() => unsafeMake(defaults))

/**
 * A fresh, empty memory Storage with retention options (each defaults to `defaults`). A bad one fails the layer with
 * a `ValidationError` (`invalid_option`) naming it.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<Storage.Storage, Errors.ValidationError> =>
  Layer.effect(Storage.Storage, makeWith(options))

/**
 * The old name of `layer(options)`.
 *
 * @since 0.1.0
 * @category layers
 * @deprecated Use `layer(options)`.
 */
export const layerWith: (options: Options) => Layer.Layer<Storage.Storage, Errors.ValidationError> = layer

const limit = (text: string): Either.Either<number, string> => {
  const value = text.toLowerCase() === "infinity" ? Infinity : Number(text)
  return text !== "" && validLimit(value)
    ? Either.right(value)
    : Either.left(`Expected a whole number of at least 1, or Infinity, got "${text}"`)
}

/**
 * The retention limits from the environment, each optional: `HOOKWIRE_MEMORY_MAX_MESSAGES`,
 * `HOOKWIRE_MEMORY_MAX_BYTES` and `HOOKWIRE_MEMORY_MAX_ATTEMPTS_PER_DELIVERY` (whole numbers of at least 1, or
 * `Infinity`). A bad value is a `ConfigError` naming the variable.
 *
 * @since 0.2.0
 * @category config
 */
export const defaultConfig: Config.Config<Options> = Config.all({
  maxMessages: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_MEMORY_MAX_MESSAGES", limit)),
  maxBytes: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_MEMORY_MAX_BYTES", limit)),
  maxAttemptsPerDelivery: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_MEMORY_MAX_ATTEMPTS_PER_DELIVERY", limit))
})

/**
 * A fresh, empty memory Storage with retention options read from `Config` (by default `defaultConfig`, the
 * `HOOKWIRE_MEMORY_*` environment). A bad value fails the layer with a `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options> = defaultConfig
): Layer.Layer<Storage.Storage, ConfigError.ConfigError> =>
  Layer.effect(
    Storage.Storage,
    Effect.flatMap(Config.unwrap(config), (options) => EnvConfig.asConfigError(makeWith(options)))
  )

// The service is composed from one slice per record family over one shared state (see internal/state.ts).
const unsafeMake = (limits: state.Limits): state.Service => {
  const shared = new state.State(limits)
  return Storage.Storage.of({
    ...endpoints.make(shared),
    ...messages.make(shared),
    ...deliveries.make(shared),
    ...attempts.make(shared),
    ...retention.make(shared)
  })
}
