import { Mount } from "@hookwire/api"
import { Catalog, Hookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"

const engine = Hookwire.layer({ catalog: Catalog.make({ "invoice.paid": {} }) }).pipe(
  Layer.provideMerge(memory().layer)
)

const program = Effect.gen(function*() {
  const api = yield* Mount.fromContext({ authenticate: () => ({ tenant: "acme", scope: "read" }) })
  createServer(api.node).listen(3000)
  yield* Effect.never
})
Effect.runFork(Effect.scoped(program).pipe(Effect.provide(engine)))
