/**
 * The `HOOKWIRE_*` values every Postgres module reads (where the tables are), and the check that turns a bad table
 * name given through any `Config` into a `ConfigError` rather than a defect when the layer is built.
 *
 * @internal
 */
import * as EnvConfig from "@hookwire/core/EnvConfig"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as tables from "./tables.js"

const tableCheck = (options: tables.TableOptions): string | undefined => {
  try {
    tables.make(options)
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

const checked = (field: "schema" | "tablePrefix") => (text: string): Either.Either<string, string> => {
  const problem = tableCheck({ [field]: text })
  return problem === undefined ? Either.right(text) : Either.left(problem)
}

/** `HOOKWIRE_DATABASE_SCHEMA` and `HOOKWIRE_TABLE_PREFIX`, both optional. */
export const tableOptions: Config.Config<tables.TableOptions> = Config.all({
  schema: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_DATABASE_SCHEMA", checked("schema"))),
  tablePrefix: EnvConfig.optional(EnvConfig.parsed("HOOKWIRE_TABLE_PREFIX", checked("tablePrefix")))
})

/** `HOOKWIRE_MIGRATE` (true/false), default true. */
export const migrate: Config.Config<boolean> = EnvConfig.boolean("HOOKWIRE_MIGRATE").pipe(Config.withDefault(true))

/** `config` read, with its table names checked: a bad one is a `ConfigError`, whichever `Config` gave it. */
export const unwrap = <A extends tables.TableOptions>(
  config: Config.Config.Wrap<A>
): Effect.Effect<A, ConfigError.ConfigError> =>
  Effect.flatMap(
    Config.unwrap(config),
    (options) => Effect.as(EnvConfig.asConfigError(tables.checked(options)), options)
  )
