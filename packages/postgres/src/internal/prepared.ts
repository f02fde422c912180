/**
 * Prepared statements for the hot path. PostgreSQL parses and plans an unnamed statement at every execution; for the
 * statements that run once per publish or per dispatcher batch (CTEs over several tables), planning costs more than
 * executing — measured here, twice the server time of a simple select. Texts marked `hot` are sent as named
 * statements by the pools this package creates (`Client`), so each connection parses and plans them once. Only
 * fixed texts are marked (never a text built from user input), so the number of prepared statements per connection
 * stays small and bounded. A pool the host brings keeps its own client class: its statements are simply unnamed.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import pg from "pg"

const names = new Map<string, string>()

/**
 * The session settings of this package's connections (the `options` startup parameter): prepared statements always
 * use their generic plan. It affects prepared statements only — unnamed ones are planned at every execution anyway.
 */
export const sessionOptions = "-c plan_cache_mode=force_generic_plan"

/** Marks a fixed statement text as hot (prepared once per connection on this package's pools); returns it. */
export const hot = (text: string): string => {
  if (!names.has(text)) names.set(text, `hookwire_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`)
  return text
}

/** A node-postgres client that sends hot statements as named (prepared) ones; everything else as given. */
export class Client extends pg.Client {
  // node-postgres' `query` has many overloads; only `(text, values, callback)` with a hot text is changed.
  override query(...args: Array<any>): any {
    const [text, values, callback] = args
    if (typeof text === "string" && Array.isArray(values)) {
      const name = names.get(text)
      if (name !== undefined) return (super.query as any)({ name, text, values }, callback)
    }
    return (super.query as any)(...args)
  }
}
