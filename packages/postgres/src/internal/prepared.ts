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
 * The session settings of this package's connections:
 *
 * - `plan_cache_mode`: prepared statements always use their generic plan (it affects prepared statements only —
 *   unnamed ones are planned at every execution anyway), never a custom plan costed with statistics that may be
 *   stale.
 * - `enable_seqscan = off`: wherever an index can serve a statement, it does. Every statement of this package reads
 *   rows by key or by an indexed range; but a generic plan is made once per connection, and if that happens while a
 *   table is small (a new installation, autovacuum off, statistics not yet gathered), reading it whole can look
 *   cheaper than looking up a list of ids — and the plan then stays for the life of the connection while the table
 *   grows (measured here: a batch of results went from 4 ms to 96 ms within one 20,000-message run). A statement
 *   with no usable index still runs, as a scan. test/Plans.test.ts explains every hot statement under these settings.
 */
export const sessionSettings: Readonly<Record<string, string>> = {
  plan_cache_mode: "force_generic_plan",
  enable_seqscan: "off"
}

/** `sessionSettings` as the `options` startup parameter. */
export const sessionOptions = Object.entries(sessionSettings).map(([name, value]) => `-c ${name}=${value}`).join(" ")

/** Marks a fixed statement text as hot (prepared once per connection on this package's pools); returns it. */
export const hot = (text: string): string => {
  if (!names.has(text)) names.set(text, `hookwire_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`)
  return text
}

/** Every text marked hot so far (the plan tests explain them all). */
export const hotTexts = (): ReadonlyArray<string> => [...names.keys()]

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
