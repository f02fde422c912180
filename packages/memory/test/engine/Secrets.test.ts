import { describe, expect, it } from "@effect/vitest"
import { RecordingTransport, Settings, Storage, Webhooks } from "@hookwire/core"
import * as Pki from "@hookwire/testing/pki"
import * as Verify from "@hookwire/verify"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as Tracer from "effect/Tracer"
import { randomBytes } from "node:crypto"
import * as MemoryStorage from "../../src/MemoryStorage.js"
import { catalog, engineOn as harnessEngine, eventually } from "./harness.js"

const key = () => randomBytes(32).toString("base64")
const k1 = { id: "k1", key: Redacted.make(key()) }
const k2 = { id: "k2", key: Redacted.make(key()) }

/** An engine over a given storage instance (several, with different keys, can share one store), recording requests. */
const engineOn = (
  storage: Storage.Storage["Type"],
  settings: Partial<Settings.Options>,
  handler?: RecordingTransport.Handler
) => harnessEngine(storage, settings, RecordingTransport.layer(handler))

const tenant = "acme"
/** TLS keys for the hygiene scan (made with openssl; left out where it is not installed). */
const pki = Pki.hasOpenssl ? Pki.make() : undefined
const url = "https://receiver.example/hook"

describe("secrets at rest", () => {
  it.effect("are sealed with AES-256-GCM, bound to their endpoint, and still sign correctly", () =>
    Effect.gen(function*() {
      const storage = yield* MemoryStorage.make
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const created = yield* w.endpoints.create({ tenant, url })
        const plain = Redacted.value(created.secret)
        const stored = (yield* storage.getEndpoint(tenant, created.id))!
        expect(stored.secrets[0]!.value).toMatch(/^enc:v1:k1:/)
        expect(stored.secrets[0]!.value).not.toContain(plain.slice(6))
        const { message } = yield* w.publish({ tenant, type: "customer.created", data: { id: "c" } })
        const [request] = yield* RecordingTransport.awaitRequests(1)
        expect(Verify.verify(request!.body, request!.headers, { secret: plain, now: () => request!.at }).id).toBe(
          message.id
        )

        // A sealed secret copied onto another endpoint does not open there: the attempt fails without leaking it.
        const other = yield* w.endpoints.create({ tenant, url })
        const otherRecord = (yield* storage.getEndpoint(tenant, other.id))!
        yield* storage.updateEndpoint({ ...otherRecord, secrets: stored.secrets })
        yield* w.endpoints.update({ tenant, id: created.id, eventTypes: ["invoice.paid"] })
        const second = yield* w.publish({ tenant, type: "customer.created", data: { id: "d" } })
        const [delivery] = (yield* eventually(
          w.deliveries.list({ tenant, messageId: second.message.id }),
          (p) => p.items[0]?.status === "failed"
        )).items
        const [attempt] = (yield* w.deliveries.attempts({ tenant, deliveryId: delivery!.id })).items
        expect(attempt!.errorKind).toBe("unknown")
        expect(attempt!.errorMessage).toContain("does not open")
        expect(JSON.stringify(attempt)).not.toContain(plain.slice(6))
        expect(yield* RecordingTransport.requests).toHaveLength(1)
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k1] })))
    }))

  it.effect("sensitive headers are sealed at rest, sent opened, and shown only as a name and a redaction marker", () =>
    Effect.gen(function*() {
      const storage = yield* MemoryStorage.make
      const token = "Bearer tok-9f8e7d6c5b4a39281706"
      const apiKey = "key-0a1b2c3d4e5f60718293"
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const created = yield* w.endpoints.create({
          tenant,
          url,
          headers: { "X-Team": "desk" },
          sensitiveHeaders: { Authorization: Redacted.make(token) }
        })
        expect(created.headers).toStrictEqual({ "x-team": "desk" })
        expect(created.sensitiveHeaders).toStrictEqual({ authorization: "<redacted>" })
        const stored = (yield* storage.getEndpoint(tenant, created.id))!
        expect(stored.transport?.sensitiveHeaders.authorization).toMatch(/^enc:v1:k1:/)
        expect(JSON.stringify(stored)).not.toContain("tok-9f8e")
        expect((yield* w.endpoints.get({ tenant, id: created.id })).sensitiveHeaders).toStrictEqual({
          authorization: "<redacted>"
        })
        expect((yield* w.endpoints.list({ tenant })).items[0]!.sensitiveHeaders).toStrictEqual({
          authorization: "<redacted>"
        })

        yield* w.publish({ tenant, type: "customer.created", data: { id: "c" } })
        const [request] = yield* RecordingTransport.awaitRequests(1)
        expect(request!.headers.authorization).toBe(token)
        expect(request!.headers["x-team"]).toBe("desk")
        const [delivery] = (yield* eventually(
          w.deliveries.list({ tenant, endpointId: created.id }),
          (p) => p.items[0]?.status === "delivered"
        )).items
        const [attempt] = (yield* w.deliveries.attempts({ tenant, deliveryId: delivery!.id })).items
        expect(attempt!.requestHeaders).toMatchObject({ authorization: "<redacted>", "x-team": "desk" })
        expect(JSON.stringify(attempt)).not.toContain("tok-9f8e")

        // Update merges: a value adds or replaces, null removes, unnamed headers stay.
        const added = yield* w.endpoints.update({ tenant, id: created.id, sensitiveHeaders: { "X-Api-Key": apiKey } })
        expect(added.sensitiveHeaders).toStrictEqual({ authorization: "<redacted>", "x-api-key": "<redacted>" })
        const renamed = yield* w.endpoints.update({ tenant, id: created.id, name: "desk feed" })
        expect(renamed.sensitiveHeaders).toStrictEqual(added.sensitiveHeaders)
        yield* w.publish({ tenant, type: "customer.created", data: { id: "d" } })
        const second = (yield* RecordingTransport.awaitRequests(2))[1]!
        expect(second.headers.authorization).toBe(token)
        expect(second.headers["x-api-key"]).toBe(apiKey)
        const removed = yield* w.endpoints.update({ tenant, id: created.id, sensitiveHeaders: { authorization: null } })
        expect(removed.sensitiveHeaders).toStrictEqual({ "x-api-key": "<redacted>" })

        // Bad input: typed errors naming the header and the field, never the value.
        const clash = yield* Effect.flip(w.endpoints.update({ tenant, id: created.id, headers: { "x-api-key": "x" } }))
        expect(clash).toMatchObject({ _tag: "ValidationError", code: "invalid_header", field: "sensitiveHeaders" })
        expect(clash.message).toContain("x-api-key")
        const reserved = yield* Effect.flip(
          w.endpoints.create({ tenant, url, sensitiveHeaders: { "webhook-signature": "v1,forged" } })
        )
        expect(reserved).toMatchObject({ code: "reserved_header", field: "sensitiveHeaders" })
        const badValue = yield* Effect.flip(
          w.endpoints.create({ tenant, url, sensitiveHeaders: { authorization: "Bearer a\r\nx: secret-xyz" } })
        )
        expect(badValue).toMatchObject({ code: "invalid_header", field: "sensitiveHeaders" })
        expect(badValue.message).not.toContain("secret-xyz")
        const notString = yield* Effect.flip(
          w.endpoints.create({ tenant, url, sensitiveHeaders: { authorization: 42 as unknown as string } })
        )
        expect(notString.message).toContain("must be a string")
        const nullOnCreate = yield* Effect.flip(
          w.endpoints.create({ tenant, url, sensitiveHeaders: { authorization: null as unknown as string } })
        )
        expect(nullOnCreate).toMatchObject({ code: "invalid_header", field: "sensitiveHeaders" })

        // A sealed value copied onto another endpoint (or into another header) does not open there.
        const other = yield* w.endpoints.create({ tenant, url, eventTypes: ["invoice.paid"] })
        const sealed = (yield* storage.getEndpoint(tenant, created.id))!.transport!
        const otherRecord = (yield* storage.getEndpoint(tenant, other.id))!
        yield* storage.updateEndpoint({
          ...otherRecord,
          transport: { sensitiveHeaders: { authorization: sealed.sensitiveHeaders["x-api-key"]! } }
        })
        yield* w.endpoints.update({ tenant, id: created.id, eventTypes: ["invoice.voided"] })
        yield* w.endpoints.update({ tenant, id: other.id, eventTypes: ["customer.created"] })
        yield* w.publish({ tenant, type: "customer.created", data: { id: "e" } })
        const [failed] = (yield* eventually(
          w.deliveries.list({ tenant, endpointId: other.id }),
          (p) => p.items[0]?.status === "failed"
        )).items
        const [refused] = (yield* w.deliveries.attempts({ tenant, deliveryId: failed!.id })).items
        expect(refused!.errorMessage).toContain("does not open")
        expect(JSON.stringify(refused)).not.toContain("key-0a1b")
        expect(yield* RecordingTransport.requests).toHaveLength(2)
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k1] })))
    }))

  it.effect("a master key rotation re-seals every secret in batches; the old key can then be removed", () =>
    Effect.gen(function*() {
      const storage = yield* MemoryStorage.make
      const plains = yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const out: Array<{ id: string; tenant: string; plain: string }> = []
        for (let i = 0; i < 7; i++) {
          const t = `tenant-${i % 3}`
          const created = yield* w.endpoints.create({
            tenant: t,
            url,
            sensitiveHeaders: { authorization: `Bearer token-${i}` }
          })
          out.push({ id: created.id, tenant: t, plain: Redacted.value(created.secret) })
        }
        return out
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k1] })))

      const report = yield* Effect.flatMap(Webhooks.Webhooks, (w) => w.maintenance.resealSecrets({ batchSize: 3 }))
        .pipe(
          Effect.provide(engineOn(storage, { masterKeys: [k2, k1] }))
        )
      expect(report).toEqual({ scanned: 7, resealed: 7 })
      for (const { id, tenant: t } of plains) {
        const stored = (yield* storage.getEndpoint(t, id))!
        expect(stored.secrets[0]!.value).toMatch(/^enc:v1:k2:/)
        expect(stored.transport!.sensitiveHeaders.authorization).toMatch(/^enc:v1:k2:/)
      }
      // Idempotent: nothing left to do.
      const again = yield* Effect.flatMap(Webhooks.Webhooks, (w) => w.maintenance.resealSecrets()).pipe(
        Effect.provide(engineOn(storage, { masterKeys: [k2, k1] }))
      )
      expect(again.resealed).toBe(0)

      // With only the new key, deliveries still sign with the original secrets.
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const target = plains[0]!
        yield* w.publish({ tenant: target.tenant, type: "customer.created", data: { id: "x" } })
        const requests = yield* RecordingTransport.awaitRequests(3)
        const mine = requests.filter((r) => {
          try {
            Verify.verify(r.body, r.headers, { secret: target.plain, now: () => r.at })
            return true
          } catch {
            return false
          }
        })
        expect(mine).toHaveLength(1)
        expect(mine[0]!.headers.authorization).toBe("Bearer token-0")
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k2] })))
    }))

  it("rejects malformed master keys without echoing them", () => {
    const bad = "c2hvcnQ="
    let message = ""
    try {
      Settings.resolve({ catalog, masterKeys: [{ id: "k1", key: bad }] })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/32 bytes/)
    expect(message).not.toContain(bad)
    expect(() => Settings.resolve({ catalog, masterKeys: [{ id: "bad id!", key: key() }] })).toThrow(/id/)
  })

  it.effect("no secret appears in any log line or span, across create, rotate, publish, attempts and errors", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const spans: Array<unknown> = []
      const logger = Logger.make(({ annotations, message }) => lines.push(JSON.stringify({ message, annotations })))
      // A tracer that records every span's name, attributes and events.
      let nextId = 0
      const tracer = Tracer.make({
        span: (name, parent, context, links, startTime, kind) => {
          const attributes = new Map<string, unknown>()
          const events: Array<unknown> = []
          const span: Tracer.Span = {
            _tag: "Span",
            name,
            spanId: `span${++nextId}`,
            traceId: "trace",
            parent,
            context,
            status: { _tag: "Started", startTime },
            attributes,
            links,
            sampled: true,
            kind,
            end: () => {},
            attribute: (key, value) => void attributes.set(key, value),
            event: (eventName, _time, eventAttributes) => void events.push({ eventName, eventAttributes }),
            addLinks: () => {}
          }
          spans.push({ name, attributes, events })
          return span
        },
        context: (f) => f()
      })
      const storage = yield* MemoryStorage.make
      const secrets = yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const a = yield* w.endpoints.create({
          tenant,
          url: "http://plain.example/hook",
          sensitiveHeaders: { authorization: "Bearer hygiene-7c6b5a49382716" }
        })
        yield* w.endpoints.update({ tenant, id: a.id, sensitiveHeaders: { "x-api-key": "hygiene-key-0f1e2d3c4b5a" } })
        yield* w.endpoints.create({
          tenant,
          url,
          oauth2: { tokenUrl: "https://auth.example/token", clientId: "c", clientSecret: "hygiene-oauth-9a8b7c6d5e4f" }
        })
        yield* w.publish({ tenant, type: "customer.created", data: { id: "o" } })
        yield* RecordingTransport.awaitRequests(2)
        if (pki !== undefined) {
          const mtls = yield* w.endpoints.create({ tenant, url, tls: { cert: pki.client.cert, key: pki.client.key } })
          yield* Effect.logInfo("mtls endpoint", mtls)
          yield* Effect.either(
            w.endpoints.update({ tenant, id: mtls.id, tls: { cert: pki.client.cert, key: pki.rogue.key } })
          )
        }
        const rotated = yield* w.endpoints.rotateSecret({ tenant, id: a.id })
        yield* w.publish({ tenant, type: "customer.created", data: { id: "c" } })
        yield* RecordingTransport.awaitRequests(1)
        yield* Effect.either(w.endpoints.create({ tenant, url, secret: "whsec_definitely not base64" }))
        yield* Effect.either(w.endpoints.create({ tenant, url: "https://u:pw@x.example/" }))
        yield* Effect.logInfo("endpoint", yield* w.endpoints.get({ tenant, id: a.id }))
        yield* Effect.logInfo("attempts", yield* w.deliveries.attempts({ tenant, endpointId: a.id }))
        yield* Effect.either(w.endpoints.update({ tenant, id: a.id, headers: { "x-api-key": "y" } }))
        return [
          Redacted.value(a.secret),
          Redacted.value(rotated.secret),
          "______Bearer hygiene-7c6b5a49382716",
          "______hygiene-key-0f1e2d3c4b5a",
          "______hygiene-oauth-9a8b7c6d5e4f",
          ...(pki === undefined ? [] : [pki.client.key, pki.rogue.key].map((key) => `______${key.split("\n")[1]}`))
        ]
      }).pipe(
        Effect.provide(engineOn(storage, { allowHttp: true }, () => ({ status: 500, body: "nope" }))),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Effect.withTracer(tracer)
      )
      const captured = JSON.stringify({
        lines,
        spans: spans.map((span) => {
          const { attributes, ...rest } = span as { attributes: Map<string, unknown> }
          return { ...rest, attributes: [...attributes.entries()].map(([k, v]) => [k, String(v)]) }
        })
      })
      expect(spans.length).toBeGreaterThan(0)
      expect(lines.length).toBeGreaterThan(0)
      for (const secret of secrets) expect(captured).not.toContain(secret.slice(6))
    }))
})
