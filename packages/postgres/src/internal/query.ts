/**
 * Statement helpers: a small builder for statements with optional filters (each `param` returns its `$n`
 * placeholder), the last entry per id of a batch, and the primary-key condition every hot statement carries.
 *
 * @internal
 */

/** @internal */
export class Params {
  readonly values: Array<unknown> = []
  constructor(initial: ReadonlyArray<unknown> = []) {
    this.values.push(...initial)
  }
  /** Adds a value, returns its placeholder (with an optional cast, e.g. `"::bigint"`). */
  add(value: unknown, cast = ""): string {
    this.values.push(value)
    return `$${this.values.length}${cast}`
  }
}

/** A map key for a pair of texts: (tenant, idempotency key), (id, token). */
export const pairKey = (a: string, b: string | null): string => JSON.stringify([a, b])

/** Keeps the last item of each id (a later write of the same id wins, as it would one by one). */
export const lastById = <A>(items: ReadonlyArray<A>, id: (a: A) => string): ReadonlyArray<A> => {
  const byId = new Map<string, A>()
  for (const item of items) {
    const key = id(item)
    if (byId.has(key)) byId.delete(key)
    byId.set(key, item)
  }
  return byId.size === items.length ? items : [...byId.values()]
}

/**
 * `<alias>.id = any($<param>::text[])`: the rows a statement touches, by primary key. Joining the input arrays alone
 * (`q.id = u.id`) lets the planner pick a hash join over the whole table when the table looked small as the generic
 * plan was made; the key condition keeps every plan an index lookup (see test/Plans.test.ts).
 */
export const byIds = (alias: string, param: number | string): string =>
  `${alias}.id = any(${typeof param === "number" ? `$${param}::text[]` : param})`
