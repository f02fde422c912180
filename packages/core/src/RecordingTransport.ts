/**
 * A `Transport` for tests: a handler decides each response (or `TransportError`), and every request is recorded
 * with the time it was sent. The handler may return an Effect, so a test can make a receiver slow with
 * `Effect.sleep` and drive it with `TestClock`; a handler slower than the request's `timeoutMs` fails with a
 * `"timeout"` TransportError, exactly like the HTTP transport. Tests that fork a dispatcher wait for traffic with
 * `awaitRequests(n)` instead of sleeping.
 *
 * ```ts
 * const test = Effect.gen(function*() {
 *   const recorder = yield* RecordingTransport.RecordingTransport
 *   yield* Effect.fork(dispatcher.run)
 *   yield* TestClock.adjust("5 seconds")
 *   const requests = yield* recorder.awaitRequests(2)
 * }).pipe(Effect.provide(RecordingTransport.layer((_, index) => index === 0 ? { status: 503 } : { status: 200 })))
 * ```
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { TransportError } from "./Errors.js"
import * as Utf8 from "./internal/utf8.js"
import { Transport, type TransportRequest, type TransportResponse } from "./Transport.js"

/**
 * One request as the transport received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest extends TransportRequest {
  /** 0-based position among all requests this transport received. */
  readonly index: number
  /** When it was sent (epoch ms, from `Clock`: `TestClock` time in tests). */
  readonly at: number
}

/**
 * What the handler answers: a response (`body` defaults to `""`, `headers` to none) or a `TransportError`.
 *
 * @since 0.1.0
 * @category models
 */
export type Reply =
  | {
    readonly status: number
    readonly body?: string | undefined
    readonly headers?: Readonly<Record<string, string>> | undefined
  }
  | TransportError

/**
 * Decides the reply to each request; `index` is the request's 0-based position. Returning an Effect lets the
 * receiver take time (`Effect.sleep`, driven by `TestClock`) or vary its answer with state.
 *
 * @since 0.1.0
 * @category models
 */
export type Handler = (
  request: TransportRequest,
  index: number
) => Reply | Effect.Effect<Reply, TransportError>

/**
 * @since 0.1.0
 * @category models
 */
export interface Recorder {
  /** The transport to provide as `Transport`. */
  readonly transport: Context.Tag.Service<Transport>
  /** Every request received so far, in order. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Waits (without using the clock) until at least `count` requests were received; returns them all. */
  readonly awaitRequests: (count: number) => Effect.Effect<ReadonlyArray<RecordedRequest>>
  /** Replaces the handler for the requests that follow (a receiver that recovers, or starts failing). */
  readonly setHandler: (handler: Handler) => Effect.Effect<void>
  /** Forgets the recorded requests; `awaitRequests` counts from zero again (indexes keep counting). */
  readonly clear: Effect.Effect<void>
}

/**
 * The recorder of the transport provided by `layer`.
 *
 * @since 0.1.0
 * @category tags
 */
export class RecordingTransport extends Context.Tag("@hookwire/core/RecordingTransport")<
  RecordingTransport,
  Recorder
>() {}

/**
 * Answers every request with `204 No Content`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const noContent: Handler = () => ({ status: 204 })

const lowerCase = (headers: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  if (headers !== undefined) { for (const name of Object.keys(headers)) out[name.toLowerCase()] = headers[name] }
  return out
}

const toResponse = (reply: Reply, request: TransportRequest): Effect.Effect<TransportResponse, TransportError> =>
  reply instanceof TransportError ? Effect.fail(reply) : Effect.succeed({
    status: reply.status,
    headers: lowerCase(reply.headers),
    // The same cut as the HTTP transport: at most maxResponseBytes of UTF-8.
    body: Utf8.cut(reply.body ?? "", request.maxResponseBytes)
  })

/**
 * Builds a recorder and its transport.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (handler: Handler = noContent): Effect.Effect<Recorder> =>
  Effect.map(SubscriptionRef.make(0), (count) => {
    // Appended in place (tests may send thousands of requests); `count` is what waiters subscribe to.
    let log: Array<RecordedRequest> = []
    let current = handler
    let next = 0
    const snapshot = Effect.sync((): ReadonlyArray<RecordedRequest> => log.slice())

    const timeout = (request: TransportRequest) =>
      new TransportError({ code: "timeout", message: `no complete response within ${request.timeoutMs} ms` })

    const send = (request: TransportRequest): Effect.Effect<TransportResponse, TransportError> =>
      Effect.flatMap(Clock.currentTimeMillis, (at) => {
        const index = next++
        log.push({ ...request, headers: { ...request.headers }, index, at })
        return Effect.zipRight(SubscriptionRef.set(count, log.length), Effect.suspend(() => reply(request, index)))
      })

    const reply = (request: TransportRequest, index: number): Effect.Effect<TransportResponse, TransportError> => {
      const answer = current(request, index)
      if (answer instanceof TransportError) return Effect.fail(answer)
      if (!Effect.isEffect(answer)) return toResponse(answer, request)
      return Effect.timeoutFail(Effect.flatMap(answer, (reply) => toResponse(reply, request)), {
        duration: request.timeoutMs,
        onTimeout: () => timeout(request)
      })
    }

    return {
      transport: { send },
      requests: snapshot,
      awaitRequests: (n) =>
        count.changes.pipe(
          Stream.filter((size) => size >= n),
          Stream.runHead,
          Effect.zipRight(snapshot)
        ),
      setHandler: (handler) => Effect.sync(() => void (current = handler)),
      clear: Effect.zipRight(Effect.sync(() => void (log = [])), SubscriptionRef.set(count, 0))
    }
  })

/**
 * Provides `Transport` and, to read what was sent, `RecordingTransport`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (handler: Handler = noContent): Layer.Layer<Transport | RecordingTransport> =>
  Layer.effectContext(
    Effect.map(make(handler), (recorder) =>
      Context.make(RecordingTransport, recorder).pipe(Context.add(Transport, recorder.transport)))
  )

/**
 * Every request the provided recording transport received so far.
 *
 * @since 0.1.0
 * @category combinators
 */
export const requests: Effect.Effect<ReadonlyArray<RecordedRequest>, never, RecordingTransport> = Effect.flatMap(
  RecordingTransport,
  (recorder) => recorder.requests
)

/**
 * Waits until the provided recording transport received at least `count` requests.
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitRequests = (
  count: number
): Effect.Effect<ReadonlyArray<RecordedRequest>, never, RecordingTransport> =>
  Effect.flatMap(RecordingTransport, (recorder) => recorder.awaitRequests(count))
