/**
 * Operational events: what a host tells its own customers about their endpoints — an endpoint was created, updated or
 * deleted, disabled (and why) or recovered, its circuit breaker opened or closed, a delivery finally failed or
 * succeeded. To have them delivered durably as webhooks to endpoints of your own, see `OperationalWebhooks`. Subscribe to them
 * as a `Stream` or a `Subscription`; the Promise API hands them to an `onEvent` callback. A slow subscriber never
 * slows delivery, and never loses a rare event: `delivery.succeeded` (one per delivery) goes to a bounded sliding
 * buffer per subscriber, every other event to one that is never dropped and is taken first.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { invalidOption, type StorageError, type ValidationError } from "./Errors.js"
import * as subscribers from "./internal/events/subscribers.js"
import type { SyncableWrite } from "./Storage.js"

/**
 * @since 0.1.0
 * @category models
 */
export type OperationalEvent =
  | {
    readonly type: "endpoint.created" | "endpoint.updated" | "endpoint.deleted"
    readonly tenant: string
    readonly endpointId: string
    readonly at: Date
  }
  | {
    readonly type: "endpoint.disabled"
    readonly tenant: string
    readonly endpointId: string
    readonly reason: string
    readonly at: Date
  }
  | {
    readonly type: "endpoint.recovered"
    readonly tenant: string
    readonly endpointId: string
    /** "enabled": re-enabled by the host; "succeeded": a failing endpoint answered 2xx again. */
    readonly reason: "enabled" | "succeeded"
    readonly at: Date
  }
  | {
    readonly type: "endpoint.circuit_opened"
    readonly tenant: string
    readonly endpointId: string
    readonly reason: string
    /** When a probe will be sent. */
    readonly retryAt: Date
    readonly at: Date
  }
  | {
    readonly type: "endpoint.circuit_closed"
    readonly tenant: string
    readonly endpointId: string
    readonly at: Date
  }
  | {
    readonly type: "delivery.succeeded"
    readonly tenant: string
    readonly deliveryId: string
    readonly messageId: string
    readonly endpointId: string
    readonly attempts: number
    readonly at: Date
  }
  | {
    readonly type: "delivery.failed"
    readonly tenant: string
    readonly deliveryId: string
    readonly messageId: string
    readonly endpointId: string
    readonly attempts: number
    readonly reason: string
    readonly at: Date
  }

/**
 * One subscriber's events, to take from (`subscribeQueue`).
 *
 * @since 0.3.0
 * @category models
 */
export interface Subscription {
  /** The next event, waiting for one: rare events before `delivery.succeeded` ones. Interrupted once closed. */
  readonly take: Effect.Effect<OperationalEvent>
  /** Every event waiting now, rare ones first. */
  readonly takeAll: Effect.Effect<ReadonlyArray<OperationalEvent>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class OperationalEvents extends Context.Tag("@hookwire/core/OperationalEvents")<OperationalEvents, {
  readonly publish: (event: OperationalEvent) => Effect.Effect<void>
  /** Several events at once, in order (the dispatcher publishes a written batch's events together). */
  readonly publishAll: SyncableWrite<Iterable<OperationalEvent>, never>
  /** A subscription for the lifetime of the scope. */
  readonly subscribe: Effect.Effect<Stream.Stream<OperationalEvent>, never, Scope.Scope>
  /**
   * A subscription to take from, for consumers that must drain what is left when they stop. Rare events (all but
   * `delivery.succeeded`) are never dropped and come first; `delivery.succeeded` ones are kept in a sliding buffer of
   * `bufferSize` per subscriber.
   */
  readonly subscribeQueue: Effect.Effect<Subscription, never, Scope.Scope>
  /**
   * Writes the durable record of an event with the recorder installed by `recordWith` (none: nothing to do). The
   * engine calls it inside the storage transaction of the change the event reports (`Storage.transaction`), so a
   * failing recorder rolls the change back.
   */
  readonly record: (event: OperationalEvent) => Effect.Effect<void, StorageError>
  /** Installs the recorder `record` runs, for the lifetime of the scope (`OperationalWebhooks` installs its own). */
  readonly recordWith: (
    recorder: (event: OperationalEvent) => Effect.Effect<void, StorageError>
  ) => Effect.Effect<void, never, Scope.Scope>
}>() {}

/** `delivery.succeeded` events kept per subscriber when `bufferSize` is not given. */
const defaultBufferSize = 1024

/** The option checked: a whole number of at least 1 (0 would drop every `delivery.succeeded`, NaN keep them all). */
const bufferSizeOf = (bufferSize: number | undefined): Effect.Effect<number, ValidationError> =>
  bufferSize === undefined
    ? Effect.succeed(defaultBufferSize)
    : Number.isSafeInteger(bufferSize) && bufferSize >= 1
    ? Effect.succeed(bufferSize)
    : Effect.fail(invalidOption(
      "bufferSize",
      `OperationalEvents: bufferSize must be a whole number of at least 1 (default ${defaultBufferSize}); got ${
        String(bufferSize)
      }`
    ))

/**
 * The events service. `bufferSize` (default 1024) is how many `delivery.succeeded` events each subscriber keeps
 * while it is behind; a bad one fails the layer with a `ValidationError` (`invalid_option`, field `bufferSize`).
 * Without options the layer cannot fail.
 *
 * @since 0.1.0
 * @category layers
 */
export function layer(): Layer.Layer<OperationalEvents>
export function layer(
  options: { readonly bufferSize?: number | undefined } | undefined
): Layer.Layer<OperationalEvents, ValidationError>
export function layer(
  options?: { readonly bufferSize?: number | undefined }
): Layer.Layer<OperationalEvents, ValidationError> {
  return Layer.scoped(
    OperationalEvents,
    Effect.gen(function*() {
      const bufferSize = yield* bufferSizeOf(options?.bufferSize)
      const hub = yield* Effect.acquireRelease(
        Effect.sync(() => subscribers.make(bufferSize)),
        (hub) => Effect.sync(hub.close)
      )
      const subscribeQueue = Effect.map(
        Effect.acquireRelease(Effect.sync(hub.subscribe), (s) => Effect.sync(s.unsubscribe)),
        (s) => s.subscription
      )
      let recorder: ((event: OperationalEvent) => Effect.Effect<void, StorageError>) | undefined
      return {
        record: (event) => Effect.suspend(() => recorder === undefined ? Effect.void : recorder(event)),
        recordWith: (next) =>
          Effect.acquireRelease(
            Effect.sync(() => {
              recorder = next
            }),
            () =>
              Effect.sync(() => {
                if (recorder === next) recorder = undefined
              })
          ),
        publish: (event) => Effect.sync(() => hub.publishAll([event])),
        publishAll: Object.assign((events: Iterable<OperationalEvent>) => Effect.sync(() => hub.publishAll(events)), {
          unsafeSync: hub.publishAll
        }),
        // The stream ends (rather than being interrupted) when the service closes.
        subscribe: Effect.map(subscribeQueue, (subscription) =>
          Stream.repeatEffectOption(
            Effect.catchAllCause(subscription.take, () => Effect.fail(Option.none()))
          )),
        subscribeQueue
      }
    })
  )
}

/**
 * The events as a Stream (subscribes when the stream starts).
 *
 * @since 0.1.0
 * @category combinators
 */
export const stream: Stream.Stream<OperationalEvent, never, OperationalEvents> = Stream.unwrapScoped(
  Effect.flatMap(OperationalEvents, (events) => events.subscribe)
)
