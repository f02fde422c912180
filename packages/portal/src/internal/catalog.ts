/**
 * The event picker's model: the catalog's types grouped under their prefixes (`invoice.*` for `invoice.paid` and
 * `invoice.voided`), the engine's wildcard form. A group is offered when it covers at least two types.
 */
import type { EventType } from "../client/types.js"

export interface EventGroup {
  /** The wildcard filter, `invoice.*`. */
  readonly wildcard: string
  readonly types: ReadonlyArray<EventType>
}

/** Groups by every proper prefix of the type names, outermost first; single-type prefixes are left out. */
export const groupEventTypes = (types: ReadonlyArray<EventType>): Array<EventGroup> => {
  const byPrefix = new Map<string, Array<EventType>>()
  for (const type of types) {
    const parts = type.name.split(".")
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join(".")
      const list = byPrefix.get(prefix) ?? []
      list.push(type)
      byPrefix.set(prefix, list)
    }
  }
  return [...byPrefix.entries()]
    .filter(([, list]) => list.length >= 2)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([prefix, list]) => ({ wildcard: `${prefix}.*`, types: list }))
}

/** Whether a filter entry (exact or `prefix.*`) selects a type. */
export const filterMatches = (entry: string, type: string): boolean =>
  entry.endsWith(".*") ? type.startsWith(entry.slice(0, -1)) : entry === type

/** Whether a type is selected by a whole filter; an empty filter selects every type. */
export const selectedBy = (filter: ReadonlyArray<string>, type: string): boolean =>
  filter.length === 0 || filter.some((entry) => filterMatches(entry, type))
