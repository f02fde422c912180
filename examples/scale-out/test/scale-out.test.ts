/**
 * The example end to end against a real PostgreSQL: 3 worker processes, 600 messages to 3 endpoints. Without a
 * server the suite is skipped with a loud warning, unless HOOKWIRE_REQUIRE_SERVICES=1 (CI), which makes it fail.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { PgAdapter } from "@hookwire/postgres"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { probeDatabase, runScaleOut, safeUrl } from "../src/main.js"

const databaseUrl = process.env.HOOKWIRE_TEST_DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres"

const unreachable = await probeDatabase(databaseUrl)
if (unreachable !== undefined) {
  if (process.env.HOOKWIRE_REQUIRE_SERVICES === "1") {
    throw new Error(
      `PostgreSQL at ${safeUrl(databaseUrl)} is unreachable (${unreachable}) and HOOKWIRE_REQUIRE_SERVICES=1 ` +
        `requires it. Start it (pg_ctlcluster <version> main start) or set HOOKWIRE_TEST_DATABASE_URL.`
    )
  }
  console.warn(
    `\n\n⚠️  SKIPPING the scale-out example test: PostgreSQL at ${safeUrl(databaseUrl)} is unreachable ` +
      `(${unreachable}).\n   Start PostgreSQL or set HOOKWIRE_TEST_DATABASE_URL; set HOOKWIRE_REQUIRE_SERVICES=1 to ` +
      `make this a failure.\n\n`
  )
}

const schemaExists = (schema: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname = ${schema}`
  ).pipe(
    Effect.map((rows) => rows[0].n > 0),
    Effect.provide(PgAdapter.clientLayer({ url: databaseUrl, applicationName: "hookwire-scale-out-test" })),
    Effect.runPromise
  )

/**
 * Every bound of the run is a failure bound, never an expectation: on a loaded 2-core machine (CI, load up to 12) the
 * three tsx workers took 28 s to boot, publishing 600 messages took 37 s, and the receiver, which shares this process
 * with the publisher, answered some requests after more than the engine's 15 s timeout (each a retry, and a
 * duplicate at the receiver). So the endpoints wait up to 60 s for an answer (the lease is twice that), and the
 * deadlines are generous; the test's own timeout covers all of them.
 */
const START_DEADLINE_MS = 120_000
const DEADLINE_MS = 240_000
const LEASE_MS = 120_000
const TIMEOUT_MS = 60_000
/** The run's own bounded waits after delivery: reports (5 s), stopping the workers (15 s, then 5 s after SIGKILL). */
const WIND_DOWN_MS = 30_000

describe.skipIf(unreachable !== undefined)("examples/scale-out", () => {
  it("3 worker processes share 600 messages × 3 endpoints; every delivery arrives, the summary adds up", async () => {
    const lines: Array<string> = []
    const workers = 3
    const concurrency = 32
    const summary = await runScaleOut({
      workers,
      messages: 600,
      endpoints: 3,
      concurrency,
      databaseUrl,
      startDeadlineMs: START_DEADLINE_MS,
      deadlineMs: DEADLINE_MS,
      leaseMs: LEASE_MS,
      timeoutMs: TIMEOUT_MS,
      print: (line) => lines.push(line)
    })
    console.log(lines.join("\n"))

    // Every delivery delivered, verified by the receiver, none failed or refused.
    expect(summary.expected).toBe(1_800)
    expect(summary.delivered).toBe(1_800)
    expect(summary.failed).toBe(0)
    expect(summary.cancelled).toBe(0)
    expect(summary.receiver.rejected).toBe(0)
    expect(summary.receiver.distinct).toBe(1_800)

    // Exactly once, or with duplicates bounded by what can be in flight at once (at-least-once after a lease
    // expiry): the receiver's count and the workers' reports agree on it.
    expect(summary.receiver.requests).toBe(summary.receiver.distinct + summary.receiver.duplicates)
    expect(summary.receiver.duplicates).toBeLessThanOrEqual(workers * concurrency)
    expect(summary.reportedTwice).toBeLessThanOrEqual(workers * concurrency)

    // More than one worker took part, every delivery is attributed to one, and the table adds up.
    expect(summary.unattributed).toBe(0)
    expect(summary.workers).toHaveLength(workers)
    expect(summary.workers.filter((w) => w.deliveries > 0).length).toBeGreaterThan(1)
    expect(summary.workers.reduce((sum, w) => sum + w.deliveries, 0)).toBe(summary.reported)
    expect(summary.reported).toBe(summary.delivered + summary.reportedTwice)
    expect(summary.workers.reduce((sum, w) => sum + w.share, 0)).toBeCloseTo(100, 6)
    for (const w of summary.workers) expect(w.pid).toBeGreaterThan(0)
    expect(summary.wallMs).toBeGreaterThan(0)
    expect(summary.perSecond).toBeCloseTo(summary.expected / (summary.wallMs / 1000), 6)

    // The printed table shows each worker and the total; the schema is gone afterwards.
    for (const w of summary.workers) {
      expect(lines.some((l) => l.startsWith(w.name) && l.includes(`${w.pid}`))).toBe(true)
    }
    const total = new RegExp(`^total\\s+${summary.reported.toLocaleString("en-US")}\\s+100\\.0 %$`)
    expect(lines.some((l) => total.test(l))).toBe(true)
    expect(lines).toContain(`schema ${summary.schema} dropped`)
    expect(await schemaExists(summary.schema)).toBe(false)
  }, START_DEADLINE_MS + DEADLINE_MS + WIND_DOWN_MS + 30_000)
})
