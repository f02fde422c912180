/**
 * `@hookwire/postgres`: Hookwire's Storage and Queue on PostgreSQL — migrations, `SKIP LOCKED` claims with leases,
 * `LISTEN/NOTIFY` wake-ups, transactional publish, a receiver dedup store and retention.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as PgAdapter from "./PgAdapter.js"

/**
 * @since 0.1.0
 */
export * as PgDedupStore from "./PgDedupStore.js"

/**
 * @since 0.1.0
 */
export * as PgMigrator from "./PgMigrator.js"

/**
 * @since 0.1.0
 */
export * as PgQueue from "./PgQueue.js"

/**
 * @since 0.1.0
 */
export * as PgRetention from "./PgRetention.js"

/**
 * @since 0.1.0
 */
export * as PgStorage from "./PgStorage.js"

/**
 * Storage and Queue on PostgreSQL for `createHookwire({ adapter: postgres({ url }) })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export { postgres } from "./PgAdapter.js"

/**
 * A receiver dedup store on PostgreSQL for the Express and Fastify middleware: `dedup: pgDedupStore({ url })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export { pgDedupStore } from "./PgDedupStore.js"
