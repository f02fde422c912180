/**
 * A worker process for the crash tests: the dispatcher on the Postgres adapter, delivering over real HTTP to the
 * test's local receiver. Configured by the environment; runs until killed.
 *
 *   HOOKWIRE_TEST_DATABASE_URL, WORKER_SCHEMA, WORKER_APP_NAME, WORKER_LEASE_MS; optional WORKER_CONCURRENCY (64) and
 *   WORKER_STALL_WRITES=1 (attempt results are never written: a storage stall, until the worker is killed)
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Dispatcher from "@hookwire/core/Dispatcher"
import * as HttpTransport from "@hookwire/core/HttpTransport"
import * as OperationalEvents from "@hookwire/core/OperationalEvents"
import * as Settings from "@hookwire/core/Settings"
import * as Faults from "@hookwire/core/test/contract/Faults"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as PgAdapter from "../../src/PgAdapter.js"
import { settings } from "./engine.js"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`worker: ${name} is not set`)
  return value
}

const main = Dispatcher.layer({
  lease: Number(env("WORKER_LEASE_MS")),
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? "64"),
  perEndpointConcurrency: 16,
  pollInterval: "1 second"
}).pipe(
  Layer.provide(
    Layer.mergeAll(
      Settings.layer(settings()),
      OperationalEvents.layer(),
      HttpTransport.layer({ allowPrivateNetworks: true })
    )
  ),
  Layer.provide(
    process.env.WORKER_STALL_WRITES === "1"
      ? Faults.stallResultWrites(PgAdapter.layer({ schema: env("WORKER_SCHEMA"), migrate: false }))
      : PgAdapter.layer({ schema: env("WORKER_SCHEMA"), migrate: false })
  ),
  Layer.provide(
    PgClient.layer({
      url: Redacted.make(env("HOOKWIRE_TEST_DATABASE_URL")),
      applicationName: env("WORKER_APP_NAME"),
      maxConnections: 8
    })
  )
)

const fiber = Effect.runFork(
  Layer.launch(main).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
)
process.on("SIGTERM", () => {
  Effect.runFork(Fiber.interrupt(fiber))
})
fiber.addObserver((exit) => {
  if (exit._tag === "Failure" && !Cause.isInterruptedOnly(exit.cause)) {
    console.error("worker failed", Cause.pretty(exit.cause))
    process.exitCode = 1
  }
})
