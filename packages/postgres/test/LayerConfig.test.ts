/**
 * The Postgres modules read from `Config`: a bad environment value (URL, schema, table prefix, pool size, migrate
 * flag) fails `layerConfig` with a `ConfigError` naming the variable, before any connection is made; a bad table
 * name from the host's own `Config` is a `ConfigError` too, never a defect.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PgAdapter from "../src/PgAdapter.js"
import * as PgMigrator from "../src/PgMigrator.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgStorage from "../src/PgStorage.js"
import { clientLayer, describeDb } from "./utils/db.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const configError = <A, E>(layer: Layer.Layer<A, E>, env: Record<string, string>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.scoped(Layer.build(layer)).pipe(withEnv(env)))
    assert(Exit.isFailure(exit), "the layer was built")
    const failure = Cause.failureOption(exit.cause)
    assert(Option.isSome(failure), `not a typed failure: ${Cause.pretty(exit.cause)}`)
    assert(ConfigError.isConfigError(failure.value), `not a ConfigError: ${String(failure.value)}`)
    return String(failure.value)
  })

// The real server: these layers need a client built first; the failure then comes from reading their config.
const client = clientLayer("hookwire-test-config", 2)

describe("PgAdapter.layerConfig", () => {
  const good = { HOOKWIRE_DATABASE_URL: "postgres://postgres@127.0.0.1:1/x" }

  it.effect("a URL that is not a postgres:// URL names the variable and never shows the value", () =>
    Effect.gen(function*() {
      const text = yield* configError(PgAdapter.layerConfig(), { HOOKWIRE_DATABASE_URL: "mysql://root:pw@db/app" })
      expect(text).toMatch(/HOOKWIRE_DATABASE_URL.*postgres:\/\/ or postgresql:\/\//)
      expect(text).not.toContain("pw@db")
      const garbled = yield* configError(PgAdapter.layerConfig(), { HOOKWIRE_DATABASE_URL: "s3cret not a url" })
      expect(garbled).toContain("HOOKWIRE_DATABASE_URL")
      expect(garbled).not.toContain("s3cret")
    }))

  it.effect("schema, table prefix, pool size and migrate flag: each bad value names its variable", () =>
    Effect.gen(function*() {
      const layer = PgAdapter.layerConfig()
      expect(yield* configError(layer, { ...good, HOOKWIRE_DATABASE_SCHEMA: "Bad-Name" })).toMatch(
        /HOOKWIRE_DATABASE_SCHEMA.*lower-case letters/
      )
      expect(yield* configError(layer, { ...good, HOOKWIRE_TABLE_PREFIX: "hw prefix" })).toMatch(
        /HOOKWIRE_TABLE_PREFIX.*lower-case letters/
      )
      expect(yield* configError(layer, { ...good, HOOKWIRE_DATABASE_MAX_CONNECTIONS: "0" })).toMatch(
        /HOOKWIRE_DATABASE_MAX_CONNECTIONS.*at least 1/
      )
      expect(yield* configError(layer, { ...good, HOOKWIRE_MIGRATE: "perhaps" })).toContain("HOOKWIRE_MIGRATE")
    }))
})

describeDb("PgStorage, PgQueue and PgMigrator layerConfig", () => {
  it.effect("read HOOKWIRE_DATABASE_SCHEMA by default; a bad one is a ConfigError", () =>
    Effect.gen(function*() {
      const env = { HOOKWIRE_DATABASE_SCHEMA: "1st" }
      for (const layer of [PgStorage.layerConfig(), PgQueue.layerConfig(), PgMigrator.layerConfig()]) {
        expect(yield* configError(Layer.provide(layer, client), env)).toContain("HOOKWIRE_DATABASE_SCHEMA")
      }
    }))

  it.effect("a bad table name from the host's own Config is a ConfigError, not a defect", () =>
    Effect.gen(function*() {
      const layer = PgStorage.layerConfig({
        schema: Config.succeed("Bad-Name"),
        tablePrefix: Config.succeed(undefined)
      })
      expect(yield* configError(Layer.provide(layer, client), {})).toContain("Invalid schema")
    }))
})
