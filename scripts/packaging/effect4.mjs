// Effect 4 installed elsewhere in the tree (here under the alias "effect4"): a Schema or Layer taken from it must be
// refused at once with IncompatibleEffect, never treated as "any data".
import { Catalog, createHookwire } from "@hookwire/core"
import * as Layer4 from "effect4/Layer"
import * as Schema4 from "effect4/Schema"

const expectRefusal = (what, f) => {
  try {
    f()
  } catch (error) {
    if (error?._tag !== "IncompatibleEffect" || error.code !== "effect_major") throw error
    if (!/Effect 4/.test(error.message) || !/effect@"\^3\.\d+\.\d+"/.test(error.message)) {
      throw new Error(`${what}: the message does not say what was found and what to install: ${error.message}`)
    }
    console.log(`ok effect 4 ${what} refused: ${error.message.split(". ")[0]}`)
    return
  }
  throw new Error(`${what}: an Effect 4 value was accepted`)
}

expectRefusal("schema", () => Catalog.make({ "invoice.paid": Schema4.Struct({ id: Schema4.String }) }))
expectRefusal("schema in a definition", () =>
  Catalog.make({ "invoice.paid": { description: "paid", schema: Schema4.Struct({ id: Schema4.String }) } })
)
expectRefusal("adapter layer", () =>
  createHookwire({ adapter: { layer: Layer4.empty }, catalog: Catalog.make({ "a.b": {} }) })
)
