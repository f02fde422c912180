/**
 * The environment of the queue and the rate limiter: the connection's (`HOOKWIRE_REDIS_URL`,
 * `HOOKWIRE_REDIS_CONNECTION_NAME`) and their key namespace, `HOOKWIRE_REDIS_PREFIX`.
 *
 * @internal
 */
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Config from "effect/Config"
import * as Either from "effect/Either"
import * as RedisConnection from "../RedisConnection.js"
import { validatePrefix } from "../RedisQueue.js"

// validatePrefix is called only when the config is read, so the import cycle with RedisQueue is harmless.
const prefix = (text: string): Either.Either<string, string> => {
  try {
    return Either.right(validatePrefix(text))
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}

export const withPrefix: Config.Config<RedisConnection.ConfigOptions & { readonly prefix: string | undefined }> = Config
  .map(
    Config.all([RedisConnection.defaultConfig, EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_REDIS_PREFIX", prefix))]),
    ([connection, prefix]) => ({ ...connection, prefix })
  )
