/**
 * In-memory Storage and Queue for Hookwire: the embedded default and the test double.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Memory from "./Memory.js"

/**
 * @since 0.1.0
 */
export * as MemoryQueue from "./MemoryQueue.js"

/**
 * @since 0.1.0
 */
export * as MemoryStorage from "./MemoryStorage.js"

/**
 * A fresh memory Storage and Queue for `createHookwire({ adapter: memory() })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export { memory } from "./Memory.js"
