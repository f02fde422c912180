/**
 * `postgres()` without a connection reads it from the environment, as `PgAdapter.layerConfig` does:
 * `HOOKWIRE_DATABASE_URL`, and `HOOKWIRE_DATABASE_SCHEMA`, `HOOKWIRE_TABLE_PREFIX`,
 * `HOOKWIRE_DATABASE_MAX_CONNECTIONS`, `HOOKWIRE_MIGRATE` for what the options leave out. Options given in code win;
 * the URL is read only when no `url`, `pool` or `client` is given. Read synchronously, so that a malformed variable
 * throws at `postgres()`, like a bad option.
 *
 * @internal
 */
import { ValidationError } from "@hookwire/core/Errors"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"

const optional = <A>(config: Config.Config<A>) => Config.map(Config.option(config), Option.getOrUndefined)

const environment = Config.all({
  url: optional(Config.redacted("HOOKWIRE_DATABASE_URL")),
  schema: optional(Config.string("HOOKWIRE_DATABASE_SCHEMA")),
  tablePrefix: optional(Config.string("HOOKWIRE_TABLE_PREFIX")),
  maxConnections: optional(Config.integer("HOOKWIRE_DATABASE_MAX_CONNECTIONS")),
  migrate: optional(Config.boolean("HOOKWIRE_MIGRATE"))
})

/** The options `postgres()` reads from the environment. */
export interface Readable {
  readonly url?: string | Redacted.Redacted<string> | undefined
  readonly pool?: unknown
  readonly client?: { readonly maxConnections?: number | undefined } | undefined
  readonly schema?: string | undefined
  readonly tablePrefix?: string | undefined
  readonly migrate?: boolean | undefined
}

/** `options` completed from the environment; throws a `ValidationError` for a malformed variable. */
export const complete = <O extends Readable>(options: O): O => {
  const exit = Effect.runSyncExit(environment)
  if (Exit.isFailure(exit)) {
    const error = Cause.squash(exit.cause)
    throw ConfigError.isConfigError(error)
      ? new ValidationError({
        code: "invalid_option",
        field: "environment",
        message: `Invalid HOOKWIRE_* environment variable: ${String(error)}. Fix or unset it (options given to ` +
          "postgres() take precedence over the environment)."
      })
      : error
  }
  const env = exit.value
  const connected = options.url !== undefined || options.pool !== undefined || options.client !== undefined
  if (!connected && env.url === undefined) {
    throw new ValidationError({
      code: "invalid_option",
      field: "url",
      message: "postgres(): give a connection — { url: \"postgres://…\" }, an existing { pool }, or " +
        "{ client: { host, … } } — or set HOOKWIRE_DATABASE_URL."
    })
  }
  const maxConnections = options.client?.maxConnections ?? env.maxConnections
  return {
    ...options,
    url: connected ? options.url : env.url,
    schema: options.schema ?? env.schema,
    tablePrefix: options.tablePrefix ?? env.tablePrefix,
    migrate: options.migrate ?? env.migrate,
    client: options.pool === undefined && maxConnections !== undefined
      ? { ...options.client, maxConnections }
      : options.client
  }
}
