/** An engine on the memory adapter with a local receiver (127.0.0.1, port 0) and the given telemetry. */
import { Catalog, createHookwire, type Hookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { servers } from "@hookwire/testing/http"
import { waitFor } from "@hookwire/testing/services"
import { Schema } from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"

export { waitFor }

export const catalog = Catalog.make({ "invoice.paid": Schema.Struct({ id: Schema.String }) })

export const engine = async (
  telemetry: Hookwire.TelemetryOption,
  answer: (request: IncomingMessage, response: ServerResponse) => void = (_, response) => response.end()
) => {
  const http = servers()
  const url = await http.listen((request, response) => {
    request.resume()
    request.on("end", () => answer(request, response))
  })
  const succeeded: Array<string> = []
  const hookwire = createHookwire({
    adapter: memory(),
    catalog,
    allowHttp: true,
    http: { allowCidrs: ["127.0.0.1/32"] },
    logger: false,
    onEvent: (event) => {
      if (event.type === "delivery.succeeded") succeeded.push(event.deliveryId)
    },
    telemetry
  })
  return {
    hookwire,
    url,
    succeeded,
    close: async () => {
      await hookwire.close()
      await http.closeAll()
    }
  }
}
