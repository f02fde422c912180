/**
 * Refuses Effect values that come from another copy or another major version of `effect` than the one Hookwire runs
 * on. A package manager that installs `effect@4` beside Hookwire's `effect@3` (or two copies of Effect 3) gives the
 * host a `Schema` or a `Layer` that this copy cannot read: an Effect 4 Schema is not an Effect 3 Schema at all, and a
 * Schema from another copy of Effect 3 has syntax-tree nodes of other classes. Accepting them silently would treat
 * the Schema as "anything" (invalid data would publish) or fail later with an unreadable error, so `Catalog.make`,
 * `Hookwire.layer` and `createHookwire` check what they are given at once and fail with `IncompatibleEffect`, which
 * names the versions found and what to install.
 *
 * @since 0.1.0
 */
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { createRequire } from "node:module"

const requireHere = createRequire(import.meta.url)

/**
 * The `effect` version Hookwire's packages support (their peer dependency range).
 *
 * @since 0.1.0
 * @category models
 */
export const supportedRange = "^3.22.4"

/**
 * The version of the copy of `effect` this Hookwire runs on.
 *
 * @since 0.1.0
 * @category models
 */
export const installed: string = (requireHere("effect/package.json") as { version: string }).version

/**
 * A Schema, Layer or catalog built with another copy or major version of Effect than Hookwire's.
 *
 * `code` is `effect_major` for a value of another major version (Effect 4's values carry `~effect/…` markers) and
 * `effect_copy` for a value of another copy of Effect 3. `found` and `expected` name the versions.
 *
 * @since 0.1.0
 * @category errors
 */
export class IncompatibleEffect extends Schema.TaggedError<IncompatibleEffect>("@hookwire/core/IncompatibleEffect")(
  "IncompatibleEffect",
  {
    code: Schema.Literal("effect_major", "effect_copy"),
    /** Where the value was given, e.g. `catalog type "invoice.paid"` or `adapter.layer`. */
    where: Schema.String,
    found: Schema.String,
    expected: Schema.String,
    message: Schema.String
  }
) {}

const advice = `Hookwire needs effect ${supportedRange} (it runs on effect ${installed}). Install one copy of it ` +
  `beside Hookwire (npm i effect@"${supportedRange}" / pnpm add effect@"${supportedRange}"), make sure every ` +
  `package you import Schema and Layer from resolves to that copy (\`npm ls effect\` / \`pnpm why effect\`), and ` +
  `import them from "effect".`

const hasEffect4Marker = (u: object, marker: string): boolean => {
  for (let proto: object | null = u; proto !== null; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (typeof key === "string" && key.startsWith(marker)) return true
    }
  }
  return false
}

const isObject = (u: unknown): u is object => (typeof u === "object" && u !== null) || typeof u === "function"

const major = (where: string, kind: string) =>
  new IncompatibleEffect({
    code: "effect_major",
    where,
    found: "effect 4 or later",
    expected: `effect ${supportedRange}`,
    message: `${where}: this ${kind} comes from Effect 4 or later (it carries Effect 4's "~effect/${kind}" marker), ` +
      `which Hookwire cannot read. ${advice}`
  })

/**
 * Hookwire is ES modules: it uses effect's ES module build. `require("effect")` loads effect's CommonJS build, a
 * second copy of the same version — the usual way a CommonJS host ends up with two copies.
 */
const commonJsCopyLoaded = (): boolean => {
  try {
    return requireHere.cache[requireHere.resolve("effect")] !== undefined
  } catch {
    return false
  }
}

const commonJsAdvice = " effect was also loaded with require() (its CommonJS build is a second copy of it): in " +
  "CommonJS take Schema from Hookwire's copy, `const { Schema } = require(\"@hookwire/core\")`, or use import."

const copy = (where: string, kind: string) =>
  new IncompatibleEffect({
    code: "effect_copy",
    where,
    found: "another copy of effect 3",
    expected: `effect ${installed} (the copy Hookwire runs on)`,
    message: `${where}: this ${kind} was built with another copy of effect than Hookwire's (effect ${installed}): ` +
      `two copies are loaded. ${advice}${commonJsCopyLoaded() ? commonJsAdvice : ""}`
  })

/**
 * Whether a value is an Effect 4 (or later) value: a Schema, Layer or Effect made by another major version.
 *
 * @since 0.1.0
 * @category guards
 */
export const isFromEffect4 = (u: unknown): boolean => isObject(u) && hasEffect4Marker(u, "~effect/")

/**
 * The `IncompatibleEffect` error for a value that looks like a Schema of another copy or major of Effect, or
 * `undefined` when the value is a Schema of Hookwire's copy or no Schema at all.
 *
 * @since 0.1.0
 * @category guards
 */
export const schemaProblem = (u: unknown, where: string): IncompatibleEffect | undefined => {
  if (!isObject(u)) return undefined
  if (Schema.isSchema(u)) {
    const ast: { readonly _tag: string } = u.ast
    const own = (AST as unknown as Record<string, unknown>)[ast._tag]
    return typeof own === "function" && ast instanceof own ? undefined : copy(where, "Schema")
  }
  return hasEffect4Marker(u, "~effect/Schema") ? major(where, "Schema") : undefined
}

const ownLayerProto = Object.getPrototypeOf(Layer.empty)

/**
 * Checks that a value is a Layer of Hookwire's copy of Effect; throws `IncompatibleEffect` for a Layer of another
 * copy or major, and a `TypeError` for a value that is no Layer at all.
 *
 * @since 0.1.0
 * @category guards
 */
export const assertLayer = (u: unknown, where: string): void => {
  if (Layer.isLayer(u)) {
    if (Object.getPrototypeOf(u) !== ownLayerProto) throw copy(where, "Layer")
    return
  }
  if (isObject(u) && hasEffect4Marker(u, "~effect/Layer")) throw major(where, "Layer")
  throw new TypeError(`${where} must be an Effect Layer, got ${describe(u)}`)
}

const describe = (u: unknown): string =>
  u === null ? "null" : Array.isArray(u) ? "an array" : typeof u === "object" ? "an object" : typeof u

/**
 * Checks every Schema of a catalog (one made by another copy of `@hookwire/core` may carry another copy's
 * Schemas); throws `IncompatibleEffect`.
 *
 * @since 0.1.0
 * @category guards
 */
export const assertCatalog = (
  catalog: { readonly types: ReadonlyMap<string, { readonly schema: unknown }> },
  where = "catalog"
): void => {
  if (!(catalog?.types instanceof Map)) return // not a catalog at all: the options' validation says so
  for (const [name, type] of catalog.types) {
    const problem = schemaProblem(type.schema, `${where} type ${JSON.stringify(name)}`)
    if (problem !== undefined) throw problem
  }
}
