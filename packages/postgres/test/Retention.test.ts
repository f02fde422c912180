import { retentionSuite } from "@hookwire/core/test/contract/RetentionSuite"
import { afterAll } from "vitest"
import { postgres } from "../src/PgAdapter.js"
import { databaseUrl, describeDb, newSchema, pool } from "./utils/db.js"

describeDb("PgStorage retention", () => {
  const schemas: Array<string> = []
  const checks = pool()
  afterAll(async () => {
    for (const schema of schemas) await checks.query(`drop schema if exists "${schema}" cascade`)
    await checks.end()
  })
  // A fresh schema per engine: pruning is not tenant-scoped.
  retentionSuite("postgres", () => {
    const schema = newSchema("retention")
    schemas.push(schema)
    return postgres({ url: databaseUrl, schema })
  })
})
