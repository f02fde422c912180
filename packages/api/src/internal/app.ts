/**
 * The API's `HttpApp`, run for one request at a time and answered as the `HttpServerResponse` it made — no Web
 * `Response` in between, so each mount converts a request and its answer once: the Web handler makes one `Response`,
 * the `node:http`, Express and Fastify glue write the answer's bytes and headers to the host's own response. Built
 * like `HttpApiBuilder.toWebHandler` (the API's layer with the builder's router and middleware, once, at the first
 * request), handled like `HttpApp.toWebHandlerRuntime` and @effect/platform-node's `makeHandler`.
 *
 * @internal
 */
import {
  type HttpApi,
  HttpApiBuilder,
  HttpApp,
  HttpMiddleware,
  HttpServerError,
  HttpServerRequest
} from "@effect/platform"
import type { HttpRouter, HttpServerResponse } from "@effect/platform"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import { constTrue } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"

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

/** Where a request's fiber finds the promise to settle with its response. */
const respond = Symbol.for("@hookwire/api/internal/app/respond")

interface Pending {
  [respond]?: (response: HttpServerResponse.HttpServerResponse) => void
}

/** Effect's built-in tracer: it keeps spans in memory and exports them nowhere. */
const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * The runtime with the platform's per-request `http.server` span turned off (`HttpMiddleware.currentTracerDisabledWhen`)
 * when nobody could see it: tracing disabled, or Effect's built-in tracer. With a tracer installed (e.g.
 * `@effect/opentelemetry` in the engine's layer) every request keeps its span, and the host's own predicate.
 */
const withoutIdleSpans = <R>(runtime: Runtime.Runtime<R>): Runtime.Runtime<R> => {
  const services = FiberRefs.getOrDefault(runtime.fiberRefs, DefaultServices.currentServices)
  const idle = !FiberRefs.getOrDefault(runtime.fiberRefs, FiberRef.currentTracerEnabled) ||
    Context.get(services, Tracer.Tracer) === builtInTracer
  return idle ? Runtime.setFiberRef(runtime, HttpMiddleware.currentTracerDisabledWhen, constTrue) : runtime
}

/** @internal */
export const make = (
  layer: Layer.Layer<HttpApi.Api | HttpRouter.HttpRouter.DefaultServices, unknown>
): App => {
  const scope = Effect.runSync(Scope.make())
  const build = Effect.gen(function*() {
    const runtime = yield* Layer.toRuntime(
      Layer.mergeAll(layer, HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer)
    )
    const app = yield* Effect.provide(HttpApiBuilder.httpApp, withoutIdleSpans(runtime))
    const handled = HttpApp.toHandled(app, (request, response) =>
      Effect.sync(() => {
        const pending = request as Pending
        pending[respond]?.(response)
        delete pending[respond]
      }))
    const fork = Runtime.runFork(withoutIdleSpans(runtime))
    const run: Run = (request, onAbort) =>
      new Promise((resolve) => {
        ;(request as Pending)[respond] = resolve
        const fiber = fork(Effect.provideService(handled, HttpServerRequest.HttpServerRequest, request))
        onAbort?.(() => fiber.unsafeInterruptAsFork(HttpServerError.clientAbortFiberId))
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
