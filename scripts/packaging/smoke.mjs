// The published packages as a JavaScript (ESM) user installs them: publish, deliver to a local receiver, verify with
// the Express middleware — on the memory adapter, then on Postgres. Exits non-zero on any failure.
import { Catalog, createHookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { postgres } from "@hookwire/postgres"
import { Schema } from "effect"
import { deliverOnce, postgresSchema } from "./deliver.mjs"

const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid",
    schema: Schema.Struct({ id: Schema.String, amount: Schema.Number })
  }
})

await deliverOnce("esm memory", (options) => createHookwire({ adapter: memory(), catalog, ...options }))
await postgresSchema(async (url, schema) =>
  deliverOnce("esm postgres", (options) => createHookwire({ adapter: postgres({ url, schema }), catalog, ...options }))
)
