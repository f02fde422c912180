/**
 * Payload filters: an endpoint may carry a JSON filter over the payload it would receive (the message body, as the
 * engine's envelope built it, e.g. `{ "type", "timestamp", "data" }`), and then receives only the messages it
 * matches. The syntax is the one webhook users know from Convoy and Outpost, and MongoDB's query operators:
 *
 * - a key is a path into the payload: a nested object (`{ "data": { "symbol": "AAPL" } }`) or dots
 *   (`{ "data.symbol": "AAPL" }`); a path through an array looks into each element (`data.lines.sku`), a numeric
 *   segment indexes it (`data.lines.0.sku`);
 * - a plain value means equality (for an array field: "contains"); an object of operators compares: `$eq`, `$neq`,
 *   `$in`, `$nin` (any JSON values), `$gt`, `$gte`, `$lt`, `$lte` (a number or a string, compared with values of the
 *   same type only), `$exists` (true or false; `null` exists);
 * - `$and` and `$or` take a non-empty array of filters; the keys of one object must all hold (an implicit and).
 *
 * A filter is checked once (`validate`, at endpoint create and update, for every adapter alike) and turned into a
 * matching function once (`compile`); matching never throws.
 *
 * @since 0.5.0
 */
import * as Schema from "effect/Schema"
import * as filterMatch from "./internal/filterMatch.js"
import { textProblem } from "./internal/validate.js"

/**
 * A filter as stored and sent: a JSON object.
 *
 * @since 0.5.0
 * @category models
 */
export type PayloadFilter = { readonly [key: string]: unknown }

/**
 * The filter's JSON form, for API inputs and views (its rules are checked by `validate`, not by this Schema).
 *
 * @since 0.5.0
 * @category models
 */
export const PayloadFilterSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  identifier: "PayloadFilter",
  description: "A JSON filter over the payload: paths (nested objects or dots) to values or operators " +
    "($eq, $neq, $in, $nin, $gt, $gte, $lt, $lte, $exists), combined with $and / $or"
})

/**
 * Why a filter is invalid: `path` locates the bad part (`filter.data.amount.$gte`), `message` says what to do.
 *
 * @since 0.5.0
 * @category models
 */
export interface Problem {
  readonly path: string
  readonly message: string
}

/**
 * A compiled filter: true when the payload matches.
 *
 * @since 0.5.0
 * @category models
 */
export type Matcher = (payload: unknown) => boolean

/**
 * The limits of one filter: how deep it nests, how many conditions it holds, its size as JSON.
 *
 * @since 0.5.0
 * @category constants
 */
export const LIMITS = { depth: 16, conditions: 256, bytes: 16_384, pathSegments: 32 } as const

const COMPARISONS = new Set(["$gt", "$gte", "$lt", "$lte"])
const { isOperatorObject, OPERATORS } = filterMatch
const LOGICAL = new Set(["$and", "$or"])

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Text every store keeps as given (Postgres refuses NUL and turns lone surrogates into U+FFFD). */
const stringProblem = (value: string, path: string): Problem | undefined => {
  const problem = textProblem(value, false)
  return problem === undefined ? undefined : { path, message: `${problem}: use well-formed text` }
}

/** A JSON value (finite numbers, plain objects and arrays) no deeper than the limit, or the problem. */
const jsonProblem = (value: unknown, path: string, depth: number): Problem | undefined => {
  if (depth > LIMITS.depth) return { path, message: `nests deeper than ${LIMITS.depth} levels; flatten it` }
  if (value === null || typeof value === "boolean") return undefined
  if (typeof value === "string") return stringProblem(value, path)
  if (typeof value === "number") {
    return Number.isFinite(value)
      ? undefined
      : { path, message: "must be a finite number (JSON has no NaN or Infinity)" }
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], `${path}[${i}]`, depth + 1)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const problem = stringProblem(key, `${path}.${key}`) ?? jsonProblem(item, `${path}.${key}`, depth + 1)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  return { path, message: `must be a JSON value; got ${typeof value}` }
}

interface Checker {
  conditions: number
}

const pathProblem = (key: string, path: string): Problem | undefined => {
  const segments = key.split(".")
  if (segments.some((segment) => segment.length === 0)) {
    return { path, message: `"${key}" has an empty path segment; write paths like "data.amount"` }
  }
  if (segments.length > LIMITS.pathSegments) {
    return { path, message: `"${key}" has more than ${LIMITS.pathSegments} segments` }
  }
  if (segments.some((segment) => segment.startsWith("$"))) {
    return {
      path,
      message: `"${key}" is not an operator here: use $and / $or to combine filters, and put $eq, $neq, $in, $nin, ` +
        `$gt, $gte, $lt, $lte or $exists inside a field, like { "data.amount": { "$gte": 100 } }`
    }
  }
  return undefined
}

const operatorProblem = (op: string, operand: unknown, path: string, depth: number): Problem | undefined => {
  if (!OPERATORS.has(op)) {
    return {
      path,
      message: `unknown operator ${op}: use one of $eq, $neq, $in, $nin, $gt, $gte, $lt, $lte, $exists`
    }
  }
  if (op === "$exists") {
    return typeof operand === "boolean"
      ? undefined
      : { path, message: `$exists takes true or false; got ${describe(operand)}` }
  }
  if (COMPARISONS.has(op)) {
    return typeof operand === "number" || typeof operand === "string"
      ? jsonProblem(operand, path, depth)
      : { path, message: `${op} takes a number or a string; got ${describe(operand)}` }
  }
  if (op === "$in" || op === "$nin") {
    if (!Array.isArray(operand) || operand.length === 0) {
      return { path, message: `${op} takes a non-empty array of values; got ${describe(operand)}` }
    }
  }
  return jsonProblem(operand, path, depth)
}

/** The checks of one field's condition: a value (equality) or an object of operators. */
const conditionProblem = (value: unknown, path: string, depth: number, checker: Checker): Problem | undefined => {
  if (++checker.conditions > LIMITS.conditions) {
    return { path, message: `the filter has more than ${LIMITS.conditions} conditions; simplify it` }
  }
  if (!isPlainObject(value)) return jsonProblem(value, path, depth)
  if (!isOperatorObject(value)) return filterProblem(value, path, depth + 1, checker)
  const keys = Object.keys(value)
  const fields = keys.filter((key) => !key.startsWith("$"))
  if (fields.length > 0) {
    return {
      path,
      message: `mixes operators (${keys.filter((k) => k.startsWith("$")).join(", ")}) with fields (${
        fields.join(", ")
      }); write the fields as their own paths, or compare a whole object with { "$eq": {…} }`
    }
  }
  for (const op of keys) {
    if (LOGICAL.has(op)) {
      return {
        path: `${path}.${op}`,
        message: `${op} combines whole filters: put it beside the fields of a filter, not among the operators of one`
      }
    }
    const problem = operatorProblem(op, value[op], `${path}.${op}`, depth + 1)
    if (problem !== undefined) return problem
  }
  return undefined
}

const filterProblem = (
  filter: Record<string, unknown>,
  path: string,
  depth: number,
  checker: Checker
): Problem | undefined => {
  if (depth > LIMITS.depth) return { path, message: `nests deeper than ${LIMITS.depth} levels; flatten it` }
  const keys = Object.keys(filter)
  if (keys.length === 0) {
    return { path, message: "is an empty filter, which matches everything: remove it or give it a condition" }
  }
  for (const key of keys) {
    const value = filter[key]
    const at = `${path}.${key}`
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value) || value.length === 0) {
        return { path: at, message: `${key} takes a non-empty array of filters; got ${describe(value)}` }
      }
      for (let i = 0; i < value.length; i++) {
        if (!isPlainObject(value[i])) {
          return { path: `${at}[${i}]`, message: `must be a filter object; got ${describe(value[i])}` }
        }
        const problem = filterProblem(value[i], `${at}[${i}]`, depth + 1, checker)
        if (problem !== undefined) return problem
      }
      continue
    }
    const problem = stringProblem(key, at) ?? pathProblem(key, at) ?? conditionProblem(value, at, depth + 1, checker)
    if (problem !== undefined) return problem
  }
  return undefined
}

/**
 * Checks a filter: undefined when it is valid, else the problem (its path under `root`, and what to do).
 *
 * @since 0.5.0
 * @category guards
 */
export const validate = (filter: unknown, root = "filter"): Problem | undefined => {
  if (!isPlainObject(filter)) {
    return {
      path: root,
      message: `a filter is a JSON object like { "data.amount": { "$gte": 100 } }; got ${describe(filter)}`
    }
  }
  let size: number
  try {
    size = JSON.stringify(filter).length
  } catch {
    return { path: root, message: "cannot be serialised as JSON (a cycle?)" }
  }
  if (size > LIMITS.bytes) return { path: root, message: `is ${size} characters as JSON; the limit is ${LIMITS.bytes}` }
  return filterProblem(filter, root, 0, { conditions: 0 })
}

/**
 * Turns a valid filter (see `validate`) into a matching function. Call it once per filter and keep the function.
 *
 * @since 0.5.0
 * @category constructors
 */
export const compile = (filter: PayloadFilter): Matcher => filterMatch.compile(filter)

/**
 * Whether `payload` matches `filter` (validated first): the matcher's answer, or the problem with the filter.
 *
 * @since 0.5.0
 * @category combinators
 */
export const test = (filter: unknown, payload: unknown): boolean | Problem => {
  const problem = validate(filter)
  return problem !== undefined ? problem : compile(filter as PayloadFilter)(payload)
}
