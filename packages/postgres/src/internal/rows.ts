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
 * `json jsonb`: a `jsonb` column sent as one JSON array of its values (`JSON.stringify` of the column, a JSON `null`
 * read back as SQL null) instead of a `jsonb[]` parameter. node-postgres writes an array parameter as an array literal,
 * each element first made JSON text by us and then escaped character by character in JavaScript (its
 * `escapeElement`): for the attempts' request and response headers that cost ~2.5 µs of the sending process per
 * value, against ~0.9 µs as one JSON array, and the same PostgreSQL CPU (measured with 100-value batches). Long texts
 * (message bodies) stay `text[]`: as JSON, PostgreSQL's unescaping cost it ~1.5 µs more per 1 KiB body than parsing
 * the array literal.
 */
const JSON_JSONB = "json jsonb"

const jsonbElements = (param: string): string =>
  `array(select nullif(e, 'null'::jsonb) from jsonb_array_elements(${param}::jsonb) with ordinality as x(e, i) ` +
  `order by i)`

/** `unnest($<from>::<type>[], …)`: one array parameter per type, in order (a JSON array for `json jsonb`). */
export const unnest = (from: number, types: ReadonlyArray<string>): string =>
  `unnest(${
    types.map((type, i) => type === JSON_JSONB ? jsonbElements(`$${from + i}`) : `$${from + i}::${type}[]`).join(", ")
  })`

/**
 * The columns of a table as `unnest` parameters: each column's element type (or `json jsonb`), and how to read it
 * from a record.
 */
export type Fields<A> = ReadonlyArray<readonly [type: string, read: (record: A) => unknown]>

/**
 * One parameter per field of `records`, each in the records' order: the parameters of an `unnest` — an array, or for
 * `json jsonb` that array as JSON text.
 */
export const arraysOf = <A>(records: ReadonlyArray<A>, fields: Fields<A>): Array<unknown> =>
  fields.map(([type, read]) => type === JSON_JSONB ? JSON.stringify(records.map(read)) : records.map(read))

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
