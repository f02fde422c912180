import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as AddressGuard from "../src/AddressGuard.js"
import * as RecordingTransport from "../src/RecordingTransport.js"
import * as RoutingTransport from "../src/RoutingTransport.js"
import type { DestinationKind, TransportRequest } from "../src/Transport.js"

const request = (url: string): TransportRequest => ({
  url,
  headers: {},
  body: "{}",
  timeoutMs: 1_000,
  maxResponseBytes: 1_024
})
const kind: DestinationKind = { name: "Test queue", protocols: ["tq:"], check: () => undefined }

describe("RoutingTransport", () => {
  it.effect("sends each request through the transport of its URL's protocol, and lists the routed kinds", () =>
    Effect.gen(function*() {
      const http = (yield* RecordingTransport.make((req) => ({ status: 200, body: `http ${req.url}` }))).transport
      const queue = (yield* RecordingTransport.make((req) => ({ status: 202, body: `queue ${req.url}` }))).transport
      const routing = RoutingTransport.make(http, [{ kind, transport: queue }])
      expect(routing.destinations).toStrictEqual([kind])
      expect((yield* routing.send(request("https://r.example/h"))).body).toBe("http https://r.example/h")
      expect((yield* routing.send(request("TQ://broker/x"))).status).toBe(202)
      const error = yield* Effect.flip(routing.send(request("ftp://x/")))
      expect(error).toMatchObject({ _tag: "TransportError", code: "protocol" })
      expect(error.message).toMatch(/no transport for ftp:: this engine sends to http:, https:, tq:/)
      expect(() => RoutingTransport.make(http, [{ kind, transport: queue }, { kind, transport: queue }])).toThrow(
        /routed twice/
      )
    }).pipe(Effect.scoped))
})

describe("AddressGuard", () => {
  it.effect("refuses non-public addresses unless allowed, and resolves names to the address it checked", () =>
    Effect.gen(function*() {
      const strict = AddressGuard.make()
      expect(strict.refuse("127.0.0.1")).toBe("loopback")
      expect(strict.refuse("169.254.169.254")).toBe("link-local")
      expect(strict.refuse("8.8.8.8")).toBeUndefined()
      expect(AddressGuard.make({ allowCidrs: ["127.0.0.0/8"] }).refuse("127.0.0.1")).toBeUndefined()
      expect(AddressGuard.make({ allowPrivateNetworks: true }).refuse("10.0.0.1")).toBeUndefined()
      expect(() => AddressGuard.make({ allowCidrs: ["nope"] })).toThrow(/not a CIDR/)
      const blocked = yield* Effect.flip(AddressGuard.resolve(strict, "localhost"))
      expect(blocked).toMatchObject({ _tag: "TransportError", code: "blocked" })
      expect(yield* AddressGuard.resolve(AddressGuard.make({ allowCidrs: ["127.0.0.1"] }), "127.0.0.1")).toBe(
        "127.0.0.1"
      )
      const unknown = yield* Effect.flip(AddressGuard.resolve(strict, "no-such-host.invalid"))
      expect(unknown).toMatchObject({ code: "dns" })
    }))
})
