/**
 * The engine's transport with broker destinations: HTTP(S) endpoints through the undici `HttpTransport` (or the
 * transport you give), `amqp://` / `amqps://` endpoints through `AmqpTransport`, `nats://` through `NatsTransport` —
 * each kind only when named (destination kinds are opt-in per engine: an engine without `nats` refuses `nats://`
 * endpoint URLs at create). Pass it as the engine's `transport`.
 *
 * @since 0.5.0
 */
import type { ValidationError } from "@hookwire/core/Errors"
import * as HttpTransport from "@hookwire/core/HttpTransport"
import * as RoutingTransport from "@hookwire/core/RoutingTransport"
import type { Transport } from "@hookwire/core/Transport"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as AmqpTransport from "./AmqpTransport.js"
import * as NatsTransport from "./NatsTransport.js"

/**
 * @since 0.5.0
 * @category models
 */
export interface Options {
  /** RabbitMQ destinations (`amqp:`, `amqps:`): `true` or the transport's options; absent = refused. */
  readonly amqp?: AmqpTransport.Options | true | undefined
  /** NATS JetStream destinations (`nats:`): `true` or the transport's options; absent = refused. */
  readonly nats?: NatsTransport.Options | true | undefined
  /** The HTTP transport's options (ignored when `http` is given as a layer). */
  readonly httpOptions?: HttpTransport.Options | undefined
  /** Replace the HTTP transport (tests use `RecordingTransport.layer()`). */
  readonly http?: Layer.Layer<Transport> | undefined
}

/**
 * The routing transport over HTTP and the named broker kinds. Bad `httpOptions` fail it with a `ValidationError`.
 *
 * @since 0.5.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Transport, ValidationError> =>
  RoutingTransport.layer(
    options.http ?? HttpTransport.layer(options.httpOptions),
    Effect.gen(function*() {
      const routes: Array<RoutingTransport.Route> = []
      if (options.amqp !== undefined) {
        const transport = yield* AmqpTransport.make(options.amqp === true ? {} : options.amqp)
        routes.push({ kind: AmqpTransport.kind, transport })
      }
      if (options.nats !== undefined) {
        const transport = yield* NatsTransport.make(options.nats === true ? {} : options.nats)
        routes.push({ kind: NatsTransport.kind, transport })
      }
      return routes
    })
  )
