/**
 * The real services the adapter tests talk to (PostgreSQL, Redis): each is probed once per test file; when it is
 * unreachable, its tests are skipped with a loud warning — or, under `HOOKWIRE_REQUIRE_SERVICES=1` (CI), the file
 * fails with what to start or set.
 */
import pg from "pg"
import { describe } from "vitest"
import { hideCredentials } from "./env.js"

export interface Service {
  /** "PostgreSQL", "Redis". */
  readonly name: string
  /** Where, as the messages show it (credentials hidden). */
  readonly url: string
  /** Resolves when the service answers; rejects (or throws) otherwise. */
  readonly probe: () => Promise<void>
  /** The command that starts it on this machine kind. */
  readonly start: string
  /** The environment variable that points the tests elsewhere. */
  readonly env: string
  /** What is skipped without it, e.g. "the @hookwire/postgres tests". */
  readonly skipping: string
}

/**
 * Probes `service` once: `true` when it answers. Unreachable, it throws under `HOOKWIRE_REQUIRE_SERVICES=1` and warns
 * loudly otherwise.
 */
export const reachable = async (service: Service): Promise<boolean> => {
  let unreachable: string | undefined
  try {
    await service.probe()
  } catch (error) {
    unreachable = error instanceof Error ? error.message : String(error)
  }
  if (unreachable === undefined) return true
  if (process.env.HOOKWIRE_REQUIRE_SERVICES === "1") {
    throw new Error(
      `${service.name} at ${service.url} is unreachable (${unreachable}) and HOOKWIRE_REQUIRE_SERVICES=1 requires it. ` +
        `Start it (${service.start}) or set ${service.env}.`
    )
  }
  console.warn(
    `\n\n⚠️  SKIPPING ${service.skipping}: ${service.name} at ${service.url} is unreachable (${unreachable}).\n` +
      `   Start ${service.name} or set ${service.env}; set HOOKWIRE_REQUIRE_SERVICES=1 to make this a failure.\n\n`
  )
  return false
}

/** PostgreSQL at `url` as a `Service` (a connection and `select 1`, within 3 s). */
export const postgres = (url: string, skipping: string): Service => ({
  name: "PostgreSQL",
  url: hideCredentials(url),
  probe: async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
    client.on("error", () => {})
    try {
      await client.connect()
      await client.query("select 1")
    } finally {
      await client.end().catch(() => {})
    }
  },
  start: "pg_ctlcluster <version> main start",
  env: "HOOKWIRE_TEST_DATABASE_URL",
  skipping
})

/** `describe` when `available`, a skipped `describe` (after the warning `reachable` gave) otherwise. */
export const describeIf = (available: boolean) => (name: string, body: () => void): void => {
  if (available) describe(name, body)
  else describe.skip(name, body)
}

/** Polls `check` until it returns true, failing after `timeoutMs`: a bounded wait, never a fixed sleep. */
export const waitFor = async (
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 25
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
