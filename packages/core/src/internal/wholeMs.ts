/**
 * Every time the engine hands to a port (a queue run time, a storage timestamp) is a whole epoch millisecond: the
 * ports' surface is epoch ms, and a store may keep it as an integer (Postgres `bigint` refuses `1796566647757.2`).
 * Times made from measurements (a moving average of attempt durations, a rate limiter's wait) are rounded here,
 * where they are made, never later in an adapter.
 */

/** `ms` as a whole number of milliseconds, rounded up: a run time made from it is never earlier than asked. */
export const ceil = (ms: number): number => Math.ceil(ms)

/** Whether `ms` is a time a port accepts: a whole number of milliseconds within the safe integer range. */
export const isWhole = (ms: unknown): ms is number => typeof ms === "number" && Number.isSafeInteger(ms)
