/**
 * Where the benches' stores are and how a run names its own corner of them, without Effect (the peer queues'
 * processes load this and not the engine): PostgreSQL from `HOOKWIRE_BENCH_DATABASE_URL`, else
 * `HOOKWIRE_TEST_DATABASE_URL`, else the local server; Redis from `HOOKWIRE_BENCH_REDIS_URL`, else
 * `HOOKWIRE_TEST_REDIS_URL`, else the local server. Every run uses a fresh schema / key prefix named with `runTag`, so
 * parallel runs (and other engineers' tests) never collide.
 */
import pg from "pg"

export const databaseUrl = (): string =>
  process.env.HOOKWIRE_BENCH_DATABASE_URL ?? process.env.HOOKWIRE_TEST_DATABASE_URL ??
    "postgres://postgres:postgres@127.0.0.1:5432/postgres"

export const redisUrl = (): string =>
  process.env.HOOKWIRE_BENCH_REDIS_URL ?? process.env.HOOKWIRE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** Unique per run: names the run's schema (and key prefix). */
export const runTag = (): string => `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

/** Runs one statement on a connection of its own (setup and cleanup: never on a contender's hot path). */
export const pgQuery = async <Row extends Record<string, unknown>>(text: string): Promise<Array<Row>> => {
  const client = new pg.Client({ connectionString: databaseUrl(), application_name: "hookwire-bench" })
  await client.connect()
  try {
    return (await client.query<Row>(text)).rows
  } finally {
    await client.end()
  }
}

/** Drops a run's schema and everything in it. */
export const dropPgSchema = async (schema: string): Promise<void> => {
  await pgQuery(`drop schema if exists "${schema.replace(/"/g, "\"\"")}" cascade`)
}
