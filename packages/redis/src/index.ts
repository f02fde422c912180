/**
 * `@hookwire/redis`: Hookwire's delivery queue on Redis (Lua-scripted batch claims with leases, cross-process
 * wake-ups, Cluster hash tags, Sentinel), the adapter that pairs it with a Storage and the sweeper, a rate limiter
 * shared by every worker process, and a receiver dedup store.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as RedisAdapter from "./RedisAdapter.js"

/**
 * @since 0.1.0
 */
export * as RedisConnection from "./RedisConnection.js"

/**
 * @since 0.1.0
 */
export * as RedisDedupStore from "./RedisDedupStore.js"

/**
 * @since 0.1.0
 */
export * as RedisQueue from "./RedisQueue.js"

/**
 * @since 0.1.0
 */
export * as RedisRateLimiter from "./RedisRateLimiter.js"

/**
 * Storage plus the Redis queue and the sweeper, for `createHookwire({ adapter: redisQueue({ storage, redis }) })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export { redisQueue } from "./RedisAdapter.js"

/**
 * A receiver dedup store on Redis for the Express and Fastify middleware: `dedup: redisDedupStore({ redis })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export { redisDedupStore } from "./RedisDedupStore.js"
