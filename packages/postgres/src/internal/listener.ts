/**
 * The queue's wake-up line: one dedicated connection that LISTENs on the queue channel and completes the waiters of
 * `awaitWork` when work may be due. It reconnects on its own (with a capped backoff) after the server restarts or
 * terminates it, and wakes every waiter when it (re)connects, because notifications sent while it was away are
 * lost. While it is away, `awaitWork` still returns at its `maxWaitMs` (the poll interval): slower, never stuck.
 *
 * `@effect/sql-pg`'s own `listen` keeps one client for the process and does not come back after that client
 * is terminated, which is why this one is separate.
 *
 * @internal
 */
import type { PgClientConfig } from "@effect/sql-pg/PgClient"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import pg from "pg"

/** @internal */
export interface Waiter {
  readonly signal: Deferred.Deferred<void>
  /** The waiter wakes up on its own at this time (epoch ms): notified work due later does not concern it. */
  readonly until: number
}

/** @internal */
export interface Listener {
  /** Registers a waiter: do it before looking at the queue, so a notification sent after the look is not missed. */
  readonly subscribe: (until: number) => Waiter
  readonly unsubscribe: (waiter: Waiter) => void
  /** Wakes the waiters that work due at `runAt` concerns (NaN: every waiter). */
  readonly wake: (runAt: number) => void
  readonly isConnected: () => boolean
  /**
   * How many wake-ups there have been so far (notifications, local wakes, reconnections): unchanged between two
   * reads means nothing was notified in between.
   */
  readonly wakes: () => number
}

const noop = () => {}

/** @internal */
export const clientConfig = (config: PgClientConfig): pg.ClientConfig => ({
  ...(config.url !== undefined ? { connectionString: Redacted.value(config.url) } : {}),
  ...(config.host !== undefined ? { host: config.host } : {}),
  ...(config.port !== undefined ? { port: config.port } : {}),
  ...(config.database !== undefined ? { database: config.database } : {}),
  ...(config.username !== undefined ? { user: config.username } : {}),
  ...(config.password !== undefined ? { password: Redacted.value(config.password) } : {}),
  ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
  application_name: config.applicationName ?? "@effect/sql-pg",
  keepAlive: true,
  connectionTimeoutMillis: 10_000
})

/** @internal */
export const make = (
  config: pg.ClientConfig,
  channel: string
): Effect.Effect<Listener, never, Scope.Scope> =>
  Effect.gen(function*() {
    const waiters = new Set<Waiter>()
    let connected = false

    let wakes = 0
    const wake = (runAt: number) => {
      wakes++
      for (const waiter of waiters) {
        if (!(runAt > waiter.until)) {
          waiters.delete(waiter)
          Deferred.unsafeDone(waiter.signal, Effect.void)
        }
      }
    }

    const connect = Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const client = new pg.Client(config)
          // A client without an "error" listener crashes the process when its socket fails: keep one forever.
          client.on("error", noop)
          try {
            await client.connect()
            await client.query(`LISTEN "${channel}"`)
          } catch (error) {
            client.end().catch(noop)
            throw error
          }
          return client
        },
        catch: (cause) => cause
      }),
      (client) => Effect.promise(() => client.end().catch(noop)).pipe(Effect.timeoutOption(1_000))
    )

    const session = Effect.scoped(
      Effect.flatMap(connect, (client) =>
        Effect.async<never, unknown>((resume) => {
          const onNotification = (message: pg.Notification) => {
            if (message.channel === channel) wake(message.payload ? Number(message.payload) : NaN)
          }
          const onError = (error: Error) => resume(Effect.fail(error))
          const onEnd = () => resume(Effect.fail(new Error("the LISTEN connection ended")))
          client.on("notification", onNotification)
          client.on("error", onError)
          client.on("end", onEnd)
          connected = true
          // Notifications sent while disconnected are gone: everyone looks at the queue again.
          wake(NaN)
          return Effect.sync(() => {
            connected = false
            client.off("notification", onNotification)
            client.off("error", onError)
            client.off("end", onEnd)
          })
        }))
    )

    const loop = Effect.gen(function*() {
      let failures = 0
      while (true) {
        const started = yield* Clock.currentTimeMillis
        const error = yield* Effect.flip(session)
        connected = false
        wake(NaN)
        if ((yield* Clock.currentTimeMillis) - started > 10_000) failures = 0
        failures++
        if (failures === 1 || failures % 50 === 0) {
          yield* Effect.logWarning(
            `PgQueue: the LISTEN connection for ${channel} failed (${
              error instanceof Error ? error.message : String(error)
            }); reconnecting. Idle workers poll meanwhile.`
          )
        }
        yield* Effect.sleep(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 6)))
      }
    }).pipe(
      // Reconnecting is real waiting, whatever clock the caller's context holds (e.g. a TestClock in tests).
      Effect.withClock(Clock.make()),
      Effect.annotateLogs({ package: "@hookwire/postgres", module: "PgQueue" })
    )

    yield* Effect.forkScoped(loop)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const waiter of waiters) Deferred.unsafeDone(waiter.signal, Effect.void)
        waiters.clear()
      })
    )

    return {
      subscribe: (until) => {
        const waiter: Waiter = { signal: Deferred.unsafeMake<void>(FiberId.none), until }
        waiters.add(waiter)
        return waiter
      },
      unsubscribe: (waiter) => {
        waiters.delete(waiter)
      },
      wake,
      isConnected: () => connected,
      wakes: () => wakes
    }
  })
