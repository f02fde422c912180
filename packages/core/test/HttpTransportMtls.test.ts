/**
 * Mutual TLS against a real receiver on loopback that requires client certificates (a throwaway PKI made with the
 * openssl CLI): the endpoint's certificate is presented, a missing or untrusted one is a `tls_handshake` error, and
 * an endpoint's own CA replaces the public roots.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Pki from "@hookwire/testing/pki"
import * as Effect from "effect/Effect"
import type { Scope } from "effect/Scope"
import * as Https from "node:https"
import type * as Net from "node:net"
import type * as Tls from "node:tls"
import * as HttpTransport from "../src/HttpTransport.js"
import type { TransportRequest, TransportTls } from "../src/Transport.js"

if (!Pki.hasOpenssl) console.warn("HttpTransport mTLS tests SKIPPED: the openssl CLI is not installed")

const post = (url: string, tls: TransportTls | undefined): TransportRequest => ({
  url,
  headers: { "content-type": "application/json" },
  body: "{}",
  timeoutMs: 5_000,
  maxResponseBytes: 16 * 1024,
  tls
})

describe.skipIf(!Pki.hasOpenssl)("HttpTransport: mutual TLS", () => {
  const pki = Pki.hasOpenssl ? Pki.make() : undefined!

  /** A receiver that requires a client certificate from the client CA and answers with its subject. */
  const receiver: Effect.Effect<number, never, Scope> = Effect.acquireRelease(
    Effect.async<readonly [Https.Server, number]>((resume) => {
      const server = Https.createServer(
        { ...pki.server, ca: pki.clientCa, requestCert: true, rejectUnauthorized: true },
        (req, res) => res.end(`client=${(req.socket as Tls.TLSSocket).getPeerCertificate().subject.CN}`)
      )
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed([server, (server.address() as Net.AddressInfo).port])))
    }),
    ([server]) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(([, port]) => port))

  const loopback = { allowCidrs: ["127.0.0.1/32"] } as const

  it.scopedLive("presents the endpoint's client certificate; its CA verifies the receiver", () =>
    Effect.gen(function*() {
      const port = yield* receiver
      const transport = yield* HttpTransport.make(loopback)
      const tls = { id: "ep_1", ...pki.client, ca: pki.serverCa }
      expect((yield* transport.send(post(`https://localhost:${port}/`, tls))).body).toBe("client=hookwire-sender")
      // Another identity to the same origin gets its own connections. (Node's own `rejectUnauthorized` drops an
      // untrusted certificate's connection without a TLS alert, so this receiver's refusal reads as a closed
      // connection; receivers that send the alert, as OpenSSL-based servers do, give `tls_handshake`.)
      const rogue = { id: "ep_2", ...pki.rogue, ca: pki.serverCa }
      const refused = yield* Effect.flip(transport.send(post(`https://localhost:${port}/`, rogue)))
      expect(["connect", "tls_handshake"]).toContain(refused.code)
      expect((yield* transport.send(post(`https://localhost:${port}/`, tls))).body).toBe("client=hookwire-sender")
    }))

  it.scopedLive("without a client certificate the receiver's refusal is a tls_handshake error", () =>
    Effect.gen(function*() {
      const port = yield* receiver
      const transport = yield* HttpTransport.make({ ...loopback, ca: pki.serverCa })
      const error = yield* Effect.flip(transport.send(post(`https://localhost:${port}/`, undefined)))
      expect(error.code).toBe("tls_handshake")
      expect(error.message).toBe("the receiver refused the TLS handshake (alert: certificate required)")
      const caOnly = yield* Effect.flip(
        transport.send(
          post(`https://localhost:${port}/`, { id: "ca", cert: undefined, key: undefined, ca: pki.serverCa })
        )
      )
      expect(caOnly.code).toBe("tls_handshake")
    }))

  it.scopedLive("an endpoint's CA replaces the other trusted roots; unusable material is a tls error", () =>
    Effect.gen(function*() {
      const port = yield* receiver
      // The engine trusts the server CA, but the endpoint pins another one: the receiver is not trusted.
      const transport = yield* HttpTransport.make({ ...loopback, ca: pki.serverCa })
      const pinned = yield* Effect.flip(
        transport.send(post(`https://localhost:${port}/`, { id: "pin", ...pki.client, ca: pki.rogueCa }))
      )
      expect(pinned.code).toBe("tls")
      const mismatched = yield* Effect.flip(
        transport.send(
          post(`https://localhost:${port}/`, { id: "bad", cert: pki.client.cert, key: pki.rogue.key, ca: undefined })
        )
      )
      expect(mismatched.code).toBe("tls")
      expect(mismatched.message).not.toContain("PRIVATE KEY")
    }))
})
