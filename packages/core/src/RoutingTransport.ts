/**
 * A transport that sends each request through the transport serving its URL's protocol: HTTP(S) through one (the
 * undici `HttpTransport` by default), `amqp:` through a RabbitMQ transport, `nats:` through a NATS one, … It lists
 * every routed kind in `destinations`, so the engine accepts endpoint URLs of exactly those protocols: destination
 * kinds are opt-in per engine. `@hookwire/brokers` builds one with its broker transports.
 *
 * @since 0.5.0
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { TransportError } from "./Errors.js"
import { type DestinationKind, Transport } from "./Transport.js"

type Service = Context.Tag.Service<Transport>

/**
 * A routed destination kind and the transport that sends to it.
 *
 * @since 0.5.0
 * @category models
 */
export interface Route {
  readonly kind: DestinationKind
  readonly transport: Service
}

/**
 * The routing transport: `http` for `http:` and `https:` URLs, each route's transport for its kind's protocols.
 *
 * @since 0.5.0
 * @category constructors
 */
export const make = (http: Service, routes: ReadonlyArray<Route>): Service => {
  const byProtocol = new Map<string, Service>()
  for (const { kind, transport } of routes) {
    for (const protocol of kind.protocols) {
      if (protocol === "http:" || protocol === "https:" || byProtocol.has(protocol)) {
        throw new Error(`RoutingTransport: protocol ${protocol} is routed twice`)
      }
      byProtocol.set(protocol, transport)
    }
  }
  const destinations = [...(http.destinations ?? []), ...routes.map((route) => route.kind)]
  return {
    destinations,
    send: (request) => {
      const colon = request.url.indexOf(":")
      const protocol = request.url.slice(0, colon + 1).toLowerCase()
      if (protocol === "https:" || protocol === "http:") return http.send(request)
      const transport = byProtocol.get(protocol)
      return transport !== undefined ? transport.send(request) : Effect.fail(
        new TransportError({
          code: "protocol",
          message: `no transport for ${protocol || "this URL"}: this engine sends to ${
            ["http:", "https:", ...byProtocol.keys()].join(", ")
          }`
        })
      )
    }
  }
}

/**
 * The routing transport as a layer, over the HTTP transport's layer and the routes' (each built in the layer's
 * scope, so its connections close with it).
 *
 * @since 0.5.0
 * @category layers
 */
export const layer = <E1, R1, E2, R2>(
  http: Layer.Layer<Transport, E1, R1>,
  routes: Effect.Effect<ReadonlyArray<Route>, E2, R2 | Scope.Scope>
): Layer.Layer<Transport, E1 | E2, R1 | Exclude<R2, Transport | Scope.Scope>> =>
  Layer.scoped(
    Transport,
    Effect.gen(function*() {
      const base = yield* Transport
      return make(base, yield* routes)
    })
  ).pipe(Layer.provide(http)) as Layer.Layer<Transport, E1 | E2, R1 | Exclude<R2, Transport | Scope.Scope>>
