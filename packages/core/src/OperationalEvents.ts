/**
 * Operational events: what a host tells its own customers about their endpoints — an endpoint was disabled (and
 * why) or recovered, its circuit breaker opened or closed, a delivery finally failed or succeeded. Published on an Effect `PubSub` (subscribe, or consume
 * as a `Stream`) and, in the Promise API, to an `onEvent` callback. A slow subscriber never slows delivery: each
 * subscriber has a bounded sliding buffer.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * @since 0.1.0
 * @category models
 */
export type OperationalEvent =
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
 * @since 0.1.0
 * @category tags
 */
export class OperationalEvents extends Context.Tag("@hookwire/core/OperationalEvents")<OperationalEvents, {
  readonly publish: (event: OperationalEvent) => Effect.Effect<void>
  /** Several events at once, in order (the dispatcher publishes a written batch's events together). */
  readonly publishAll: (events: Iterable<OperationalEvent>) => Effect.Effect<void>
  /** A subscription for the lifetime of the scope. */
  readonly subscribe: Effect.Effect<Stream.Stream<OperationalEvent>, never, Scope.Scope>
  /** A subscription as a queue, for consumers that must drain what is left when they stop. */
  readonly subscribeQueue: Effect.Effect<Queue.Dequeue<OperationalEvent>, never, Scope.Scope>
}>() {}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly bufferSize?: number }): Layer.Layer<OperationalEvents> =>
  Layer.scoped(
    OperationalEvents,
    Effect.gen(function*() {
      const pubsub = yield* Effect.acquireRelease(
        PubSub.sliding<OperationalEvent>(options?.bufferSize ?? 1024),
        PubSub.shutdown
      )
      return {
        publish: (event) => Effect.asVoid(PubSub.publish(pubsub, event)),
        publishAll: (events) => Effect.asVoid(PubSub.publishAll(pubsub, events)),
        subscribe: Effect.map(PubSub.subscribe(pubsub), (dequeue) => Stream.fromQueue(dequeue)),
        subscribeQueue: PubSub.subscribe(pubsub)
      }
    })
  )

/**
 * The events as a Stream (subscribes when the stream starts).
 *
 * @since 0.1.0
 * @category combinators
 */
export const stream: Stream.Stream<OperationalEvent, never, OperationalEvents> = Stream.unwrapScoped(
  Effect.flatMap(OperationalEvents, (events) => events.subscribe)
)
