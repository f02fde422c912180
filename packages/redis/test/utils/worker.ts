/**
 * A worker process for the crash tests: the dispatcher over PostgreSQL storage and the Redis queue (with the
 * sweeper), delivering over real HTTP to the test's local receiver. Configured by the environment; runs until killed.
 *
 *   HOOKWIRE_TEST_DATABASE_URL, HOOKWIRE_TEST_REDIS_URL, WORKER_SCHEMA, WORKER_PREFIX, WORKER_NAME, WORKER_LEASE_MS;
 *   optional WORKER_CONCURRENCY (64) and WORKER_STALL_WRITES=1 (attempt results are never written: a storage stall)
 */
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
import * as RedisAdapter from "../../src/RedisAdapter.js"
import * as RedisConnection from "../../src/RedisConnection.js"
import { settings } from "./engine.js"
import { storageLayer } from "./storage.js"

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`worker: ${name} is not set`)
  return value
}

const name = env("WORKER_NAME")

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
    (process.env.WORKER_STALL_WRITES === "1" ? Faults.stallResultWrites : <A>(layer: A) => layer)(
      RedisAdapter.layer({ prefix: env("WORKER_PREFIX") }).pipe(
        Layer.provideMerge(storageLayer(env("WORKER_SCHEMA"), name, 8)),
        Layer.provide(RedisConnection.layer(env("HOOKWIRE_TEST_REDIS_URL"), { connectionName: name }))
      )
    )
  )
)

const fiber = Effect.runFork(Layer.launch(main).pipe(Logger.withMinimumLogLevel(LogLevel.Error)))
process.on("SIGTERM", () => {
  Effect.runFork(Fiber.interrupt(fiber))
})
fiber.addObserver((exit) => {
  if (exit._tag === "Failure" && !Cause.isInterruptedOnly(exit.cause)) {
    console.error("worker failed", Cause.pretty(exit.cause))
    process.exitCode = 1
  }
})
