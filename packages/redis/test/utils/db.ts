/**
 * The test PostgreSQL (for the tests that pair it with Redis): reachability (skip loudly, or fail under
 * HOOKWIRE_REQUIRE_SERVICES=1), a fresh migrated schema per test, dropped afterwards, and the Storage layer on it.
 */
import * as PgAdapter from "@hookwire/postgres/PgAdapter"
import * as PgMigrator from "@hookwire/postgres/PgMigrator"
import { describeIf, postgres, reachable } from "@hookwire/testing/services"
import * as Effect from "effect/Effect"
import pg from "pg"
import { available as redisAvailable } from "./redis.js"
import { databaseUrl } from "./storage.js"

export { databaseUrl, storageLayer } from "./storage.js"

const available = await reachable(
  postgres(databaseUrl, "the @hookwire/redis tests that need PostgreSQL storage")
)

/** `describe` when PostgreSQL and Redis are reachable, a skipped `describe` (after a loud warning) otherwise. */
export const describeDbAndRedis = describeIf(available && redisAvailable)

const SCHEMA_PREFIX = "hwr_"

/** A schema name no other run uses; it carries its creation time so stale ones can be dropped. */
export const newSchema = (label: string): string =>
  `${SCHEMA_PREFIX}${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

/** A plain pg pool for fixtures and checks outside Effect. */
export const pool = (max = 4): pg.Pool => {
  const p = new pg.Pool({ connectionString: databaseUrl, max, application_name: "hookwire-redis-test-checks" })
  p.on("error", () => {})
  return p
}

/** How many deliveries `schema` holds that match the SQL condition `where` (all by default), read through `checks`. */
export const countDeliveries = async (checks: pg.Pool, schema: string, where = "true"): Promise<number> =>
  Number((await checks.query(`select count(*) as n from "${schema}".hookwire_deliveries where ${where}`)).rows[0].n)

/** Drops schemas of earlier runs that were killed before cleaning up (older than an hour). */
const dropStale = async (checks: pg.Pool) => {
  const { rows } = await checks.query<{ nspname: string }>(
    `select nspname from pg_namespace where nspname like 'hwr\\_%'`
  )
  const cutoff = Date.now() - 3_600_000
  for (const { nspname } of rows) {
    const created = parseInt(nspname.split("_").at(-2) ?? "", 36)
    if (Number.isFinite(created) && created < cutoff) await checks.query(`drop schema if exists "${nspname}" cascade`)
  }
}

/** Runs `f` with a migrated schema of its own that is dropped afterwards. */
export const withSchema = async (label: string, f: (schema: string) => Promise<void>): Promise<void> => {
  const schema = newSchema(label)
  const checks = pool(1)
  try {
    await dropStale(checks).catch(() => {})
    await Effect.runPromise(
      PgMigrator.run({ schema }).pipe(Effect.provide(PgAdapter.clientLayer({ url: databaseUrl })), Effect.scoped)
    )
    await f(schema)
  } finally {
    await checks.query(`drop schema if exists "${schema}" cascade`).catch(() => {})
    await checks.end()
  }
}
