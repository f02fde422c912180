import { endpointRaceSuite } from "@hookwire/core/test/contract/EndpointRaceSuite"
import { storageSuite } from "@hookwire/core/test/contract/StorageSuite"
import * as Layer from "effect/Layer"
import * as PgAdapter from "../src/PgAdapter.js"
import * as PgStorage from "../src/PgStorage.js"
import { clientLayer, describeDb, newSchema, schemaLayer } from "./utils/db.js"

describeDb("PgStorage", () => {
  const schema = newSchema("storage")
  storageSuite(
    "postgres",
    PgStorage.layer({ schema }).pipe(
      Layer.provide(schemaLayer(schema)),
      Layer.provide(clientLayer("hookwire-test", 20))
    )
  )
})

// The adapter's Storage also keeps the queue in step (publish, recover and cancel write queue rows in the same
// statement): it must still behave exactly like any Storage.
describeDb("PgAdapter", () => {
  const schema = newSchema("adapter_storage")
  storageSuite(
    "postgres adapter",
    PgAdapter.layer({ schema, migrate: false }).pipe(
      Layer.provide(schemaLayer(schema)),
      Layer.provide(clientLayer("hookwire-test", 20))
    )
  )
})

// Operations that read an endpoint and write it back never undo a concurrent write (the adapter's one database).
describeDb("PgAdapter endpoint writes", () => {
  const schema = newSchema("adapter_races")
  endpointRaceSuite(
    "postgres adapter",
    PgAdapter.layer({ schema, migrate: false }).pipe(
      Layer.provide(schemaLayer(schema)),
      Layer.provide(clientLayer("hookwire-test", 10))
    )
  )
})
