import * as SqlClient from "@effect/sql/SqlClient"
import * as Storage from "@hookwire/core/Storage"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, expect, it } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import * as PgMigrator from "../src/PgMigrator.js"
import { clientLayer, databaseUrl, describeDb, newSchema, pool } from "./utils/db.js"

const packageDir = fileURLToPath(new URL("..", import.meta.url))

describeDb("PgMigrator", () => {
  const checks = pool()
  const schemas: Array<string> = []
  const fresh = (label: string) => {
    const schema = newSchema(label)
    schemas.push(schema)
    return schema
  }
  afterAll(async () => {
    for (const schema of schemas) await checks.query(`drop schema if exists "${schema}" cascade`)
    await checks.end()
  })

  const tablesOf = async (schema: string) =>
    (await checks.query(`select tablename from pg_tables where schemaname = $1 order by 1`, [schema])).rows.map((
      row
    ) => row.tablename as string)

  it("six processes migrating one schema at once: one applies the migrations, the others find them done", async () => {
    const schema = fresh("migrate")
    // Each run has its own pool, as separate processes would.
    const runs = await Promise.all(
      Array.from({ length: 6 }, () => Effect.runPromise(PgMigrator.run({ schema }).pipe(Effect.provide(clientLayer()))))
    )
    // One run applies every migration; the others find them done.
    expect(runs.map((applied) => applied.length).sort()).toStrictEqual([0, 0, 0, 0, 0, 6])
    expect(runs.flat()).toStrictEqual([
      [1, "initial"],
      [2, "attempt_headers"],
      [3, "endpoint_log_indexes"],
      [4, "endpoint_transport"],
      [5, "status_index_undelivered"],
      [6, "ids_collate_c"]
    ])
    expect(await tablesOf(schema)).toStrictEqual([
      "hookwire_attempts",
      "hookwire_deliveries",
      "hookwire_endpoints",
      "hookwire_messages",
      "hookwire_migrations",
      "hookwire_queue"
    ])
    const again = await Effect.runPromise(PgMigrator.run({ schema }).pipe(Effect.provide(clientLayer())))
    expect(again).toStrictEqual([])
  })

  it("the migrate script reads HOOKWIRE_DATABASE_URL, HOOKWIRE_DATABASE_SCHEMA and HOOKWIRE_TABLE_PREFIX", async () => {
    const schema = fresh("script")
    const run = () =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "bin/migrate.ts"], {
        cwd: packageDir,
        env: {
          ...process.env,
          HOOKWIRE_DATABASE_URL: databaseUrl,
          HOOKWIRE_DATABASE_SCHEMA: schema,
          HOOKWIRE_TABLE_PREFIX: "ops_"
        },
        timeout: 30_000
      })
    expect((await run()).stdout).toContain("applied migration 1_initial")
    expect((await run()).stdout).toContain("up to date")
    expect(await tablesOf(schema)).toContain("ops_queue")
  }, 60_000)

  it("the migrate script fails with a clear message and exit code without HOOKWIRE_DATABASE_URL", async () => {
    const env: Record<string, string | undefined> = { ...process.env }
    delete env.HOOKWIRE_DATABASE_URL
    const failure = await promisify(execFile)(process.execPath, ["--import", "tsx", "bin/migrate.ts"], {
      cwd: packageDir,
      env,
      timeout: 30_000
    }).then(() => undefined, (error: { code?: number; stderr?: string }) => error)
    expect(failure?.code).toBe(1)
    expect(failure?.stderr).toContain("HOOKWIRE_DATABASE_URL")
  }, 60_000)

  it("the migrate script's --help says what it does and what it reads, without touching a database", async () => {
    const env: Record<string, string | undefined> = { ...process.env }
    delete env.HOOKWIRE_DATABASE_URL
    const help = await promisify(execFile)(process.execPath, ["--import", "tsx", "bin/migrate.ts", "--help"], {
      cwd: packageDir,
      env,
      timeout: 30_000
    })
    expect(help.stdout).toContain("Usage: hookwire-postgres-migrate")
    for (const name of ["HOOKWIRE_DATABASE_URL", "HOOKWIRE_DATABASE_SCHEMA", "HOOKWIRE_TABLE_PREFIX"]) {
      expect(help.stdout).toContain(name)
    }
    const wrong = await promisify(execFile)(process.execPath, ["--import", "tsx", "bin/migrate.ts", "--schema=x"], {
      cwd: packageDir,
      env,
      timeout: 30_000
    }).then(() => undefined, (error: { code?: number; stderr?: string }) => error)
    expect(wrong?.code).toBe(2)
    expect(wrong?.stderr).toContain("unknown argument --schema=x")
  }, 60_000)

  it("PgAdapter.layerConfig reads the environment, makes its client and migrates", async () => {
    const schema = fresh("config")
    const provider = ConfigProvider.fromMap(
      new Map([
        ["HOOKWIRE_DATABASE_URL", databaseUrl],
        ["HOOKWIRE_DATABASE_SCHEMA", schema],
        ["HOOKWIRE_TABLE_PREFIX", "cfg_"]
      ])
    )
    const count = await Effect.runPromise(
      Effect.gen(function*() {
        const storage = yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        yield* storage.countEndpoints("nobody")
        const rows = yield* sql.unsafe<{ n: number }>(
          `select count(*)::int as n from pg_tables where schemaname = $1 and tablename like 'cfg\\_%'`,
          [schema]
        )
        return rows[0].n
      }).pipe(Effect.provide(PgAdapter.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(provider)))))
    )
    expect(count).toBe(6)
  })
})
