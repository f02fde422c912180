import { describe, expect, it } from "@effect/vitest"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
// Another copy of Effect 3 and an Effect 4, as a package manager may install them beside Hookwire's effect.
import * as LayerCopy from "effect-3-copy/Layer"
import * as SchemaCopy from "effect-3-copy/Schema"
import * as Layer4 from "effect-4/Layer"
import * as Schema4 from "effect-4/Schema"
import * as Catalog from "../src/Catalog.js"
import * as EffectVersion from "../src/EffectVersion.js"
import { createHookwire } from "../src/Hookwire.js"
import * as Hookwire from "../src/Hookwire.js"

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (error) {
    return error
  }
  throw new Error("expected a throw")
}

const expectIncompatible = (error: unknown, code: "effect_major" | "effect_copy", where: string) => {
  expect(error).toBeInstanceOf(EffectVersion.IncompatibleEffect)
  const e = error as EffectVersion.IncompatibleEffect
  expect(e._tag).toBe("IncompatibleEffect")
  expect(e.code).toBe(code)
  expect(e.message).toContain(where)
  expect(e.message).toContain(`effect ${EffectVersion.installed}`)
  expect(e.message).toContain(`effect@"${EffectVersion.supportedRange}"`)
}

describe("EffectVersion", () => {
  it("knows the effect it runs on", () => {
    expect(EffectVersion.installed).toMatch(/^3\.\d+\.\d+/)
  })

  it("Catalog.make refuses an Effect 4 Schema, bare or in a definition (it used to accept any data)", () => {
    const bare = thrown(() => Catalog.make({ "invoice.paid": Schema4.Struct({ id: Schema4.String }) as never }))
    expectIncompatible(bare, "effect_major", "\"invoice.paid\"")
    expect((bare as EffectVersion.IncompatibleEffect).found).toBe("effect 4 or later")
    const wrapped = thrown(() =>
      Catalog.make({ "invoice.paid": { description: "paid", schema: Schema4.Struct({ id: Schema4.String }) as never } })
    )
    expectIncompatible(wrapped, "effect_major", "its schema")
  })

  it("Catalog.make refuses a Schema of another copy of Effect 3", () => {
    const error = thrown(() => Catalog.make({ "a.b": SchemaCopy.Struct({ id: SchemaCopy.String }) as never }))
    expectIncompatible(error, "effect_copy", "\"a.b\"")
  })

  it("accepts Schemas of its own copy, of every kind", () => {
    const catalog = Catalog.make({
      "a.struct": Schema.Struct({ id: Schema.String, at: Schema.Date, n: Schema.optional(Schema.NumberFromString) }),
      "a.union": { schema: Schema.Union(Schema.Literal("x"), Schema.Null), description: "d" },
      "a.class": Schema.Class<{ readonly id: string }>("Paid")({ id: Schema.String }),
      "a.refined": Schema.String.pipe(Schema.minLength(1)),
      "a.any": {}
    })
    expect(catalog.types.size).toBe(5)
    expect(catalog.encode("a.refined", "")._tag).toBe("Left")
  })

  it("refuses an adapter or transport Layer of another copy or major, and a non-Layer", () => {
    const catalog = Catalog.make({ "a.b": {} })
    expectIncompatible(
      thrown(() => createHookwire({ adapter: { layer: Layer4.empty as never }, catalog })),
      "effect_major",
      "adapter.layer"
    )
    expectIncompatible(
      thrown(() => createHookwire({ adapter: { layer: LayerCopy.empty as never }, catalog })),
      "effect_copy",
      "adapter.layer"
    )
    expect(() => createHookwire({ adapter: { layer: {} as never }, catalog })).toThrow(
      /adapter.layer must be an Effect Layer, got an object/
    )
    expectIncompatible(
      thrown(() => Hookwire.layer({ catalog, transport: Layer4.empty as never })),
      "effect_major",
      "transport"
    )
    expect(() => EffectVersion.assertLayer(Layer.empty, "x")).not.toThrow()
  })

  it("refuses a catalog whose Schemas come from another copy (one made by another copy of @hookwire/core)", () => {
    const foreign: Catalog.Catalog = {
      ...Catalog.make({ "a.b": {} }),
      types: new Map([["a.b", { schema: SchemaCopy.String as never, description: "", deprecated: false }]])
    }
    expectIncompatible(thrown(() => Hookwire.layer({ catalog: foreign })), "effect_copy", "catalog type \"a.b\"")
  })
})
