/**
 * `RedisQueue`'s waiting side. `enqueue`, `reschedule` and `release` publish the earliest run time they queued on the
 * queue's channel; one subscriber connection per queue (in the queue's scope) wakes the waiting dispatchers of this
 * process when that time is earlier than what they were going to sleep until, and this process's own writes wake
 * them at once (`wake`). `awaitWork` otherwise sleeps until the earliest run time or lease expiry (one round trip to
 * learn it), bounded by `maxWaitMs`: no polling.
 *
 * @internal
 */
import * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type { QueueError } from "@hookwire/core/Errors"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"
import type * as RedisConnection from "../../RedisConnection.js"
import { queueError } from "../errors.js"
import type { Queue } from "./commands.js"

interface Waiter {
  until: number
  readonly signal: Deferred.Deferred<void>
}

/** @internal */
export interface WakeUps {
  /** Wakes every waiter that would otherwise sleep past `runAt`. */
  readonly wake: (runAt: number) => void
  readonly awaitWork: DeliveryQueue.DeliveryQueue["Type"]["awaitWork"]
}

/** The wake-ups of `queue`, with its subscriber connection in the current scope. */
export const make = (
  { keys: k, redis, run }: Queue,
  connection: RedisConnection.RedisConnection["Type"]
): Effect.Effect<WakeUps, QueueError, Scope.Scope> =>
  Effect.gen(function*() {
    const waiters = new Set<Waiter>()
    const wake = (runAt: number) => {
      for (const waiter of waiters) {
        if (!(runAt > waiter.until)) {
          waiters.delete(waiter)
          Deferred.unsafeDone(waiter.signal, Exit.void)
        }
      }
    }
    const subscriber = yield* connection.duplicate("wake")
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === k.wake) wake(Number(message))
    })
    // After a reconnection, messages published while the subscriber was away are lost: once the subscription is
    // active again (our own SUBSCRIBE is answered after ioredis's resubscription), every waiter looks again.
    subscriber.on("ready", () => {
      subscriber.subscribe(k.wake).then(() => wake(-Infinity), () => wake(-Infinity))
    })
    yield* Effect.tryPromise({
      try: () => subscriber.subscribe(k.wake),
      catch: queueError("RedisQueue.subscribe", connection.where)
    })

    // When the next item becomes claimable: the earliest run time or lease expiry (Infinity when empty).
    const nextWork = run("RedisQueue.awaitWork", () => redis.hookwireQueueNext(k.due, k.leases)).pipe(
      Effect.map(([due, lease]) =>
        Math.min(due === "" ? Infinity : Number(due), lease === "" ? Infinity : Number(lease))
      )
    )

    const awaitWork: WakeUps["awaitWork"] = ({ maxWaitMs, now }) =>
      Effect.suspend(() => {
        if (!(maxWaitMs > 0)) return Effect.void
        // Registered before asking Redis: a wake-up published after the answer is computed reaches this waiter.
        const waiter: Waiter = { until: now + maxWaitMs, signal: Deferred.unsafeMake<void>(FiberId.none) }
        waiters.add(waiter)
        return nextWork.pipe(
          Effect.flatMap((next) => {
            const wait = Math.min(maxWaitMs, next - now)
            if (!(wait > 0)) return Effect.void
            waiter.until = now + wait
            return DeliveryQueue.awaitSignal(waiter.signal, wait)
          }),
          Effect.ensuring(Effect.sync(() => waiters.delete(waiter)))
        )
      })

    return { wake, awaitWork }
  })
