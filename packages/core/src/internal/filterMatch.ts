/**
 * Compiling a valid payload filter (see `PayloadFilter.validate`) into a matching function. Fan-out runs one per
 * endpoint with a filter for every message, so the work is done here, once: each path becomes a getter over its
 * segments, each condition a test specialised to its operator and operand (a scalar's equality is `===`), and the
 * tests of one filter are combined in one closure. A path that meets an array looks into each element (or the one a
 * numeric segment names): those values are collected into a `Spread`, and a test holds when it holds for one of them.
 *
 * @internal
 */

/** A compiled filter. */
export type Matcher = (payload: unknown) => boolean

/** The operators that compare the value at a path. */
export const OPERATORS: ReadonlySet<string> = new Set([
  "$eq",
  "$neq",
  "$in",
  "$nin",
  "$exists",
  "$gt",
  "$gte",
  "$lt",
  "$lte"
])

/** An object of comparison operators (`{ "$gte": 1 }`), as opposed to a nested filter (`{ "amount": 1 }`). */
export const isOperatorObject = (value: Record<string, unknown>): boolean => {
  for (const key in value) if (OPERATORS.has(key)) return true
  return false
}

/** No value at the path. */
const MISSING: unique symbol = Symbol("missing")

/** The values a path found through arrays (never empty: none found is `MISSING`). */
class Spread {
  constructor(readonly values: ReadonlyArray<unknown>) {}
}

type Found = unknown

/** Arrays nested deeper than this are not looked into (a payload cannot make matching recurse without bound). */
const MAX_ARRAY_NESTING = 32

const hasOwn = Object.prototype.hasOwnProperty

/** One step into an object: its own property, or MISSING (never an inherited one, such as `toString`). */
const step = (value: unknown, segment: string): Found => {
  if (typeof value !== "object" || value === null) return MISSING
  const next = (value as Record<string, unknown>)[segment]
  if (next === undefined || typeof next === "function") return MISSING
  if (segment === "__proto__" && !hasOwn.call(value, segment)) return MISSING
  return next
}

const collect = (value: unknown, segments: ReadonlyArray<string>, from: number, out: Array<unknown>, depth: number) => {
  if (from === segments.length) {
    out.push(value)
    return
  }
  if (Array.isArray(value)) {
    if (depth > MAX_ARRAY_NESTING) return
    const segment = segments[from]
    if (/^\d+$/.test(segment)) {
      const index = Number(segment)
      if (index < value.length) collect(value[index], segments, from + 1, out, depth + 1)
      return
    }
    for (const item of value) collect(item, segments, from, out, depth + 1)
    return
  }
  const next = step(value, segments[from])
  if (next !== MISSING) collect(next, segments, from + 1, out, depth)
}

/** The getter of a path: the value there, `MISSING`, or a `Spread` when the path went through an array. */
const getter = (segments: ReadonlyArray<string>) => (payload: unknown): Found => {
  let value = payload
  for (let i = 0; i < segments.length; i++) {
    if (Array.isArray(value)) {
      const out: Array<unknown> = []
      collect(value, segments, i, out, 0)
      return out.length === 0 ? MISSING : out.length === 1 ? out[0] : new Spread(out)
    }
    value = step(value, segments[i])
    if (value === MISSING) return MISSING
  }
  return value
}

const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const key of keys) {
    if (!hasOwn.call(b, key)) return false
    if (!jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false
  }
  return true
}

type Test = (value: unknown) => boolean

/** Equality as a filter means it: the value itself, or (for an array value) one of its elements. */
const equalTo = (operand: unknown): Test =>
  typeof operand !== "object" || operand === null
    ? (value) => value === operand || (Array.isArray(value) && value.includes(operand))
    : (value) => jsonEqual(value, operand) || (Array.isArray(value) && value.some((item) => jsonEqual(item, operand)))

const compare = (op: string, operand: number | string): Test => {
  const kind = typeof operand
  const one: Test = op === "$gt"
    ? (v) => typeof v === kind && (v as number) > (operand as number)
    : op === "$gte"
    ? (v) => typeof v === kind && (v as number) >= (operand as number)
    : op === "$lt"
    ? (v) => typeof v === kind && (v as number) < (operand as number)
    : (v) => typeof v === kind && (v as number) <= (operand as number)
  return (value) => one(value) || (Array.isArray(value) && value.some(one))
}

/** A test over what a path found: true when it holds for the value, or for one value of a spread. */
const anyOf = (test: Test) => (found: Found): boolean => {
  if (found === MISSING) return false
  if (found instanceof Spread) return found.values.some(test)
  return test(found)
}

const operatorTest = (op: string, operand: unknown): (found: Found) => boolean => {
  switch (op) {
    case "$exists":
      return operand === true ? (found) => found !== MISSING : (found) => found === MISSING
    case "$eq":
      return anyOf(equalTo(operand))
    case "$neq": {
      const equal = anyOf(equalTo(operand))
      return (found) => !equal(found)
    }
    case "$in":
    case "$nin": {
      const tests = (operand as ReadonlyArray<unknown>).map(equalTo)
      const inList = anyOf((value) => tests.some((test) => test(value)))
      return op === "$in" ? inList : (found) => !inList(found)
    }
    default:
      return anyOf(compare(op, operand as number | string))
  }
}

const fieldMatcher = (segments: ReadonlyArray<string>, condition: unknown): Matcher => {
  const isObject = typeof condition === "object" && condition !== null && !Array.isArray(condition)
  // A nested filter: its paths continue this one.
  if (isObject && !isOperatorObject(condition as Record<string, unknown>)) {
    return compileAt(condition as Record<string, unknown>, segments)
  }
  const get = getter(segments)
  const tests = isObject
    ? Object.entries(condition as Record<string, unknown>).map(([op, operand]) => operatorTest(op, operand))
    : [operatorTest("$eq", condition)]
  if (tests.length === 1) {
    const [test] = tests
    return (payload) => test(get(payload))
  }
  return (payload) => {
    const found = get(payload)
    for (const test of tests) if (!test(found)) return false
    return true
  }
}

const all = (matchers: ReadonlyArray<Matcher>): Matcher =>
  matchers.length === 1 ? matchers[0] : (payload) => {
    for (const matcher of matchers) if (!matcher(payload)) return false
    return true
  }

const compileAt = (filter: Record<string, unknown>, prefix: ReadonlyArray<string>): Matcher => {
  const matchers: Array<Matcher> = []
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" || key === "$or") {
      const parts = (value as ReadonlyArray<Record<string, unknown>>).map((f) => compileAt(f, prefix))
      matchers.push(key === "$and" ? all(parts) : (payload) => parts.some((part) => part(payload)))
      continue
    }
    matchers.push(fieldMatcher([...prefix, ...key.split(".")], value))
  }
  return all(matchers)
}

/** The matcher of a valid filter. */
export const compile = (filter: { readonly [key: string]: unknown }): Matcher => compileAt(filter, [])
