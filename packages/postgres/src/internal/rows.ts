/**
 * Rows ↔ records, the parts every record family shares. `bigint` columns arrive from node-postgres as strings (it
 * will not guess at precision), so every time goes through `num`; `jsonb` and `text[]` arrive parsed. Each family's
 * own mapping (its columns, parameters and decoders) is in its module: `endpoints.ts`, `messages.ts`,
 * `deliveries.ts`, `attempts.ts`. Records are built field by field so that they carry exactly the port's fields.
 *
 * @internal
 */

/** @internal */
export type Row = Record<string, any>

/** @internal */
export const num = (value: unknown): number => (typeof value === "number" ? value : Number(value))

/** @internal */
export const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : num(value))

/** A `jsonb` value: parsed already, or text when the client was told not to parse it. */
export const json = <A>(value: unknown): A => (typeof value === "string" ? JSON.parse(value) : value) as A

/**
 * `json jsonb`: a field that is a `jsonb` column (only in `jsonRows`, where it stays a JSON value of the row, a JSON
 * `null` read as SQL null).
 */
const JSON_JSONB = "json jsonb"

/** `unnest($<from>::<type>[], …)`: one array parameter per type, in order. */
export const unnest = (from: number, types: ReadonlyArray<string>): string =>
  `unnest(${types.map((type, i) => `$${from + i}::${type}[]`).join(", ")})`

/**
 * The columns of a table as parameters: each column's element type (or `json jsonb`, in `jsonRows` only), and how to
 * read it from a record.
 */
export type Fields<A> = ReadonlyArray<readonly [type: string, read: (record: A) => unknown]>

/** One array parameter per field of `records`, each in the records' order: the parameters of an `unnest`. */
export const arraysOf = <A>(records: ReadonlyArray<A>, fields: Fields<A>): Array<unknown> =>
  fields.map(([, read]) => records.map(read))

/**
 * All of `records` as one parameter: a JSON array of each record's fields in `fields` order (`jsonRows` reads it back
 * as rows). For records of many short fields (the dispatcher's results: 16 attempt and 9 delivery columns each) one
 * `JSON.stringify` costs the process less than an array per column, which node-postgres writes as array literals
 * element by element (its `escapeElement`), and PostgreSQL parses one `jsonb` faster than those literals (measured
 * on the attempts' insert, batches of 32: PostgreSQL 35.4 → 31.3 µs, the process 28.1 → 24.8 µs per attempt).
 */
export const jsonRowsOf = <A>(records: ReadonlyArray<A>, fields: Fields<A>): string =>
  JSON.stringify(records.map((record) => fields.map(([, read]) => read(record))))

/**
 * The rows of a `jsonRowsOf` parameter `$<param>`, as `u(<names>)`: each field cast to its type (`json jsonb`
 * fields are `jsonb`, JSON `null` read as SQL null).
 */
export const jsonRows = <A>(param: number, fields: Fields<A>, names: string): string =>
  `(select ${
    fields.map(([type], i) =>
      type === JSON_JSONB ? `nullif(e->${i}, 'null'::jsonb)` : type === "text" ? `e->>${i}` : `(e->>${i})::${type}`
    ).join(", ")
  } from jsonb_array_elements($${param}::jsonb) as x(e)) as u(${names})`

/** The element types of `fields`, for `unnest`. */
export const typesOf = <A>(fields: Fields<A>): Array<string> => fields.map(([type]) => type)

/**
 * Records as JSON arrays built by PostgreSQL (`json_build_array` in column order, aggregated with `json_agg`): for
 * the big reads (fan-out, dispatch) one native `JSON.parse` of one value is much cheaper than node-postgres
 * parsing every field of every row. Numbers arrive as numbers (bigint epoch milliseconds are exact below 2^53).
 */
export const jsonArray = (alias: string, columns: string): string => `json_build_array(${qualified(alias, columns)})`

/** A column list with every column qualified by `alias`. */
export const qualified = (alias: string, columns: string): string =>
  columns.split(",").map((c) => `${alias}.${c.trim()}`).join(", ")
