/**
 * The Postgres modules read from `Config`: a bad environment value (URL, schema, table prefix, pool size, migrate
 * flag) fails `layerConfig` with a `ConfigError` naming the variable, before any connection is made; a bad table
 * name from the host's own `Config` is a `ConfigError` too, never a defect. A bad option given in code to `layer` is a
 * `ValidationError` naming it.
 */
import type * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { configError, invalidOption } from "@hookwire/core/test/contract/LayerFailures"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PgAdapter from "../src/PgAdapter.js"
import * as PgDedupStore from "../src/PgDedupStore.js"
import * as PgMigrator from "../src/PgMigrator.js"
import * as PgQueue from "../src/PgQueue.js"
import * as PgRetention from "../src/PgRetention.js"
import * as PgStorage from "../src/PgStorage.js"
import { clientLayer, describeDb } from "./utils/db.js"

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

describeDb("bad options given in code", () => {
  it.effect("a bad table name fails every layer with a ValidationError naming the option, never a defect", () =>
    Effect.gen(function*() {
      const bad = { tablePrefix: "Hook-Wire" }
      const layers = [
        PgStorage.layer(bad),
        PgQueue.layer(bad),
        PgMigrator.layer(bad),
        PgAdapter.layer(bad),
        PgDedupStore.layer(bad),
        PgRetention.layer({ ...bad, olderThan: "30 days" })
      ] as Array<Layer.Layer<unknown, unknown, PgClient.PgClient | SqlClient.SqlClient>>
      for (const layer of layers) {
        const error = yield* invalidOption(Layer.provide(layer, client))
        expect(error.field).toBe("tablePrefix")
        expect(error.message).toMatch(/lower-case letters/)
      }
      expect((yield* invalidOption(Layer.provide(PgStorage.layer({ schema: "1st" }), client))).field).toBe("schema")
    }))

  it.effect("PgRetention: an age that is not a duration, a batch size of 0 or a sweep every millisecond", () =>
    Effect.gen(function*() {
      const retention = (options: PgRetention.LayerOptions) =>
        invalidOption(Layer.provide(PgRetention.layer(options), client))
      const age = yield* retention({ olderThan: "a month" as Duration.DurationInput })
      expect(age.field).toBe("olderThan")
      expect(age.message).toMatch(/like "30 days"/)
      expect((yield* retention({ olderThan: "30 days", batchSize: 0 })).field).toBe("batchSize")
      expect((yield* retention({ olderThan: "30 days", every: "1 millis" })).field).toBe("every")
      const run = yield* Effect.flip(Effect.provide(PgRetention.run({ olderThan: "30 days", maxBatches: 1.5 }), client))
      expect(run._tag).toBe("ValidationError")
    }))
})

describeDb("PgRetention and PgDedupStore layerConfig", () => {
  it.effect("read the HOOKWIRE_RETENTION_* and table variables; a bad or missing one is a ConfigError", () =>
    Effect.gen(function*() {
      const retention = Layer.provide(PgRetention.layerConfig(), client)
      expect(yield* configError(retention, {})).toContain("HOOKWIRE_RETENTION_OLDER_THAN")
      expect(
        yield* configError(retention, {
          HOOKWIRE_RETENTION_OLDER_THAN: "30 days",
          HOOKWIRE_RETENTION_EVERY: "1 millis"
        })
      )
        .toMatch(/HOOKWIRE_RETENTION_EVERY.*at least 1s/)
      expect(yield* configError(retention, { HOOKWIRE_RETENTION_OLDER_THAN: "30 days", HOOKWIRE_TABLE_PREFIX: "A B" }))
        .toContain("HOOKWIRE_TABLE_PREFIX")
      const dedup = Layer.provide(PgDedupStore.layerConfig(), client)
      expect(yield* configError(dedup, { HOOKWIRE_DATABASE_SCHEMA: "Bad-Name" })).toContain("HOOKWIRE_DATABASE_SCHEMA")
      expect(yield* configError(dedup, { HOOKWIRE_MIGRATE: "perhaps" })).toContain("HOOKWIRE_MIGRATE")
    }))

  it.effect("good values build them; a batch size of 0 from the host's Config is a ConfigError", () =>
    Effect.gen(function*() {
      const schema = `cfg_${Date.now().toString(36)}`
      const env = { HOOKWIRE_RETENTION_OLDER_THAN: "30 days", HOOKWIRE_DATABASE_SCHEMA: schema }
      // The migrations first (they create the schema), then the store and the sweeps over them.
      const built = Layer.mergeAll(PgDedupStore.layerConfig(), PgRetention.layerConfig()).pipe(
        Layer.provide(PgMigrator.layerConfig()),
        Layer.provideMerge(client)
      )
      const claimed = yield* Effect.scoped(
        Effect.flatMap(
          Layer.build(built),
          (context) => Context.get(context, PgDedupStore.PgDedupStore).claim("id1", 60)
        )
      ).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      expect(claimed).toBe(true)
      const zero = PgRetention.layerConfig(Config.succeed({ olderThan: "30 days", batchSize: 0 }))
      expect(yield* configError(Layer.provide(zero, client), {})).toMatch(/batchSize.*at least 1/)
      yield* Effect.provide(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`drop schema if exists "${schema}" cascade`)),
        client
      )
    }))
})
