/**
 * Endpoints behind an OAuth2 gateway (client credentials), end to end: the engine on memory storage with the real HTTP
 * transport, a token server and a receiver on loopback. The token is fetched once and shared, fetched again after a
 * 401, token failures are their own error kind, the token URL meets the SSRF guard, and the client secret is sealed,
 * re-sealed and never shown.
 */
import { describe, expect, it } from "@effect/vitest"
import { HttpTransport, type Settings, type Storage, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import type * as Net from "node:net"
import * as MemoryStorage from "../../src/MemoryStorage.js"
import { engineOn as harnessEngine, eventually } from "./harness.js"

const k1 = { id: "k1", key: Redacted.make(randomBytes(32).toString("base64")) }
const k2 = { id: "k2", key: Redacted.make(randomBytes(32).toString("base64")) }
const tenant = "desk"
const clientSecret = "cs-7f6e5d4c3b2a19080706"

const engineOn = (storage: Storage.Storage["Type"], settings: Partial<Settings.Options>) =>
  harnessEngine(storage, { allowHttp: true, ...settings }, HttpTransport.layer({ allowCidrs: ["127.0.0.1/32"] }))

const listen = (handler: Http.RequestListener) =>
  Effect.acquireRelease(
    Effect.async<readonly [Http.Server, number]>((resume) => {
      const server = Http.createServer(handler)
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed([server, (server.address() as Net.AddressInfo).port])))
    }),
    ([server]) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(([, port]) => port))

const readBody = (req: Http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = ""
    req.on("data", (chunk) => (body += chunk))
    req.on("end", () => resolve(body))
  })

/** A token server for client `desk-sender`: issues tok-1, tok-2, …; `refuse` makes it answer 401 invalid_client. */
const tokenServer = Effect.gen(function*() {
  const state = { issued: 0, refuse: false, requests: [] as Array<{ authorization?: string; body: string }> }
  const basic = `Basic ${Buffer.from(`desk-sender:${clientSecret}`).toString("base64")}`
  const port = yield* listen(async (req, res) => {
    const body = await readBody(req)
    state.requests.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body })
    if (state.refuse || req.headers.authorization !== basic) {
      return res.writeHead(401, { "content-type": "application/json" }).end("{\"error\":\"invalid_client\"}")
    }
    state.issued++
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({ access_token: `tok-${state.issued}`, token_type: "Bearer", expires_in: 3600 })
    )
  })
  return { state, url: `http://127.0.0.1:${port}/oauth/token` }
})

/** A receiver that accepts only the newest token the token server issued. */
const receiver = (tokens: { readonly issued: number }) =>
  Effect.gen(function*() {
    const seen: Array<string | undefined> = []
    const port = yield* listen((req, res) => {
      seen.push(req.headers.authorization)
      res.writeHead(req.headers.authorization === `Bearer tok-${tokens.issued}` ? 204 : 401).end()
    })
    return { seen, url: `http://127.0.0.1:${port}/hooks` }
  })

const attemptsOf = (endpointId: string, count: number) =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const deliveries = yield* eventually(
      w.deliveries.list({ tenant, endpointId }),
      (page) => page.items.length >= count && page.items.every((d) => d.status !== "pending"),
      50_000
    )
    return yield* Effect.forEach(
      deliveries.items,
      (d) => Effect.map(w.deliveries.attempts({ tenant, deliveryId: d.id }), (page) => page.items)
    )
  })

describe("OAuth2 client credentials", () => {
  it.live("fetches one token for many deliveries, refreshes once on a 401, and never shows the secret", () =>
    Effect.scoped(Effect.gen(function*() {
      const tokens = yield* tokenServer
      const rx = yield* receiver(tokens.state)
      const storage = yield* MemoryStorage.make
      const oauth2 = {
        tokenUrl: tokens.url,
        clientId: "desk-sender",
        clientSecret: Redacted.make(clientSecret),
        scopes: ["webhooks:write", "events"]
      }
      const endpointId = yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const endpoint = yield* w.endpoints.create({ tenant, url: rx.url, oauth2 })
        expect(endpoint.oauth2).toStrictEqual({
          tokenUrl: tokens.url,
          clientId: "desk-sender",
          scopes: ["webhooks:write", "events"],
          clientAuth: "basic"
        })
        const stored = (yield* storage.getEndpoint(tenant, endpoint.id))!
        expect(stored.transport?.oauth2?.clientSecret).toMatch(/^enc:v1:k1:/)
        expect(JSON.stringify(stored)).not.toContain(clientSecret)

        yield* Effect.forEach(
          [1, 2, 3, 4],
          (i) => w.publish({ tenant, type: "customer.created", data: { id: `c${i}` } })
        )
        const attempts = (yield* attemptsOf(endpoint.id, 4)).flat()
        expect(attempts.map((a) => a.responseStatus)).toStrictEqual([204, 204, 204, 204])
        expect(tokens.state.issued).toBe(1)
        expect(tokens.state.requests[0]!.body).toBe("grant_type=client_credentials&scope=webhooks%3Awrite+events")
        expect(rx.seen.every((a) => a === "Bearer tok-1")).toBe(true)
        expect(attempts[0]!.requestHeaders?.authorization).toBe("<redacted>")
        expect(JSON.stringify(attempts)).not.toContain("tok-1")

        // The gateway revokes tok-1: the next delivery's 401 drops it, fetches tok-2 and sends once more.
        tokens.state.issued++
        yield* w.publish({ tenant, type: "customer.created", data: { id: "c5" } })
        const after = (yield* attemptsOf(endpoint.id, 5)).flat()
        expect(after.map((a) => a.responseStatus)).toStrictEqual([204, 204, 204, 204, 204])
        expect(tokens.state.issued).toBe(3)
        expect(rx.seen.slice(-2)).toStrictEqual(["Bearer tok-1", "Bearer tok-3"])
        return endpoint.id
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k1] })))

      // A master key rotation re-seals the secret; a new engine (no cached token) authenticates with it.
      const report = yield* Effect.flatMap(Webhooks.Webhooks, (w) => w.maintenance.resealSecrets()).pipe(
        Effect.provide(engineOn(storage, { masterKeys: [k2, k1] }))
      )
      expect(report.resealed).toBe(1)
      expect((yield* storage.getEndpoint(tenant, endpointId))!.transport?.oauth2?.clientSecret).toMatch(/^enc:v1:k2:/)
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        yield* w.publish({ tenant, type: "customer.created", data: { id: "c6" } })
        const all = (yield* attemptsOf(endpointId, 6)).flat()
        expect(all.at(-1)!.responseStatus).toBe(204)
        expect(tokens.state.issued).toBe(4)
      }).pipe(Effect.provide(engineOn(storage, { masterKeys: [k2] })))
    })))

  it.live("a refused token request is an oauth_token error; a token URL the guard refuses is blocked", () =>
    Effect.scoped(Effect.gen(function*() {
      const tokens = yield* tokenServer
      const rx = yield* receiver(tokens.state)
      const storage = yield* MemoryStorage.make
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        tokens.state.refuse = true
        const refused = yield* w.endpoints.create({
          tenant,
          url: rx.url,
          eventTypes: ["customer.created"],
          oauth2: { tokenUrl: tokens.url, clientId: "desk-sender", clientSecret }
        })
        const guarded = yield* w.endpoints.create({
          tenant,
          url: rx.url,
          eventTypes: ["invoice.paid"],
          oauth2: { tokenUrl: "http://169.254.169.254/token", clientId: "desk-sender", clientSecret }
        })
        yield* w.publish({ tenant, type: "customer.created", data: { id: "c" } })
        yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "i", amount: 1 } })
        const [[failed]] = yield* attemptsOf(refused.id, 1)
        expect(failed!.errorKind).toBe("oauth_token")
        expect(failed!.errorMessage).toBe("the token endpoint answered 401 (invalid_client)")
        const [[blocked]] = yield* attemptsOf(guarded.id, 1)
        expect(blocked!.errorKind).toBe("blocked")
        expect(rx.seen).toStrictEqual([])
        expect(JSON.stringify([failed, blocked])).not.toContain(clientSecret)
      }).pipe(Effect.provide(engineOn(storage, {})))
    })))

  it.effect("refuses unusable OAuth2 settings with typed errors that never repeat the secret", () =>
    Effect.gen(function*() {
      const storage = yield* MemoryStorage.make
      yield* Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        const url = "https://receiver.example/hooks"
        const good = { tokenUrl: "https://auth.example/token", clientId: "id", clientSecret }
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [{ ...good, tokenUrl: "https://u:p@auth.example/token" }, "oauth2.tokenUrl"],
          [{ ...good, tokenUrl: "ftp://auth.example/" }, "oauth2.tokenUrl"],
          [{ ...good, clientId: "" }, "clientId"],
          [{ ...good, clientSecret: "" }, "clientSecret"],
          [{ ...good, scopes: ["two words"] }, "scopes"],
          [{ ...good, clientAuth: "jwt" }, "clientAuth"],
          [{ ...good, audience: "x" }, "no field"]
        ]
        for (const [oauth2, says] of cases) {
          const error = yield* Effect.flip(w.endpoints.create({ tenant, url, oauth2: oauth2 as never }))
          expect(error).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: "oauth2" })
          expect(error.message).toContain(says)
          expect(error.message).not.toContain(clientSecret)
        }
        const clash = yield* Effect.flip(
          w.endpoints.create({ tenant, url, oauth2: good, sensitiveHeaders: { authorization: "Bearer x" } })
        )
        expect(clash.message).toContain("Authorization")
        const endpoint = yield* w.endpoints.create({ tenant, url, oauth2: good })
        expect((yield* w.endpoints.update({ tenant, id: endpoint.id, oauth2: null })).oauth2).toBeNull()
      }).pipe(Effect.provide(engineOn(storage, { allowHttp: false })))
    }))
})
