/**
 * The environment of the queue and the rate limiter: the connection's (`HOOKWIRE_REDIS_URL`,
 * `HOOKWIRE_REDIS_CONNECTION_NAME`) and their key namespace, `HOOKWIRE_REDIS_PREFIX`.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Option from "effect/Option"
import * as RedisConnection from "../RedisConnection.js"

export const withPrefix: Config.Config<RedisConnection.ConfigOptions & { readonly prefix: string | undefined }> = Config
  .map(
    Config.all([RedisConnection.defaultConfig, Config.option(Config.string("HOOKWIRE_REDIS_PREFIX"))]),
    ([connection, prefix]) => ({ ...connection, prefix: Option.getOrUndefined(prefix) })
  )
