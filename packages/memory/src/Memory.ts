/**
 * The memory adapter as one value, for the Promise API: `createHookwire({ adapter: memory(), ... })`. Effect users
 * can equally provide `Layer.mergeAll(MemoryStorage.layer(), MemoryQueue.layer)` themselves.
 *
 * @since 0.1.0
 */
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as MemoryQueue from "./MemoryQueue.js"
import * as MemoryStorage from "./MemoryStorage.js"

/**
 * An adapter: a Layer that provides both Storage and Queue (the shape `createHookwire` takes as `adapter`).
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryAdapter {
  readonly layer: Layer.Layer<Storage.Storage | DeliveryQueue.DeliveryQueue>
}

/**
 * A fresh memory Storage and Queue, with the Storage's retention options. Each call makes a new, empty store. The
 * options are checked at once, like every option of the Promise API: a bad one throws its `ValidationError` here.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memory = (options: MemoryStorage.Options = {}): MemoryAdapter => {
  const checked = Effect.runSync(Effect.either(MemoryStorage.makeWith(options)))
  if (Either.isLeft(checked)) throw checked.left
  // Checked above: the layer cannot fail.
  return { layer: Layer.merge(Layer.orDie(MemoryStorage.layer(options)), MemoryQueue.layer) }
}
