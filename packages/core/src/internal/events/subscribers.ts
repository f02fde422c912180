/**
 * The operational events' fan-out to subscribers, with two buffers per subscriber: `delivery.succeeded` — one per
 * delivery, thousands a second — goes to a bounded sliding buffer (a slow subscriber loses the oldest of those),
 * every other event (an endpoint disabled, recovered, a circuit opened or closed, a delivery that failed for good)
 * to an unbounded one that is never dropped and is taken first. So a slow `onEvent` can lose successes, never the
 * rare event a host must act on. The buffers are plain arrays and a wake-up signal: a take that is interrupted
 * loses nothing (the event stays in its buffer until a take removes it, synchronously).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type { OperationalEvent, Subscription } from "../../OperationalEvents.js"

/** Events that may be dropped when a subscriber falls behind. */
const frequent = (event: OperationalEvent): boolean => event.type === "delivery.succeeded"

interface Subscriber {
  readonly rare: Array<OperationalEvent>
  readonly frequent: Array<OperationalEvent>
  waiter: Deferred.Deferred<void> | undefined
}

export interface Hub {
  readonly publishAll: (events: Iterable<OperationalEvent>) => void
  /** A subscription until the returned effect's scope closes. */
  readonly subscribe: () => { readonly subscription: Subscription; readonly unsubscribe: () => void }
  /** Ends every subscription: waiting takes are interrupted, what is buffered can still be taken. */
  readonly close: () => void
}

export const make = (bufferSize: number): Hub => {
  const subscribers = new Set<Subscriber>()
  let closed = false

  const wake = (subscriber: Subscriber) => {
    const waiter = subscriber.waiter
    if (waiter === undefined) return
    subscriber.waiter = undefined
    Deferred.unsafeDone(waiter, Effect.void)
  }

  const next = (subscriber: Subscriber): OperationalEvent | undefined =>
    subscriber.rare.length > 0 ? subscriber.rare.shift() : subscriber.frequent.shift()

  const take = (subscriber: Subscriber): Effect.Effect<OperationalEvent> =>
    Effect.suspend(() => {
      const event = next(subscriber)
      if (event !== undefined) return Effect.succeed(event)
      if (closed || !subscribers.has(subscriber)) return Effect.interrupt
      const waiter = subscriber.waiter ?? Deferred.unsafeMake<void>(FiberId.none)
      subscriber.waiter = waiter
      return Effect.zipRight(Deferred.await(waiter), take(subscriber))
    })

  return {
    publishAll: (events) => {
      if (closed) return
      for (const event of events) {
        for (const subscriber of subscribers) {
          if (frequent(event)) {
            subscriber.frequent.push(event)
            if (subscriber.frequent.length > bufferSize) subscriber.frequent.shift()
          } else {
            subscriber.rare.push(event)
          }
        }
      }
      for (const subscriber of subscribers) wake(subscriber)
    },
    subscribe: () => {
      const subscriber: Subscriber = { rare: [], frequent: [], waiter: undefined }
      subscribers.add(subscriber)
      return {
        subscription: {
          take: take(subscriber),
          takeAll: Effect.sync(() => subscriber.rare.splice(0).concat(subscriber.frequent.splice(0)))
        },
        unsubscribe: () => {
          subscribers.delete(subscriber)
          wake(subscriber)
        }
      }
    },
    close: () => {
      closed = true
      for (const subscriber of subscribers) wake(subscriber)
    }
  }
}
