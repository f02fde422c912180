/**
 * PostgreSQL storage for the tests and the worker script (no vitest imports here: the worker runs outside vitest).
 */
import type * as Storage from "@hookwire/core/Storage"
import * as PgAdapter from "@hookwire/postgres/PgAdapter"
import * as PgStorage from "@hookwire/postgres/PgStorage"
import { databaseUrl } from "@hookwire/testing/env"
import * as Layer from "effect/Layer"

export { databaseUrl }

/** Postgres Storage alone (no Postgres queue) on a migrated schema, with its own pool. */
export const storageLayer = (
  schema: string,
  applicationName = "hookwire-redis-test",
  maxConnections = 10
): Layer.Layer<Storage.Storage, unknown> =>
  PgStorage.layer({ schema }).pipe(
    Layer.provide(PgAdapter.clientLayer({ url: databaseUrl, applicationName, client: { maxConnections } }))
  )
