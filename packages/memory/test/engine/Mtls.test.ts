/**
 * Endpoints with mutual TLS, end to end: the engine on memory storage with the real HTTP transport, a receiver on
 * loopback that requires client certificates (a throwaway PKI made with openssl). The key is sealed at rest, never
 * shown, re-sealed after a master key rotation; a refused handshake is its own error kind in the attempt log.
 */
import { describe, expect, it } from "@effect/vitest"
import { HttpTransport, type Settings, type Storage, Webhooks } from "@hookwire/core"
import * as Pki from "@hookwire/testing/pki"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"
import * as Https from "node:https"
import type * as Net from "node:net"
import type * as Tls from "node:tls"
import * as MemoryStorage from "../../src/MemoryStorage.js"
import { engineOn as harnessEngine, eventually } from "./harness.js"

if (!Pki.hasOpenssl) console.warn("mTLS engine tests SKIPPED: the openssl CLI is not installed")

const k1 = { id: "k1", key: Redacted.make(randomBytes(32).toString("base64")) }
const k2 = { id: "k2", key: Redacted.make(randomBytes(32).toString("base64")) }

const engineOn = (storage: Storage.Storage["Type"], settings: Partial<Settings.Options>) =>
  harnessEngine(storage, { ...settings }, HttpTransport.layer({ allowCidrs: ["127.0.0.1/32"] }))

const tenant = "bank"

describe.skipIf(!Pki.hasOpenssl)("mutual TLS endpoints", () => {
  const pki = Pki.hasOpenssl ? Pki.make() : undefined!
  const keyBody = Pki.hasOpenssl ? pki.client.key.split("\n")[1]! : ""

  const receiver = Effect.acquireRelease(
    Effect.async<readonly [Https.Server, number]>((resume) => {
      const server = Https.createServer(
        { ...pki.server, ca: pki.clientCa, requestCert: true, rejectUnauthorized: true },
        (req, res) => {
          const peer = (req.socket as Tls.TLSSocket).getPeerCertificate()
          res.writeHead(peer.subject?.CN === "hookwire-sender" ? 204 : 403).end()
        }
      )
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed([server, (server.address() as Net.AddressInfo).port])))
    }),
    ([server]) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(([, port]) => `https://localhost:${port}/hooks`))

  const lastAttempt = (endpointId: string) =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const [delivery] = (yield* eventually(
        w.deliveries.list({ tenant, endpointId }),
        (page) => page.items[0] !== undefined && page.items[0].status !== "pending",
        20_000
      )).items
      return (yield* w.deliveries.attempts({ tenant, deliveryId: delivery!.id })).items[0]!
    })

  it.live("delivers with the endpoint's client certificate; the key is sealed and never shown", () =>
    Effect.scoped(Effect.gen(function*() {
      const url = yield* receiver
      const storage = yield* MemoryStorage.make
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const endpoint = yield* w.endpoints.create({
          tenant,
          url,
          eventTypes: ["customer.created"],
          tls: { cert: pki.client.cert, key: Redacted.make(pki.client.key), ca: pki.serverCa }
        })
        expect(endpoint.tls?.certificate?.subject).toBe("CN=hookwire-sender")
        expect(endpoint.tls?.customCa).toBe(true)
        const stored = (yield* storage.getEndpoint(tenant, endpoint.id))!
        expect(stored.transport?.tls?.key).toMatch(/^enc:v1:k1:/)
        expect(JSON.stringify(stored)).not.toContain(keyBody)
        expect(JSON.stringify(yield* w.endpoints.list({ tenant }))).not.toContain("PRIVATE KEY")

        // Without a client certificate (only the CA), the receiver refuses the handshake: its own error kind.
        const anonymous = yield* w.endpoints.create({
          tenant,
          url,
          eventTypes: ["invoice.paid"],
          tls: { ca: pki.serverCa }
        })
        yield* w.publish({ tenant, type: "customer.created", data: { id: "c1" } })
        yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "i", amount: 1 } })
        expect((yield* lastAttempt(endpoint.id)).responseStatus).toBe(204)
        const refused = yield* lastAttempt(anonymous.id)
        expect(refused.errorKind).toBe("tls_handshake")
        expect(JSON.stringify(refused)).not.toContain(keyBody)
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k1] })))

      // A master key rotation re-seals the key; deliveries go on with the new key alone.
      const report = yield* Effect.flatMap(Webhooks.Webhooks, (w) => w.maintenance.resealSecrets()).pipe(
        Effect.provide(engineOn(storage, { masterKeys: [k2, k1] }))
      )
      expect(report.resealed).toBe(2)
      const [first] = (yield* storage.listEndpoints(tenant, { limit: 10 })).items
      expect(first!.transport?.tls?.key).toMatch(/^enc:v1:k2:/)
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        yield* w.endpoints.update({ tenant, id: first!.id, eventTypes: ["invoice.voided"] })
        yield* w.publish({ tenant, type: "invoice.voided", data: { invoiceId: "v" } })
        const [delivery] = (yield* eventually(
          w.deliveries.list({ tenant, endpointId: first!.id }),
          (page) => page.items.some((d) => d.status === "delivered") && page.items.every((d) => d.status !== "pending"),
          20_000
        )).items
        expect(delivery!.status).toBe("delivered")
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k2] })))
    })))

  it.effect("refuses unusable TLS settings with typed errors that never repeat the key", () =>
    Effect.gen(function*() {
      const storage = yield* MemoryStorage.make
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const url = "https://receiver.example/hooks"
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [{ cert: pki.client.cert, key: pki.rogue.key }, "does not belong"],
          [{ cert: "not a certificate", key: pki.client.key }, "not a PEM certificate"],
          [
            { cert: pki.client.cert, key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" },
            "private key"
          ],
          [{ cert: pki.client.cert }, "go together"],
          [{ ca: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----" }, "tls.ca"],
          [{ cert: pki.client.cert, key: pki.client.key, password: "x" }, "no field"],
          [{}, "needs a cert and key"]
        ]
        for (const [tls, says] of cases) {
          const error = yield* Effect.flip(w.endpoints.create({ tenant, url, tls: tls as never }))
          expect(error).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: "tls" })
          expect(error.message).toContain(says)
          expect(error.message).not.toContain(keyBody)
        }
        // Update replaces the settings; null removes them.
        const endpoint = yield* w.endpoints.create({ tenant, url, tls: { ca: pki.serverCa } })
        expect(endpoint.tls).toStrictEqual({ certificate: null, customCa: true })
        const withCert = yield* w.endpoints.update({
          tenant,
          id: endpoint.id,
          tls: { cert: pki.client.cert, key: pki.client.key }
        })
        expect(withCert.tls).toMatchObject({ certificate: { subject: "CN=hookwire-sender" }, customCa: false })
        expect((yield* w.endpoints.update({ tenant, id: endpoint.id, tls: null })).tls).toBeNull()
      }).pipe(Effect.provide(engineOn(storage, {})))
    }))
})
