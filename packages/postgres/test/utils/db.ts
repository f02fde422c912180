/**
 * The test database: reachability (skip loudly, or fail under HOOKWIRE_REQUIRE_SERVICES=1), a fresh schema per test
 * run, dropped afterwards, and the PgClient layer.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { databaseUrl } from "@hookwire/testing/env"
import { describeIf, postgres, reachable, waitFor } from "@hookwire/testing/services"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import pg from "pg"
import * as schemaMigrations from "../../src/internal/schema.js"
import * as Tables from "../../src/internal/tables.js"
import * as PgAdapter from "../../src/PgAdapter.js"
import * as PgMigrator from "../../src/PgMigrator.js"

export { databaseUrl, waitFor }

export const available = await reachable(postgres(databaseUrl, "the @hookwire/postgres tests"))

/** `describe` when PostgreSQL is reachable, a skipped `describe` (after a loud warning) otherwise. */
export const describeDb = describeIf(available)

const SCHEMA_PREFIX = "hwt_"

/** A schema name no other run uses; it carries its creation time so stale ones can be dropped. */
export const newSchema = (label: string): string =>
  `${SCHEMA_PREFIX}${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

/** Drops schemas of earlier runs that were killed before cleaning up (older than an hour). */
const dropStale = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const schemas = yield* sql<{ nspname: string }>`select nspname from pg_namespace where nspname like 'hwt\\_%'`
  const cutoff = Date.now() - 3_600_000
  for (const { nspname } of schemas) {
    const created = parseInt(nspname.split("_").at(-2) ?? "", 36)
    if (Number.isFinite(created) && created < cutoff) {
      yield* sql.unsafe(`drop schema if exists "${nspname}" cascade`).pipe(Effect.ignore)
    }
  }
})

/**
 * The PgClient for tests, made as the adapter makes one (its pool prepares the hot statements); `applicationName`
 * lets a test find (and terminate) its connections.
 */
export const clientLayer = (applicationName = "hookwire-test", maxConnections = 10) =>
  PgAdapter.clientLayer({ url: databaseUrl, applicationName, client: { maxConnections } })

/** Migrates a fresh schema when built and drops it when released. */
export const schemaLayer = (schema: string): Layer.Layer<never, unknown, SqlClient.SqlClient> =>
  Layer.scopedDiscard(
    Effect.acquireRelease(
      Effect.zipRight(Effect.ignore(dropStale), PgMigrator.run({ schema })),
      () =>
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`drop schema if exists "${schema}" cascade`)).pipe(
          Effect.ignore
        )
    )
  )

/** A plain pg pool for assertions and fixtures outside Effect. */
export const pool = (max = 4): pg.Pool => {
  const p = new pg.Pool({ connectionString: databaseUrl, max, application_name: "hookwire-test-checks" })
  p.on("error", () => {})
  return p
}

/**
 * A migration test's schema: `upTo(n)` migrates it as the release with migrations 1–`n` left it, `rest()` runs the
 * migrations after those (returning them), `close()` drops it.
 */
export const migrationFixture = (schema: string, applicationName: string) => {
  const t = Tables.make({ schema })
  const checks = pool(1)
  const client = clientLayer(applicationName, 2)
  return {
    t,
    checks,
    client,
    upTo: (last: number) =>
      Effect.runPromise(
        PgMigrator.runMigrations(
          t,
          Object.fromEntries(
            Object.entries(schemaMigrations.migrations(t)).filter(([name]) => Number(name.split("_")[0]) <= last)
          ),
          t.migrations,
          "migrate"
        ).pipe(Effect.provide(client))
      ),
    rest: () => Effect.runPromise(PgMigrator.run({ schema }).pipe(Effect.provide(client))),
    close: async () => {
      await checks.query(`drop schema if exists "${schema}" cascade`)
      await checks.end()
    }
  }
}
