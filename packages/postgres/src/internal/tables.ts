/**
 * Table names. Every Hookwire table is `<schema>.<prefix><name>`; both parts are validated here once, so the rest of
 * the package can splice the escaped, qualified names into SQL text without further checks.
 *
 * @internal
 */
import * as Errors from "@hookwire/core/Errors"
import type * as Effect from "effect/Effect"
import { createHash } from "node:crypto"

/** @internal */
export interface TableOptions {
  /** Prefix of every table, index and channel name. Default `hookwire_`. */
  readonly tablePrefix?: string | undefined
  /** Schema of the tables. Default: none (the connection's `search_path`, usually `public`). */
  readonly schema?: string | undefined
}

/** @internal */
export interface Tables {
  readonly prefix: string
  readonly schema: string | undefined
  /** Escaped, qualified names, ready for SQL text. */
  readonly endpoints: string
  readonly messages: string
  readonly deliveries: string
  readonly attempts: string
  readonly queue: string
  readonly dedup: string
  /** Unescaped `schema.name` of the migrations tables, as `Migrator` wants it. */
  readonly migrations: string
  readonly dedupMigrations: string
  /** LISTEN/NOTIFY channel of the queue (at most 63 bytes). */
  readonly channel: string
  /** Text hashed into advisory lock keys, unique per schema + prefix. */
  readonly lockNamespace: string
  /** An unqualified index or constraint name with the prefix. */
  readonly index: (name: string) => string
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

/** @internal */
export const defaultPrefix = "hookwire_"

const quote = (name: string) => `"${name}"`

/** @internal */
export const make = (options: TableOptions = {}): Tables => {
  const prefix = options.tablePrefix ?? defaultPrefix
  const schema = options.schema
  if (!(prefix === "" || IDENTIFIER.test(prefix)) || prefix.length > 40) {
    throw Errors.invalidOption(
      "tablePrefix",
      `Invalid tablePrefix ${JSON.stringify(prefix)}: use at most 40 lower-case letters, digits and underscores, ` +
        `starting with a letter or underscore (e.g. "hookwire_")`
    )
  }
  if (schema !== undefined && (!IDENTIFIER.test(schema) || schema.length > 63)) {
    throw Errors.invalidOption(
      "schema",
      `Invalid schema ${JSON.stringify(schema)}: use at most 63 lower-case letters, digits and underscores, ` +
        `starting with a letter or underscore`
    )
  }
  const qualified = (name: string) =>
    schema === undefined ? quote(prefix + name) : `${quote(schema)}.${quote(prefix + name)}`
  const plain = (name: string) => (schema === undefined ? prefix + name : `${schema}.${prefix + name}`)
  const namespace = `${schema ?? ""}.${prefix}`
  const readable = `${schema === undefined ? "" : schema + "."}${prefix}queue`
  // Channel names are identifiers: at most 63 bytes. Long ones keep a readable head and a hash tail.
  const channel = readable.length <= 63
    ? readable
    : `${readable.slice(0, 46)}_${createHash("sha256").update(readable).digest("hex").slice(0, 16)}`
  return {
    prefix,
    schema,
    endpoints: qualified("endpoints"),
    messages: qualified("messages"),
    deliveries: qualified("deliveries"),
    attempts: qualified("attempts"),
    queue: qualified("queue"),
    dedup: qualified("dedup"),
    migrations: plain("migrations"),
    dedupMigrations: plain("dedup_migrations"),
    channel,
    lockNamespace: namespace,
    index: (name) => quote(prefix + name)
  }
}

/** `make`, in an effect: a bad name is its `ValidationError` (what a layer given it fails with), not a defect. */
export const checked = (options: TableOptions = {}): Effect.Effect<Tables, Errors.ValidationError> =>
  Errors.checkOptions(() => make(options))

/** @internal */
export const qualifiedSchema = (tables: Tables): string | undefined =>
  tables.schema === undefined ? undefined : quote(tables.schema)
