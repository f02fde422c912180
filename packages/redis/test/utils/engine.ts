/**
 * The sending engine for the tests and the worker script: a catalog, settings, and Webhooks over an adapter layer.
 */
import * as Catalog from "@hookwire/core/Catalog"
import * as OperationalEvents from "@hookwire/core/OperationalEvents"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import * as RetryPolicy from "@hookwire/core/RetryPolicy"
import * as Settings from "@hookwire/core/Settings"
import type { Transport } from "@hookwire/core/Transport"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"

export const catalog = Catalog.make({
  "order.created": {
    description: "An order was created",
    schema: Schema.Struct({ orderId: Schema.String })
  }
})

export const settings = (): Settings.Options => ({
  catalog,
  allowHttp: true,
  retryPolicy: RetryPolicy.fixed(["200 millis", "500 millis", "1 second"])
})

/** Tests assert on outcomes; the engine's warnings (http endpoints, no master key) would only bury the report. */
export const quiet = Logger.minimumLogLevel(LogLevel.Error)

/** Webhooks + Settings + OperationalEvents + a transport (recording by default) over the given adapter layer. */
export const webhooks = <E, R, ROut>(
  adapter: Layer.Layer<ROut, E, R>,
  transport: Layer.Layer<Transport | RecordingTransport.RecordingTransport, unknown> = RecordingTransport.layer()
) =>
  Webhooks.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Settings.layer(settings()), OperationalEvents.layer(), transport)),
    Layer.provideMerge(adapter)
  )
