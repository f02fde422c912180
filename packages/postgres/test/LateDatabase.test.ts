/**
 * The Promise API over Postgres when the database comes up late (the host's app boots before its database is
 * ready): the first call fails with a typed error, and once the database exists the same instance works — it is not
 * bricked by a cached failed build.
 */
import { createHookwire } from "@hookwire/core/Hookwire"
import { newTenant } from "@hookwire/core/test/contract/Records"
import { afterAll, expect, it } from "vitest"
import * as PgAdapter from "../src/PgAdapter.js"
import { databaseUrl, describeDb, pool } from "./utils/db.js"
import { catalog } from "./utils/engine.js"

describeDb("a database that comes up late", () => {
  const admin = pool(1)
  // A database of this run's own, created only after the first call.
  const name = `hwt_late_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const url = new URL(databaseUrl)
  url.pathname = `/${name}`
  afterAll(async () => {
    await admin.query(`drop database if exists "${name}" with (force)`)
    await admin.end()
  })

  it(
    "the first call rejects with the typed error; after the database is created, the same instance works",
    async () => {
      const hookwire = createHookwire({
        adapter: PgAdapter.postgres({ url: url.toString(), applicationName: "hookwire-test-late" }),
        catalog,
        logger: false
      })
      try {
        const tenant = newTenant()
        const error = await hookwire.endpoints.list({ tenant }).catch((e) => e)
        expect(error).toMatchObject({ _tag: "SqlError" })
        await admin.query(`create database "${name}"`)
        const endpoint = await hookwire.endpoints.create({ tenant, url: "https://receiver.example/hook" })
        expect((await hookwire.endpoints.list({ tenant })).items.map((e) => e.id)).toStrictEqual([endpoint.id])
      } finally {
        await hookwire.close()
      }
    },
    30_000
  )
})
