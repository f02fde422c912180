import { queueSuite } from "@hookwire/core/test/contract/QueueSuite"
import * as Layer from "effect/Layer"
import * as PgQueue from "../src/PgQueue.js"
import { clientLayer, describeDb, newSchema, schemaLayer } from "./utils/db.js"

describeDb("PgQueue", () => {
  const schema = newSchema("queue")
  queueSuite(
    "postgres",
    PgQueue.layer({ schema }).pipe(Layer.provide(schemaLayer(schema)), Layer.provide(clientLayer()))
  )
})
