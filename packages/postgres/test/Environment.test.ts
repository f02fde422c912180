/**
 * `postgres()` reads the environment as `PgAdapter.layerConfig` does: `HOOKWIRE_DATABASE_URL` when no connection is
 * given, and `HOOKWIRE_DATABASE_SCHEMA` / `HOOKWIRE_TABLE_PREFIX` / `HOOKWIRE_DATABASE_MAX_CONNECTIONS` /
 * `HOOKWIRE_MIGRATE` for what the options leave out; options given in code win; a malformed variable or no
 * connection at all is a ValidationError at `postgres()`.
 */
import { createHookwire } from "@hookwire/core/Hookwire"
import { newTenant } from "@hookwire/core/test/contract/Records"
import { afterAll, afterEach, expect, it } from "vitest"
import { postgres } from "../src/PgAdapter.js"
import { databaseUrl, describeDb, newSchema, pool } from "./utils/db.js"
import { catalog } from "./utils/engine.js"

const variables = [
  "HOOKWIRE_DATABASE_URL",
  "HOOKWIRE_DATABASE_SCHEMA",
  "HOOKWIRE_TABLE_PREFIX",
  "HOOKWIRE_DATABASE_MAX_CONNECTIONS",
  "HOOKWIRE_MIGRATE"
] as const
const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]))

const restore = () => {
  for (const name of variables) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
}

describeDb("postgres() and the HOOKWIRE_DATABASE_* environment", () => {
  const admin = pool(1)
  const schemas: Array<string> = []
  afterEach(restore)
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  const tablesIn = async (schema: string) =>
    (await admin.query(`select tablename from pg_tables where schemaname = $1 order by tablename`, [schema])).rows
      .map((row) => row.tablename as string)

  it("connects to HOOKWIRE_DATABASE_URL, with the schema and table prefix of the environment", async () => {
    const schema = newSchema("env")
    schemas.push(schema)
    for (const name of variables) delete process.env[name]
    process.env.HOOKWIRE_DATABASE_URL = databaseUrl
    process.env.HOOKWIRE_DATABASE_SCHEMA = schema
    process.env.HOOKWIRE_TABLE_PREFIX = "envhw_"
    const hookwire = createHookwire({ adapter: postgres(), catalog, logger: false })
    try {
      const tenant = newTenant()
      const endpoint = await hookwire.endpoints.create({ tenant, url: "https://receiver.example/hook" })
      expect(await tablesIn(schema)).toContain("envhw_endpoints")
      const rows = await admin.query(`select id from "${schema}".envhw_endpoints`)
      expect(rows.rows.map((row) => row.id)).toStrictEqual([endpoint.id])
    } finally {
      await hookwire.close()
    }
  })

  it("options given in code win over the environment; HOOKWIRE_MIGRATE=false is honoured", async () => {
    const schema = newSchema("envcode")
    const unused = newSchema("envunused")
    schemas.push(schema, unused)
    for (const name of variables) delete process.env[name]
    process.env.HOOKWIRE_DATABASE_URL = "postgres://nobody@127.0.0.1:1/nothing"
    process.env.HOOKWIRE_DATABASE_SCHEMA = unused
    process.env.HOOKWIRE_MIGRATE = "false"
    await admin.query(`create schema "${schema}"`)
    const unmigrated = createHookwire({ adapter: postgres({ url: databaseUrl, schema }), catalog, logger: false })
    try {
      // No migrations: the tables are missing, and the error says so.
      const error = await unmigrated.endpoints.list({ tenant: newTenant() }).catch((e) => e)
      expect(error).toMatchObject({ _tag: "StorageError" })
      expect(error.message).toMatch(/run the migrations/)
    } finally {
      await unmigrated.close()
    }
    const migrated = createHookwire({
      adapter: postgres({ url: databaseUrl, schema, migrate: true }),
      catalog,
      logger: false
    })
    try {
      await migrated.endpoints.list({ tenant: newTenant() })
      expect(await tablesIn(schema)).toContain("hookwire_endpoints")
      expect(await tablesIn(unused)).toStrictEqual([])
    } finally {
      await migrated.close()
    }
  })

  it("a malformed variable, or no connection anywhere, is a ValidationError at postgres()", () => {
    for (const name of variables) delete process.env[name]
    expect(() => postgres()).toThrow(expect.objectContaining({ _tag: "ValidationError", field: "url" }))
    expect(() => postgres()).toThrow(/set HOOKWIRE_DATABASE_URL/)
    process.env.HOOKWIRE_DATABASE_URL = databaseUrl
    process.env.HOOKWIRE_DATABASE_MAX_CONNECTIONS = "many"
    expect(() => postgres()).toThrow(expect.objectContaining({ _tag: "ValidationError", field: "environment" }))
    expect(() => postgres()).toThrow(/HOOKWIRE_DATABASE_MAX_CONNECTIONS/)
  })
})
