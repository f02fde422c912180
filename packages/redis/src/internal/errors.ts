/**
 * Turning ioredis failures into the typed errors of the ports, with messages that say what to do.
 *
 * @internal
 */
import { QueueError, StorageError } from "@hookwire/core/Errors"
import { RateLimiterError } from "@hookwire/core/RateLimiter"

const CONNECTION = [
  "Connection is closed",
  "connect ECONNREFUSED",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "Stream isn't writeable",
  "Reached the max retries per request limit",
  "All sentinels are unreachable",
  "Failed to refresh slots cache",
  "None of startup nodes is available",
  "CLUSTERDOWN",
  "TRYAGAIN",
  "MASTERDOWN",
  "LOADING",
  "READONLY"
]

const messageOf = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause)

/** Whether an ioredis failure means "Redis could not be reached (now)" rather than "Redis refused the command". */
export const isConnection = (cause: unknown): boolean => {
  if (cause instanceof Error && cause.name === "MaxRetriesPerRequestError") return true
  const message = messageOf(cause)
  return CONNECTION.some((needle) => message.includes(needle))
}

/** A sentence for the cause, with the fix when we know it. */
export const describe = (operation: string, where: string, cause: unknown): string => {
  const message = messageOf(cause)
  if (isConnection(cause)) {
    return `${operation}: could not reach Redis at ${where} (${message}); check that Redis is running and that the ` +
      `url or options point at it (HOOKWIRE_REDIS_URL). The call can be retried.`
  }
  if (message.includes("CROSSSLOT")) {
    return `${operation}: Redis Cluster refused keys in different hash slots (${message}); every key of one queue ` +
      `must carry the same {hash tag}: do not add braces to the prefix, and do not set an ioredis keyPrefix with braces.`
  }
  if (message.includes("NOPERM") || message.includes("NOAUTH") || message.includes("WRONGPASS")) {
    return `${operation}: Redis at ${where} refused the credentials or the command (${message}); the user needs ` +
      `EVALSHA, EVAL, PUBLISH, SUBSCRIBE and the hash, sorted set and string commands on the configured prefix.`
  }
  if (message.includes("WRONGTYPE")) {
    return `${operation}: a key under the configured prefix holds another kind of value (${message}); another ` +
      `application uses the same prefix: give Hookwire a prefix of its own.`
  }
  return `${operation}: Redis at ${where} answered with an error (${message}).`
}

/** @internal */
export const queueError = (operation: string, where: string) => (cause: unknown): QueueError =>
  new QueueError({
    code: isConnection(cause) ? "connection" : "unknown",
    message: describe(operation, where, cause),
    cause
  })

/** @internal */
export const rateLimiterError = (operation: string, where: string) => (cause: unknown): RateLimiterError =>
  new RateLimiterError({
    code: isConnection(cause) ? "connection" : "unknown",
    message: describe(operation, where, cause),
    cause
  })

/** @internal */
export const storageError = (operation: string, where: string) => (cause: unknown): StorageError =>
  new StorageError({
    code: isConnection(cause) ? "connection" : "unknown",
    message: describe(operation, where, cause),
    cause
  })
