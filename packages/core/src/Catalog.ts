/**
 * The event catalog: every event type a host publishes, each with an Effect `Schema` for its `data`, a description
 * and an optional deprecation flag. `publish` of an unknown type or of data that does not match the Schema fails
 * with an `EventTypeError` carrying the Schema's readable message, and the catalog exports as JSON Schema for the
 * host's documentation.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as EffectVersion from "./EffectVersion.js"
import { EventTypeError } from "./Errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface EventType<S extends Schema.Schema.Any = Schema.Schema.Any> {
  readonly schema: S
  readonly description: string
  readonly deprecated: boolean
  /** Example `data` values (as `publish` takes them): shown in docs and sent by a test send (the first one). */
  readonly examples?: ReadonlyArray<unknown> | undefined
}

/**
 * What `make` accepts for one type: a full definition, or just a Schema.
 *
 * @since 0.1.0
 * @category models
 */
export type EventTypeInput =
  | Schema.Schema.Any
  | {
    readonly schema?: Schema.Schema.Any | undefined
    readonly description?: string | undefined
    readonly deprecated?: boolean | undefined
    /** Example `data` values; each must match the Schema (checked by `make`). */
    readonly examples?: ReadonlyArray<unknown> | undefined
  }

type SchemaOf<I> = I extends Schema.Schema.Any ? I
  : I extends { readonly schema: infer S extends Schema.Schema.Any } ? S
  : typeof Schema.Unknown

/**
 * The `data` type `publish` accepts for each event type of a catalog definition.
 *
 * @since 0.1.0
 * @category models
 */
export type DataOf<Defs extends Record<string, EventTypeInput>> = {
  readonly [K in keyof Defs]: Schema.Schema.Type<SchemaOf<Defs[K]>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Catalog<Events extends Record<string, unknown> = Record<string, unknown>> {
  readonly types: ReadonlyMap<string, EventType>
  /** Phantom: the data type of each event type. */
  readonly "~events"?: Events
  /**
   * Validates `data` against the type's Schema and returns its encoded (JSON) form. Fails with `EventTypeError`.
   */
  readonly encode: (type: string, data: unknown) => Either.Either<unknown, EventTypeError>
  /** Whether an exact name or a `prefix.*` filter matches at least one type of the catalog. */
  readonly accepts: (filter: string) => boolean
}

const TYPE_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/

/**
 * Whether a string is a valid event type name: dot-separated segments of letters, digits, `_` and `-`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isTypeName = (name: string): boolean => name.length <= 128 && TYPE_NAME.test(name)

/**
 * Builds a catalog. A type given as a bare Schema gets an empty description; a type given without a Schema accepts
 * any JSON value.
 *
 * @example
 * ```ts
 * const catalog = Catalog.make({
 *   "invoice.paid": { schema: Schema.Struct({ invoiceId: Schema.String, amount: Schema.Number }), description: "An invoice was paid" }
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Defs extends Record<string, EventTypeInput>>(definitions: Defs): Catalog<DataOf<Defs>> => {
  const types = new Map<string, EventType>()
  for (const [name, input] of Object.entries(definitions)) {
    if (!isTypeName(name)) {
      throw new Error(
        `Invalid event type name ${
          JSON.stringify(name)
        }: use dot-separated segments of letters, digits, "_" and "-", ` +
          `like "invoice.paid"`
      )
    }
    types.set(name, normalise(name, input))
  }
  const encoders = new Map<string, (u: unknown) => Either.Either<unknown, ParseResult.ParseError>>()
  for (const [name, type] of types) {
    encoders.set(name, Schema.encodeUnknownEither(type.schema as Schema.Schema<unknown, unknown, never>))
  }
  for (const [name, type] of types) {
    type.examples?.forEach((example, i) => {
      const checked = encoders.get(name)!(example)
      if (Either.isLeft(checked)) {
        throw new Error(
          `Example ${i} of event type ${JSON.stringify(name)} does not match its schema:\n` +
            ParseResult.TreeFormatter.formatErrorSync(checked.left)
        )
      }
    })
  }
  const known = [...types.keys()].sort()
  return {
    types,
    encode: (type, data) => {
      const encoder = encoders.get(type)
      if (encoder === undefined) {
        return Either.left(
          new EventTypeError({
            code: "unknown_event_type",
            type,
            message: `Unknown event type ${JSON.stringify(type)}. Known types: ${known.join(", ") || "(none)"}. ` +
              `Add it to the catalog before publishing it.`
          })
        )
      }
      const result = encoder(data)
      if (Either.isLeft(result)) {
        return Either.left(
          new EventTypeError({
            code: "invalid_event_data",
            type,
            message: `Invalid data for event type "${type}":\n${ParseResult.TreeFormatter.formatErrorSync(result.left)}`
          })
        )
      }
      return Either.right(result.right)
    },
    accepts: (filter) => {
      if (filter.endsWith(".*")) {
        const prefix = filter.slice(0, -1)
        return known.some((name) => name.startsWith(prefix))
      }
      return types.has(filter)
    }
  }
}

const normalise = (name: string, input: EventTypeInput): EventType => {
  // A Schema of another copy or major of Effect would be read as "anything": refuse it now.
  const where = `Catalog.make: event type ${JSON.stringify(name)}`
  const problem = EffectVersion.schemaProblem(input, where) ??
    (typeof input === "object" && input !== null && "schema" in input
      ? EffectVersion.schemaProblem(input.schema, `${where} (its schema)`)
      : undefined)
  if (problem !== undefined) throw problem
  if (Schema.isSchema(input)) {
    return { schema: input, description: "", deprecated: false, examples: [] }
  }
  return {
    schema: input.schema ?? Schema.Unknown,
    description: input.description ?? "",
    deprecated: input.deprecated ?? false,
    examples: input.examples ?? []
  }
}

/**
 * The catalog as JSON Schema, one entry per event type (for the host's documentation or an OpenAPI document).
 *
 * @since 0.1.0
 * @category combinators
 */
export const toJsonSchema = (catalog: Catalog<any>): Record<string, {
  readonly description: string
  readonly deprecated: boolean
  readonly schema: JSONSchema.JsonSchema7Root
  /** The examples in their JSON (encoded) form, as they appear in a message's `data`. */
  readonly examples: ReadonlyArray<unknown>
}> => {
  const out: Record<string, {
    readonly description: string
    readonly deprecated: boolean
    readonly schema: JSONSchema.JsonSchema7Root
    readonly examples: ReadonlyArray<unknown>
  }> = {}
  for (const [name, type] of catalog.types) {
    out[name] = {
      description: type.description,
      deprecated: type.deprecated,
      schema: JSONSchema.make(type.schema),
      examples: (type.examples ?? []).map((example) => Either.getOrThrow(catalog.encode(name, example)))
    }
  }
  return out
}
