/**
 * Response bodies without Schema's per-request walk. `HttpApiBuilder` encodes every answer with the route's success
 * Schema, validating the value as it goes: for a page of 50 deliveries that costs more CPU than the database query.
 * The handlers' values are the engine's own views, typed by the same Schemas, so here each success Schema is compiled
 * once into a plain function that only reshapes: it keeps the declared keys (an engine view's `tenant` goes, as
 * Schema's encode drops it), turns `Schema.Date`s into ISO strings (internal/iso.ts: `toISOString`'s output, faster)
 * and leaves JSON-ready values alone. Shapes it does not know (other transformations, unions of objects) fall back to
 * Schema's own encoder for that part, so the output is always what Schema would give; test/Encoder.test.ts checks
 * that on generated values of every route.
 *
 * @internal
 */
import { HttpApiSchema, HttpServerResponse } from "@effect/platform"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as iso from "./iso.js"

type Encode = (value: any) => unknown

/** `undefined`: the value is already its JSON form. */
type Compiled = Encode | undefined

const DATE_FROM_SELF = Schema.DateFromSelf.ast

const isDateFromString = (ast: AST.AST): boolean =>
  AST.isTransformation(ast) && ast.to === DATE_FROM_SELF && AST.isStringKeyword(ast.from)

const fallback = (ast: AST.AST): Encode => ParseResult.encodeSync(Schema.make(ast))

/** `null` and `undefined` members of a union: their JSON form is themselves. */
const isNullish = (ast: AST.AST) =>
  (AST.isLiteral(ast) && ast.literal === null) || AST.isUndefinedKeyword(ast) || AST.isVoidKeyword(ast)

const compileStruct = (ast: AST.TypeLiteral): Compiled => {
  if (ast.indexSignatures.length > 0) {
    if (ast.propertySignatures.length > 0) return fallback(ast)
    const [index] = ast.indexSignatures
    const value = compile(index.type)
    if (!AST.isStringKeyword(index.parameter) || ast.indexSignatures.length > 1) return fallback(ast)
    // Assigned key by key as Schema does (a `__proto__` key is not an own property of the result there either).
    const encode = value ?? ((v: unknown) => v)
    return (record: Record<string, unknown>) => {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(record)) out[key] = encode(record[key])
      return out
    }
  }
  const fields = ast.propertySignatures.map((p) => {
    if (typeof p.name !== "string") throw new Error("symbol keys have no JSON form")
    return { name: p.name, encode: compile(p.type), optional: p.isOptional }
  })
  return (value: Record<string, unknown>) => {
    const out: Record<string, unknown> = {}
    for (const field of fields) {
      const v = value[field.name]
      if (v === undefined && field.optional) continue
      out[field.name] = field.encode === undefined ? v : field.encode(v)
    }
    return out
  }
}

const compileUnion = (ast: AST.Union): Compiled => {
  const members = ast.types.map(compile)
  if (members.every((m) => m === undefined)) return undefined
  // NullOr(X), optional X: null / undefined as they are, anything else in X's form.
  const others = ast.types.filter((t) => !isNullish(t))
  if (others.length === 1) {
    const encode = compile(others[0])!
    return (value) => (value === null || value === undefined ? value : encode(value))
  }
  return fallback(ast)
}

const compileTuple = (ast: AST.TupleType): Compiled => {
  if (ast.elements.length > 0 || ast.rest.length !== 1) return fallback(ast)
  const item = compile(ast.rest[0].type)
  return item === undefined ?
    (items: ReadonlyArray<unknown>) => [...items] :
    (items: ReadonlyArray<unknown>) => items.map(item)
}

const compile = (ast: AST.AST): Compiled => {
  switch (ast._tag) {
    case "StringKeyword":
    case "NumberKeyword":
    case "BooleanKeyword":
    case "Literal":
    case "UnknownKeyword":
    case "ObjectKeyword":
    case "Enums":
    case "TemplateLiteral":
    case "UndefinedKeyword":
    case "VoidKeyword":
      return undefined
    case "Refinement":
      return compile(ast.from)
    case "Transformation":
      return isDateFromString(ast) ? iso.fromDate : fallback(ast)
    case "TypeLiteral":
      return compileStruct(ast)
    case "Union":
      return compileUnion(ast)
    case "TupleType":
      return compileTuple(ast)
    default:
      return fallback(ast)
  }
}

/**
 * One route's answers, compiled once from its success Schema: the value's JSON form (what `Schema.encodeSync` gives)
 * and the response carrying it, with the route's status. The body stays the JSON text (not its UTF-8 bytes, as
 * `unsafeJson` makes them): each mount writes the string itself (node:http and Fastify encode it into the socket's
 * buffer, a Web `Response` takes it as it is), no copy of the page per request.
 *
 * @internal
 */
export const make = <A, I>(schema: Schema.Schema<A, I>) => {
  const encode: Encode = compile(schema.ast) ?? ((value) => value)
  const status = HttpApiSchema.getStatusSuccessAST(schema.ast)
  return {
    encode: encode as (value: A) => I,
    respond: (value: A) =>
      HttpServerResponse.raw(JSON.stringify(encode(value)), { status, contentType: "application/json" })
  }
}
