/**
 * A plain router in front of HttpApi for the two read routes a portal polls hardest: a page of deliveries
 * (`GET /deliveries`) and an endpoint's statistics (`GET /endpoints/{id}/stats`). They are answered by the same
 * handlers as HttpApi's (internal/handlers.ts `hotReads`), after the same authentication and with the same problem
 * documents (Server's guard), the query decoded by the route's own Schema from the platform router's own parse of the
 * query string (find-my-way-ts). What a request then skips: the router's lookup and its copy of the fiber's context,
 * the middleware chain with its two fiber-ref swaps (route context, `CurrentCaller`) and the effectful Schema decode.
 * A request it does not recognise exactly (another method or path, a percent-encoded or over-long id) goes to HttpApi
 * as before; test/FastRoutes.test.ts checks that both answer byte for byte alike, failures included.
 *
 * @internal
 */
import { HttpApiError, type HttpServerRequest, type HttpServerResponse } from "@effect/platform"
import * as Webhooks from "@hookwire/core/Webhooks"
import type * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as QueryString from "find-my-way-ts/QueryString"
import type * as AccessToken from "../AccessToken.js"
import { DeliveryListQuery } from "../Api.js"
import { hotReads } from "./handlers.js"

type Answer<E> = Effect.Effect<HttpServerResponse.HttpServerResponse, E>

/** @internal */
export class FastRoutes extends Context.Tag("@hookwire/api/internal/FastRoutes")<FastRoutes, {
  /** The request's answer, or undefined when HttpApi answers it. */
  readonly route: (request: HttpServerRequest.HttpServerRequest) => Answer<never> | undefined
}>() {}

/** What the guard does around every route (Server.ts): the caller of a request, and every failure as its answer. */
export interface Guard {
  readonly authenticate: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<AccessToken.Caller, unknown>
  readonly toResponse: (cause: Cause.Cause<unknown>) => Answer<never>
}

/** An id the platform router takes as it is: no percent-decoding, at most its 100 characters of a path parameter. */
const STATS = /^\/endpoints\/([0-9A-Za-z_-]{1,100})\/stats$/

/** @internal */
export const layer = (guard: Guard): Layer.Layer<FastRoutes, never, Webhooks.Webhooks> =>
  Layer.effect(
    FastRoutes,
    Effect.map(Webhooks.Webhooks, (w) => {
      const reads = hotReads(w)
      const decodeQuery = Schema.decodeUnknownEither(DeliveryListQuery)
      const serve = (
        request: HttpServerRequest.HttpServerRequest,
        read: (caller: AccessToken.Caller) => Answer<unknown>
      ): Answer<never> => Effect.catchAllCause(Effect.flatMap(guard.authenticate(request), read), guard.toResponse)
      return {
        route: (request) => {
          // Read routes only: the guard's scope check and Idempotency-Key concern other methods.
          if (request.method !== "GET") return undefined
          const url = request.url
          const search = url.indexOf("?")
          const path = search === -1 ? url : url.slice(0, search)
          if (path === "/deliveries") {
            const query = QueryString.parse(search === -1 ? "" : url.slice(search + 1))
            return serve(request, (caller) => {
              const decoded = decodeQuery(query)
              return Either.isRight(decoded)
                ? reads.deliveries(caller.tenant, decoded.right)
                : HttpApiError.HttpApiDecodeError.refailParseError(decoded.left)
            })
          }
          const stats = STATS.exec(path)
          return stats === null ? undefined : serve(request, (caller) => reads.stats(caller.tenant, stats[1]!))
        }
      }
    })
  )
