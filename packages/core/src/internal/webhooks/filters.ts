/**
 * The compiled payload filters of the endpoints fan-out reads: each filter is compiled once per endpoint version and
 * kept, not once per message. An entry is reused while it is the same filter object (the memory adapter hands out its
 * records) or the same endpoint version (`updatedAt`: the Postgres adapter decodes fresh records on every read, and
 * `update` moves `updatedAt` forward whenever it changes the options). The cache is bounded: past `MAX_ENTRIES`
 * endpoints it starts over.
 *
 * @internal
 */
import type * as Model from "../../Model.js"
import * as PayloadFilter from "../../PayloadFilter.js"

const MAX_ENTRIES = 100_000

interface Entry {
  readonly filter: PayloadFilter.PayloadFilter
  readonly updatedAt: number
  readonly matcher: PayloadFilter.Matcher
}

const cache = new Map<string, Entry>()

/** The endpoint's compiled filter; undefined when it has none. */
export const matcherOf = (endpoint: Model.EndpointRecord): PayloadFilter.Matcher | undefined => {
  const filter = endpoint.options.filter
  if (filter === undefined || filter === null) return undefined
  const entry = cache.get(endpoint.id)
  if (entry !== undefined && (entry.filter === filter || entry.updatedAt === endpoint.updatedAt)) return entry.matcher
  if (cache.size >= MAX_ENTRIES) cache.clear()
  const matcher = PayloadFilter.compile(filter)
  cache.set(endpoint.id, { filter, updatedAt: endpoint.updatedAt, matcher })
  return matcher
}

/** The payload a filter reads: the message body, parsed (once per message, by the caller). */
export const payloadOf = (message: Model.MessageRecord): unknown => JSON.parse(message.body)
