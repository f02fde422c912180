/**
 * The engines the API tests run on: the Promise API (`createHookwire`) over the memory adapter or over Postgres (a
 * fresh schema per run, dropped afterwards), with a recording transport that answers 204, and the catalog below.
 */
import { Catalog, createHookwire, RecordingTransport } from "@hookwire/core"
import type { Hookwire } from "@hookwire/core/Hookwire"
import { memory } from "@hookwire/memory"
import { postgres } from "@hookwire/postgres"
import { databaseUrl } from "@hookwire/testing/env"
import { postgres as postgresService, reachable } from "@hookwire/testing/services"
import * as Schema from "effect/Schema"
import pg from "pg"

export const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid",
    schema: Schema.Struct({ invoiceId: Schema.String, amount: Schema.Number }),
    examples: [{ invoiceId: "in_1", amount: 42 }]
  },
  "customer.created": { description: "A customer signed up", schema: Schema.Struct({ id: Schema.String }) }
})

export type Kind = "memory" | "postgres"

export const postgresAvailable = await reachable(postgresService(databaseUrl, "the @hookwire/api Postgres tests"))

/** The kinds to run on: memory always, Postgres when reachable (or required). */
export const kinds: ReadonlyArray<Kind> = postgresAvailable ? ["memory", "postgres"] : ["memory"]

export interface Engine {
  readonly hookwire: Hookwire<any>
  readonly close: () => Promise<void>
}

export const startEngine = async (kind: Kind): Promise<Engine> => {
  const transport = RecordingTransport.layer(() => ({ status: 204, headers: { "x-receiver": "test" } }))
  if (kind === "memory") {
    const hookwire = createHookwire({ adapter: memory(), catalog, transport, logger: false })
    return { hookwire, close: () => hookwire.close() }
  }
  const schema = `hwt_api_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const hookwire = createHookwire({
    adapter: postgres({ url: databaseUrl, schema, applicationName: "hookwire-api-test" }),
    catalog,
    transport,
    logger: false
  })
  return {
    hookwire,
    close: async () => {
      await hookwire.close()
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      await client.query(`drop schema if exists "${schema}" cascade`)
      await client.end()
    }
  }
}
