#!/usr/bin/env node
/**
 * `pnpm --filter @hookwire/postgres migrate`: brings Hookwire's tables up to date, for operators who migrate
 * separately from starting the workers (then start them with `migrate: false`). Reads `HOOKWIRE_DATABASE_URL`
 * (required), `HOOKWIRE_DATABASE_SCHEMA` and `HOOKWIRE_TABLE_PREFIX`. Safe to run while workers start: migrations
 * hold an advisory lock.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as PgMigrator from "../src/PgMigrator.js"

const optional = (name: string) => Config.map(Config.option(Config.string(name)), Option.getOrUndefined)

const program = Effect.gen(function*() {
  const options = yield* Config.all({
    schema: optional("HOOKWIRE_DATABASE_SCHEMA"),
    tablePrefix: optional("HOOKWIRE_TABLE_PREFIX")
  })
  const applied = yield* PgMigrator.run(options)
  const where = `${options.schema ?? "(search_path)"}, prefix ${options.tablePrefix ?? "hookwire_"}`
  yield* Effect.sync(() => {
    if (applied.length === 0) console.log(`hookwire: schema is up to date (${where})`)
    for (const [id, name] of applied) console.log(`hookwire: applied migration ${id}_${name} (${where})`)
  })
}).pipe(
  Effect.provide(
    PgClient.layerConfig({
      url: Config.redacted("HOOKWIRE_DATABASE_URL"),
      applicationName: Config.succeed("hookwire-migrate")
    })
  )
)

const usage = `Usage: hookwire-postgres-migrate [--help]

Brings Hookwire's PostgreSQL tables up to date (advisory-locked: safe while workers start), then exits.
Run it before starting workers created with \`migrate: false\`; without that option they migrate on start.

Environment:
  HOOKWIRE_DATABASE_URL     required, e.g. postgres://user:password@127.0.0.1:5432/app
  HOOKWIRE_DATABASE_SCHEMA  the schema of the tables (default: the connection's search_path)
  HOOKWIRE_TABLE_PREFIX     the tables' name prefix (default: hookwire_)

Exit codes: 0 up to date, 1 the migration failed, 2 bad arguments.`

const args = process.argv.slice(2)
if (args.includes("--help") || args.includes("-h")) {
  console.log(usage)
} else if (args.length > 0) {
  console.error(
    `hookwire: unknown argument ${args[0]} (this command takes its settings from the environment)\n\n${usage}`
  )
  process.exitCode = 2
} else {
  void Effect.runPromiseExit(program).then(report)
}

function report(exit: Exit.Exit<unknown, unknown>) {
  if (exit._tag === "Failure") {
    console.error("hookwire: migration failed")
    console.error(Cause.pretty(exit.cause))
    process.exitCode = 1
  }
}
