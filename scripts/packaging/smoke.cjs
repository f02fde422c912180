// The published packages loaded with require() (Node >= 20.19 loads their ES modules synchronously). A CommonJS
// host takes Schema from @hookwire/core: require("effect") loads effect's CommonJS build, a second copy, which
// Catalog.make must refuse with a message that says so.
const { Catalog, createHookwire, Schema } = require("@hookwire/core")
const { memory } = require("@hookwire/memory")

const catalog = Catalog.make({ "invoice.paid": Schema.Struct({ id: Schema.String, amount: Schema.Number }) })

const refused = (() => {
  try {
    const EffectCjs = require("effect")
    Catalog.make({ "a.b": EffectCjs.Schema.String })
  } catch (error) {
    return error
  }
})()
if (refused?._tag !== "IncompatibleEffect" || !refused.message.includes("require(\"@hookwire/core\")")) {
  throw new Error(`a Schema from require("effect") was not refused clearly: ${refused}`)
}
console.log("ok cjs: a Schema from require(\"effect\") (a second copy) is refused with the way out")

import("./deliver.mjs")
  .then(({ deliverOnce }) =>
    deliverOnce("cjs memory", (options) => createHookwire({ adapter: memory(), catalog, ...options }))
  )
  .catch((error) => {
    console.error(error)
    process.exit(1)
  })
