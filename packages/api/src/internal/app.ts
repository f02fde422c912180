/**
 * The API's `HttpApp`, run for one request at a time and answered as the `HttpServerResponse` it made — no Web
 * `Response` in between, so each mount converts a request and its answer once: the Web handler makes one `Response`,
 * the `node:http`, Express and Fastify glue write the answer's bytes and headers to the host's own response. Built
 * like `HttpApiBuilder.toWebHandler` (the API's layer with the builder's router and middleware, once, at the first
 * request), handled like `HttpApp.toWebHandlerRuntime` and @effect/platform-node's `makeHandler` — through
 * `HttpApp.toHandled` when a tracer is installed, else with less per-request work (`untraced`).
 *
 * @internal
 */
import {
  type HttpApi,
  HttpApiBuilder,
  HttpApp,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import type { HttpRouter } from "@effect/platform"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { FastRoutes } from "./fastRoutes.js"

/** @internal */
export interface App {
  /**
   * The API's answer to one request (every failure is answered too: a problem document, or a 499 when the client
   * went away). `onAbort` is handed the function that interrupts the request's fiber, for the host's abort signal.
   */
  readonly run: (
    request: HttpServerRequest.HttpServerRequest,
    onAbort?: (interrupt: () => void) => void
  ) => Promise<HttpServerResponse.HttpServerResponse>
  /** Releases the app's runtime (its layer's resources). */
  readonly dispose: () => Promise<void>
}

type Run = App["run"]

/** Where a request's fiber finds the promise to settle with its response (the traced path, through toHandled). */
const respond = Symbol.for("@hookwire/api/internal/app/respond")

interface Pending {
  [respond]?: (response: HttpServerResponse.HttpServerResponse) => void
}

/** Effect's built-in tracer: it keeps spans in memory and exports them nowhere. */
const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** Whether anyone could see a request's span: tracing on, and a tracer other than Effect's built-in one. */
const isTraced = <R>(runtime: Runtime.Runtime<R>): boolean =>
  FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentTracerEnabled) &&
  Context.get(FiberRefs.getOrDefault(runtime.fiberRefs, DefaultServices.currentServices), Tracer.Tracer) !==
    builtInTracer

type Answer<R> = Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | HttpServerRequest.HttpServerRequest>

/**
 * The app, answered as `HttpApp.toHandled` answers it when its span would go nowhere: every failure as its response
 * (`causeResponse`: a 404 for no route, a 499 for a client gone; the guard has already made every other failure a
 * problem document), the pre-response handlers applied, all in one uninterruptible region (the router makes the
 * handler itself interruptible). What toHandled adds per request and this API does not use: a Scope (for multipart
 * bodies and streamed answers: no route takes or gives one) and the tracer middleware's `http.server` span. About a
 * fifth of the CPU of a request through the HttpApi stack, measured on `GET /session`.
 */
const untraced = <R>(app: HttpApp.Default<never, R>): Answer<R> =>
  Effect.uninterruptible(
    Effect.flatMap(
      Effect.catchAllCause(app, (cause) => Effect.map(HttpServerError.causeResponse(cause), ([response]) => response)),
      (response) =>
        Effect.withFiberRuntime((fiber) => {
          const handler = fiber.getFiberRef(HttpApp.currentPreResponseHandlers)
          if (handler._tag === "None") return Effect.succeed(response)
          const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
          return Effect.catchAllCause(
            handler.value(request, response),
            (cause) => Effect.map(HttpServerError.causeResponse(cause), ([failed]) => failed)
          )
        })
    )
  )

/** The answer to a request whose fiber failed after all (a defect in the answer itself): a bare 500. */
const failed = (cause: Cause.Cause<unknown>): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.empty({ status: Cause.isInterruptedOnly(cause) ? 499 : 500 })

/** @internal */
export const make = (
  layer: Layer.Layer<HttpApi.Api | HttpRouter.HttpRouter.DefaultServices | FastRoutes, unknown>
): App => {
  const scope = Effect.runSync(Scope.make())
  const build = Effect.gen(function*() {
    const runtime = yield* Layer.toRuntime(
      Layer.mergeAll(layer, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer)
    )
    const app = yield* Effect.provide(HttpApiBuilder.httpApp, runtime)
    // The request joins the fiber's context as it is forked: no `provideService` step (a fiber-ref swap in an
    // acquire/use/release region) on every request.
    const fork = <A>(
      effect: Effect.Effect<A, never, Runtime.Runtime.Context<typeof runtime> | HttpServerRequest.HttpServerRequest>,
      request: HttpServerRequest.HttpServerRequest
    ) =>
      Runtime.runFork(
        Runtime.make({
          context: Context.add(runtime.context, HttpServerRequest.HttpServerRequest, request),
          fiberRefs: runtime.fiberRefs,
          runtimeFlags: runtime.runtimeFlags
        }),
        effect
      )
    const interruptOn = (
      fiber: { unsafeInterruptAsFork: (id: FiberId.FiberId) => void },
      onAbort: ((interrupt: () => void) => void) | undefined
    ) => onAbort?.(() => fiber.unsafeInterruptAsFork(HttpServerError.clientAbortFiberId))
    if (!isTraced(runtime)) {
      const answer = untraced(app)
      const fast = Context.get(runtime.context, FastRoutes)
      const run: Run = (request, onAbort) =>
        new Promise((resolve) => {
          const routed = fast.route(request)
          // Interruptible as the platform router makes a route's handler (a client gone interrupts its query).
          const fiber = fork(routed === undefined ? answer : untraced(Effect.interruptible(routed)), request)
          fiber.addObserver((exit) => resolve(exit._tag === "Success" ? exit.value : failed(exit.cause)))
          interruptOn(fiber, onAbort)
        })
      return run
    }
    // With a tracer installed: the platform's own handling, span included (and the host's tracerDisabledWhen), for
    // every route.
    const handled = HttpApp.toHandled(app, (request, response) =>
      Effect.sync(() => {
        const pending = request as Pending
        pending[respond]?.(response)
        delete pending[respond]
      }))
    const run: Run = (request, onAbort) =>
      new Promise((resolve) => {
        ;(request as Pending)[respond] = resolve
        interruptOn(fork(handled, request), onAbort)
      })
    return run
  })
  let ready: Run | undefined
  let building: Promise<Run> | undefined
  return {
    run: (request, onAbort) => {
      if (ready !== undefined) return ready(request, onAbort)
      building ??= Effect.runPromise(Scope.extend(build, scope)).then((run) => (ready = run))
      return building.then((run) => run(request, onAbort))
    },
    dispose: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
