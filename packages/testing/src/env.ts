/**
 * Where the real services are (no vitest imports here: worker scripts started by the crash tests use it outside
 * vitest).
 */

/** The PostgreSQL the tests use: `HOOKWIRE_TEST_DATABASE_URL`, else the local server. */
export const databaseUrl = process.env.HOOKWIRE_TEST_DATABASE_URL ??
  "postgres://postgres:postgres@127.0.0.1:5432/postgres"

/** The Redis the tests use: `HOOKWIRE_TEST_REDIS_URL`, else the local server. */
export const redisUrl = process.env.HOOKWIRE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** A URL fit for a message: its credentials hidden. */
export const hideCredentials = (url: string): string => url.replace(/\/\/[^@/]*@/, "//***@")
