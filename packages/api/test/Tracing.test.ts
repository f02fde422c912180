/**
 * Each request's `http.server` span (the platform's tracer middleware) is made when a tracer is installed in the
 * engine's layer, with the route and status on it — the API turns the span off only while Effect's built-in tracer,
 * which exports nothing, is the one in place (internal/app.ts).
 */
import { Catalog, Hookwire, RecordingTransport } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tracer from "effect/Tracer"
import { describe, expect, it } from "vitest"
import * as AccessToken from "../src/AccessToken.js"
import * as Mount from "../src/Mount.js"

const engine = Hookwire.layer({
  catalog: Catalog.make({ "invoice.paid": {} }),
  transport: RecordingTransport.layer(() => ({ status: 204 }))
}).pipe(Layer.provideMerge(memory().layer))

/** A tracer that remembers the spans it ended, over the built-in one's spans. */
const recording = () => {
  const ended: Array<{ name: string; attributes: ReadonlyMap<string, unknown> }> = []
  const builtIn = Effect.runSync(Effect.tracer)
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = builtIn.span(name, parent, context, links, startTime, kind, options)
      const end = span.end.bind(span)
      span.end = (endTime, exit) => {
        end(endTime, exit)
        ended.push({ name, attributes: span.attributes })
      }
      return span
    },
    context: (f) => f()
  })
  return { tracer, ended }
}

describe("tracing", () => {
  it("with a tracer installed, every request has its http.server span", async () => {
    const { ended, tracer } = recording()
    const tokens = AccessToken.make({ keys: "t".repeat(40) })
    const mounted = Mount.make(Layer.merge(engine, Layer.setTracer(tracer)), { tokens })
    try {
      const token = tokens.create({ tenant: "acme", scope: "read", ttl: "1 hour" })
      const response = await mounted.handler(
        new Request("http://host/endpoints", { headers: { authorization: `Bearer ${token}` } })
      )
      expect(response.status).toBe(200)
      const server = ended.filter((span) => span.name === "http.server GET")
      expect(server).toHaveLength(1)
      expect(server[0].attributes.get("http.route")).toBe("/endpoints")
      expect(server[0].attributes.get("http.response.status_code")).toBe(200)
    } finally {
      await mounted.dispose()
    }
  })
})
