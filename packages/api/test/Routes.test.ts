/**
 * Every route over real HTTP (plain `fetch` to a `node:http` server on loopback), on memory and on Postgres: each
 * answer checked against the OpenAPI document, tenant isolation with two tenants' tokens, refused tokens, read
 * scope, bad input that changes nothing, `Idempotency-Key` and CORS.
 */
import { servers } from "@hookwire/testing/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as AccessToken from "../src/AccessToken.js"
import { managementApi, type Mounted } from "../src/Mount.js"
import { type Engine, kinds, startEngine } from "./utils/engine.js"
import { caller } from "./utils/http.js"

const key = "k".repeat(40)
const url = "https://receiver.example/hooks"

describe.each(kinds)("routes on %s", (kind) => {
  const open = servers()
  let engine: Engine
  let api: Mounted
  let call: ReturnType<typeof caller>
  const tokens = AccessToken.make({ keys: key })
  const a = tokens.create({ tenant: "tenant-a", scope: "manage", ttl: "1 hour" })
  const aRead = tokens.create({ tenant: "tenant-a", scope: "read", ttl: "1 hour" })
  const b = tokens.create({ tenant: "tenant-b", scope: "manage", ttl: "1 hour" })

  beforeAll(async () => {
    engine = await startEngine(kind)
    api = managementApi(engine.hookwire, {
      tokens,
      mountPath: "/webhooks",
      maxBodyBytes: 64 * 1024,
      cors: { origins: ["https://portal.example"] }
    })
    const base = `${await open.listen(api.node)}/webhooks`
    const spec = await (await fetch(`${base}/openapi.json`)).json()
    call = caller(base, spec)
  })
  afterAll(async () => {
    await open.closeAll()
    await api?.dispose()
    await engine?.close()
  })

  /** Creates an endpoint for tenant a and returns it. */
  const createEndpoint = async (body: Record<string, unknown> = {}) => {
    const created = await call("POST", "/endpoints", { token: a, body: { url, ...body } })
    expect(created.status).toBe(201)
    return created.body
  }
  const countEndpoints = async (token = a) =>
    (await call("GET", "/endpoints", { token, query: { limit: "250" } })).body.data.length

  it("every route answers what it declares", async () => {
    expect((await call("GET", "/session", { token: aRead })).body).toMatchObject({ tenant: "tenant-a", scope: "read" })
    const types = await call("GET", "/event-types", { token: a })
    expect(types.body.data.map((t: { name: string }) => t.name).sort()).toStrictEqual([
      "customer.created",
      "invoice.paid"
    ])
    expect(types.body.data.find((t: { name: string }) => t.name === "invoice.paid").examples).toStrictEqual([
      { invoiceId: "in_1", amount: 42 }
    ])
    const ep = await createEndpoint({ name: "Main", eventTypes: ["invoice.*"], metadata: { plan: "pro" } })
    expect(ep.secret).toMatch(/^whsec_/)
    const got = await call("GET", "/endpoints/{id}", { token: a, params: { id: ep.id } })
    expect(got.body).toMatchObject({ id: ep.id, name: "Main", metadata: { plan: "pro" } })
    expect(got.body).not.toHaveProperty("secret")
    expect(got.body).not.toHaveProperty("tenant")
    const patched = await call("PATCH", "/endpoints/{id}", { token: a, params: { id: ep.id }, body: { name: null } })
    expect(patched.body.name).toBeNull()
    const sent = await call("POST", "/endpoints/{id}/test", {
      token: a,
      params: { id: ep.id },
      body: { type: "invoice.paid" }
    })
    expect(sent.body.delivery).toMatchObject({ status: "delivered", attempts: 1 })
    const stats = await call("GET", "/endpoints/{id}/stats", { token: a, params: { id: ep.id } })
    expect(stats.body.windows.hour.attempts).toStrictEqual({ total: 1, succeeded: 1, failed: 0 })
    const messages = await call("GET", "/messages", { token: a, query: { type: "invoice.paid" } })
    expect(messages.body.data.map((m: { id: string }) => m.id)).toContain(sent.body.messageId)
    const message = await call("GET", "/messages/{id}", { token: a, params: { id: sent.body.messageId } })
    expect(message.body.payload.data).toStrictEqual({ invoiceId: "in_1", amount: 42 })
    const deliveries = await call("GET", "/deliveries", { token: a, query: { endpointId: ep.id, status: "delivered" } })
    expect(deliveries.body.data.map((d: { id: string }) => d.id)).toStrictEqual([sent.body.deliveryId])
    const detail = await call("GET", "/deliveries/{id}", { token: a, params: { id: sent.body.deliveryId } })
    expect(detail.body.attemptLog.map((x: { trigger: string }) => x.trigger)).toStrictEqual(["test"])
    // The request's headers as sent, without the signature; the response's headers.
    const logged = detail.body.attemptLog[0]
    expect(logged.requestHeaders).toMatchObject({
      "content-type": "application/json",
      "webhook-id": expect.any(String)
    })
    expect(Object.keys(logged.requestHeaders)).not.toContain("webhook-signature")
    expect(logged.responseHeaders).toStrictEqual({ "x-receiver": "test" })
    const attempts = await call("GET", "/attempts", { token: a, query: { endpointId: ep.id } })
    expect(attempts.body.data).toHaveLength(1)
    const retried = await call("POST", "/deliveries/{id}/retry", { token: a, params: { id: sent.body.deliveryId } })
    expect(retried.body.attempts).toBe(2)
    const resent = await call("POST", "/messages/{id}/resend", {
      token: a,
      params: { id: sent.body.messageId },
      body: { endpointId: ep.id }
    })
    expect(resent.body).toMatchObject({ endpointId: ep.id, status: "pending" })
    const recovered = await call("POST", "/endpoints/{id}/recover", {
      token: a,
      params: { id: ep.id },
      body: { since: new Date(Date.now() - 3_600_000).toISOString() }
    })
    expect(recovered.body).toStrictEqual({ recovered: 0 })
    const disabled = await call("POST", "/endpoints/{id}/disable", {
      token: a,
      params: { id: ep.id },
      body: { reason: "maintenance" }
    })
    expect(disabled.body).toMatchObject({ disabled: true, disabledReason: "maintenance" })
    const refused = await call("POST", "/endpoints/{id}/test", {
      token: a,
      params: { id: ep.id },
      body: { type: "invoice.paid" }
    })
    expect(refused.body).toMatchObject({ status: 409, code: "endpoint_disabled" })
    expect((await call("POST", "/endpoints/{id}/enable", { token: a, params: { id: ep.id } })).body.disabled).toBe(
      false
    )
    const rotated = await call("POST", "/endpoints/{id}/rotate-secret", { token: a, params: { id: ep.id }, body: {} })
    expect(rotated.body.secret).toMatch(/^whsec_/)
    expect(rotated.body.secret).not.toBe(ep.secret)
    const listed = await call("GET", "/endpoints", { token: a })
    expect(listed.body.data[0].id).toBe(ep.id)
    expect((await call("DELETE", "/endpoints/{id}", { token: a, params: { id: ep.id } })).status).toBe(204)
    const gone = await call("GET", "/endpoints/{id}", { token: a, params: { id: ep.id } })
    expect(gone.body).toMatchObject({ status: 404, code: "endpoint_not_found" })
    expect(gone.headers.get("content-type")).toBe("application/problem+json")
  })

  it("sensitive headers are accepted, merged on update, and answered only as names with a redaction marker", async () => {
    const token = "Bearer api-tok-5d4c3b2a1f0e"
    const created = await createEndpoint({ headers: { "x-team": "desk" }, sensitiveHeaders: { Authorization: token } })
    expect(created.sensitiveHeaders).toStrictEqual({ authorization: "<redacted>" })
    const updated = await call("PATCH", "/endpoints/{id}", {
      token: a,
      params: { id: created.id },
      body: { sensitiveHeaders: { "x-api-key": "api-key-9e8d7c6b", authorization: null } }
    })
    expect(updated.status).toBe(200)
    expect(updated.body.sensitiveHeaders).toStrictEqual({ "x-api-key": "<redacted>" })
    const read = await call("GET", "/endpoints/{id}", { token: aRead, params: { id: created.id } })
    const listed = await call("GET", "/endpoints", { token: aRead, query: { limit: "250" } })
    expect(JSON.stringify([created, updated.body, read.body, listed.body])).not.toMatch(/api-tok-|api-key-9/)
    const clash = await call("PATCH", "/endpoints/{id}", {
      token: a,
      params: { id: created.id },
      body: { sensitiveHeaders: { "x-team": "secret-clash-1" } }
    })
    expect(clash.body).toMatchObject({ status: 400, code: "invalid_header" })
    expect(JSON.stringify(clash.body)).not.toContain("secret-clash-1")
    // Egress proxies are the host's, by name: a tenant cannot point one at an address.
    expect(read.body.proxy).toBeNull()
    const proxy = await call("PATCH", "/endpoints/{id}", {
      token: a,
      params: { id: created.id },
      body: { proxy: "http://169.254.169.254:80" }
    })
    expect(proxy.body).toMatchObject({ status: 400, code: "invalid_option" })
    const tls = await call("PATCH", "/endpoints/{id}", {
      token: a,
      params: { id: created.id },
      body: { tls: { cert: "not a certificate", key: "tls-key-3c2b1a" } }
    })
    expect(tls.body).toMatchObject({ status: 400, code: "invalid_option" })
    expect(JSON.stringify(tls.body)).not.toContain("tls-key-3c2b1a")
    expect(read.body.tls).toBeNull()
    const oauth2 = await call("PATCH", "/endpoints/{id}", {
      token: a,
      params: { id: created.id },
      body: { oauth2: { tokenUrl: "https://auth.example/token", clientId: "c", clientSecret: "oauth-cs-1f2e3d" } }
    })
    expect(oauth2.status).toBe(200)
    expect(oauth2.body.oauth2).toStrictEqual({
      tokenUrl: "https://auth.example/token",
      clientId: "c",
      scopes: [],
      clientAuth: "basic"
    })
    expect(JSON.stringify(oauth2.body)).not.toContain("oauth-cs-1f2e3d")
  })

  it("payload filters: stored with the endpoint, applied at publish, tested against a payload", async () => {
    const filter = { "data.amount": { $gte: 100 } }
    const ep = await createEndpoint({ filter })
    expect(ep.filter).toStrictEqual(filter)
    const bad = await call("POST", "/endpoints", { token: a, body: { url, filter: { "data.amount": { $gte: [] } } } })
    expect(bad.body).toMatchObject({ status: 400, code: "invalid_payload_filter" })
    expect(bad.body.detail).toMatch(/filter\.data\.amount\.\$gte: \$gte takes a number or a string/)
    const payload = { type: "invoice.paid", data: { invoiceId: "in_1", amount: 150 } }
    const tested = await call("POST", "/endpoints/test-filter", { token: a, body: { filter, payload } })
    expect(tested.body).toStrictEqual({ matches: true })
    const missed = await call("POST", "/endpoints/test-filter", {
      token: a,
      body: { filter: { "data.amount": { $lt: 100 } }, payload }
    })
    expect(missed.body).toStrictEqual({ matches: false })
    const invalid = await call("POST", "/endpoints/test-filter", {
      token: a,
      body: { filter: { $or: [] }, payload }
    })
    expect(invalid.body).toMatchObject({ status: 400, code: "invalid_payload_filter" })
    const patched = await call("PATCH", "/endpoints/{id}", { token: a, params: { id: ep.id }, body: { filter: null } })
    expect(patched.body.filter).toBeNull()
    await call("DELETE", "/endpoints/{id}", { token: a, params: { id: ep.id } })
  })

  it("lists are newest first, in cursor pages", async () => {
    const created = []
    for (let i = 0; i < 3; i++) created.push((await createEndpoint({ name: `page-${i}` })).id)
    const first = await call("GET", "/endpoints", { token: a, query: { limit: "2" } })
    expect(first.body.data.map((e: { id: string }) => e.id)).toStrictEqual([created[2], created[1]])
    const second = await call("GET", "/endpoints", { token: a, query: { limit: "2", cursor: first.body.nextCursor } })
    expect(second.body.data[0].id).toBe(created[0])
    for (const id of created) await call("DELETE", "/endpoints/{id}", { token: a, params: { id } })
  })

  it("another tenant's ids answer 404 on every route, and its lists are empty", async () => {
    const ep = await createEndpoint()
    const sent = await call("POST", "/endpoints/{id}/test", {
      token: a,
      params: { id: ep.id },
      body: { type: "invoice.paid" }
    })
    const routes: Array<[string, string, Record<string, string>, unknown?]> = [
      ["GET", "/endpoints/{id}", { id: ep.id }],
      ["PATCH", "/endpoints/{id}", { id: ep.id }, { name: "stolen" }],
      ["POST", "/endpoints/{id}/enable", { id: ep.id }],
      ["POST", "/endpoints/{id}/disable", { id: ep.id }, {}],
      ["POST", "/endpoints/{id}/rotate-secret", { id: ep.id }, {}],
      ["POST", "/endpoints/{id}/test", { id: ep.id }, { type: "invoice.paid" }],
      ["GET", "/endpoints/{id}/stats", { id: ep.id }],
      ["POST", "/endpoints/{id}/recover", { id: ep.id }, { since: "2020-01-01T00:00:00Z" }],
      ["GET", "/messages/{id}", { id: sent.body.messageId }],
      ["POST", "/messages/{id}/resend", { id: sent.body.messageId }, { endpointId: ep.id }],
      ["GET", "/deliveries/{id}", { id: sent.body.deliveryId }],
      ["POST", "/deliveries/{id}/retry", { id: sent.body.deliveryId }],
      ["DELETE", "/endpoints/{id}", { id: ep.id }]
    ]
    for (const [method, template, params, body] of routes) {
      const reply = await call(method, template, { token: b, params, body })
      expect(reply.status, `${method} ${template}`).toBe(404)
    }
    for (const list of ["/endpoints", "/messages", "/deliveries", "/attempts"]) {
      expect((await call("GET", list, { token: b })).body.data, list).toStrictEqual([])
    }
    // Tenant b's resend of a's message to b's own endpoint is refused too.
    const own = await call("POST", "/endpoints", { token: b, body: { url } })
    const resend = await call("POST", "/messages/{id}/resend", {
      token: b,
      params: { id: sent.body.messageId },
      body: { endpointId: own.body.id }
    })
    expect(resend.status).toBe(404)
    // Nothing of a's changed.
    const after = await call("GET", "/endpoints/{id}", { token: a, params: { id: ep.id } })
    expect(after.body).toMatchObject({ name: null, disabled: false })
    await call("DELETE", "/endpoints/{id}", { token: a, params: { id: ep.id } })
    await call("DELETE", "/endpoints/{id}", { token: b, params: { id: own.body.id } })
  })

  it("read scope reads everything and changes nothing", async () => {
    const ep = await createEndpoint()
    for (const template of ["/endpoints", "/messages", "/deliveries", "/attempts", "/event-types", "/session"]) {
      expect((await call("GET", template, { token: aRead })).status, template).toBe(200)
    }
    expect((await call("GET", "/endpoints/{id}/stats", { token: aRead, params: { id: ep.id } })).status).toBe(200)
    const writes: Array<[string, string, unknown?]> = [
      ["POST", "/endpoints", { url }],
      ["PATCH", "/endpoints/{id}", { name: "x" }],
      ["DELETE", "/endpoints/{id}"],
      ["POST", "/endpoints/{id}/disable", {}],
      ["POST", "/endpoints/{id}/rotate-secret", {}],
      ["POST", "/endpoints/{id}/test", { type: "invoice.paid" }],
      ["POST", "/endpoints/{id}/recover", { since: "2020-01-01T00:00:00Z" }]
    ]
    const before = await countEndpoints()
    for (const [method, template, body] of writes) {
      const reply = await call(method, template, { token: aRead, params: { id: ep.id }, body })
      expect(reply.status, `${method} ${template}`).toBe(403)
      expect(reply.body.code).toBe("forbidden")
    }
    expect(await countEndpoints()).toBe(before)
    const still = await call("GET", "/endpoints/{id}", { token: a, params: { id: ep.id } })
    expect(still.body).toMatchObject({ name: null, disabled: false })
    await call("DELETE", "/endpoints/{id}", { token: a, params: { id: ep.id } })
  })

  it("missing, expired, tampered and foreign-key tokens are refused with 401", async () => {
    const expired = tokens.create({ tenant: "tenant-a", scope: "manage", ttl: "1 hour", now: Date.now() - 7_200_000 })
    const tampered = a.slice(0, -3) + (a.endsWith("AAA") ? "BBB" : "AAA")
    const forged = AccessToken.make({ keys: "z".repeat(40) }).create({
      tenant: "tenant-a",
      scope: "manage",
      ttl: "1 hour"
    })
    const payloadSwap = `hwt_${
      Buffer.from(JSON.stringify({ v: 1, t: "tenant-b", s: "manage", e: 9e9 })).toString("base64url")
    }.${a.split(".")[1]}`
    const before = await countEndpoints()
    for (const token of [undefined, expired, tampered, forged, payloadSwap, "not-a-token"]) {
      for (const [method, template] of [["GET", "/endpoints"], ["POST", "/endpoints"]] as const) {
        const reply = await call(method, template, { token, body: method === "POST" ? { url } : undefined })
        expect(reply.status, `${token} ${method}`).toBe(401)
        expect(reply.headers.get("www-authenticate")).toBe("Bearer")
      }
    }
    const expiredReply = await call("GET", "/endpoints", { token: expired })
    expect(expiredReply.body.detail).toMatch(/expired/)
    expect(await countEndpoints()).toBe(before)
  })

  it("malformed JSON, wrong types, unknown fields and huge bodies get problems and change nothing", async () => {
    const ep = await createEndpoint()
    const before = await countEndpoints()
    const malformed = await call("POST", "/endpoints", { token: a, rawBody: "{\"url\": " })
    expect(malformed.body).toMatchObject({ status: 400, code: "malformed_json" })
    const wrongType = await call("POST", "/endpoints", { token: a, body: { url: 42, eventTypes: "invoice.paid" } })
    expect(wrongType.body.code).toBe("invalid_request")
    expect(wrongType.body.errors.map((e: { path: string }) => e.path).sort()).toStrictEqual(["eventTypes", "url"])
    const unknown = await call("POST", "/endpoints", { token: a, body: { url, symbols: ["AAPL"] } })
    expect(unknown.body).toMatchObject({ status: 400, code: "invalid_request", errors: [{ path: "symbols" }] })
    const badUrl = await call("POST", "/endpoints", { token: a, body: { url: "http://insecure.example/" } })
    expect(badUrl.body).toMatchObject({ status: 400, code: "insecure_url", errors: [{ path: "url" }] })
    const huge = await call("POST", "/endpoints", { token: a, body: { url, description: "x".repeat(100_000) } })
    expect(huge.body).toMatchObject({ status: 413, code: "payload_too_large" })
    const hugePatch = await call("PATCH", "/endpoints/{id}", {
      token: a,
      params: { id: ep.id },
      body: { name: "y".repeat(70_000) }
    })
    expect(hugePatch.status).toBe(413)
    const wrongPatch = await call("PATCH", "/endpoints/{id}", {
      token: a,
      params: { id: ep.id },
      body: { fifo: "yes" }
    })
    expect(wrongPatch.body.errors[0].path).toBe("fifo")
    const notJson = await call("POST", "/endpoints", {
      token: a,
      rawBody: "url=x",
      headers: { "content-type": "text/plain" }
    })
    expect(notJson.status).toBe(400)
    const badLimit = await call("GET", "/endpoints", { token: a, query: { limit: "0" } })
    expect(badLimit.body.errors[0].path).toBe("limit")
    const badCursor = await call("GET", "/endpoints", { token: a, query: { cursor: "nope" } })
    expect(badCursor.body.code).toBe("invalid_cursor")
    const badTime = await call("GET", "/messages", { token: a, query: { since: "yesterday" } })
    expect(badTime.body.errors[0].path).toBe("since")
    expect(await countEndpoints()).toBe(before)
    const unchanged = await call("GET", "/endpoints/{id}", { token: a, params: { id: ep.id } })
    expect(unchanged.body).toMatchObject({ name: null, fifo: false })
    await call("DELETE", "/endpoints/{id}", { token: a, params: { id: ep.id } })
  })

  it("Idempotency-Key replays the first answer and refuses another body", async () => {
    const before = await countEndpoints()
    const headers = { "idempotency-key": `create-${kind}-${Date.now()}` }
    const first = await call("POST", "/endpoints", { token: a, headers, body: { url, name: "once" } })
    const again = await call("POST", "/endpoints", { token: a, headers, body: { url, name: "once" } })
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(again.body.id).toBe(first.body.id)
    expect(again.headers.get("idempotent-replayed")).toBe("true")
    const other = await call("POST", "/endpoints", { token: a, headers, body: { url, name: "twice" } })
    expect(other.body).toMatchObject({ status: 409, code: "idempotency_key_reused" })
    // Another tenant's same key is its own.
    const theirs = await call("POST", "/endpoints", { token: b, headers, body: { url, name: "once" } })
    expect(theirs.body.id).not.toBe(first.body.id)
    expect(await countEndpoints()).toBe(before + 1)
    await call("DELETE", "/endpoints/{id}", { token: a, params: { id: first.body.id } })
    await call("DELETE", "/endpoints/{id}", { token: b, params: { id: theirs.body.id } })
  })

  it("CORS answers allowed origins only; docs and unknown routes", async () => {
    const base = (await open.listen(api.node)) + "/webhooks"
    const preflight = await fetch(`${base}/endpoints`, {
      method: "OPTIONS",
      headers: { origin: "https://portal.example", "access-control-request-method": "POST" }
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://portal.example")
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization")
    const denied = await fetch(`${base}/endpoints`, { method: "OPTIONS", headers: { origin: "https://evil.example" } })
    expect(denied.headers.get("access-control-allow-origin")).toBeNull()
    const get = await call("GET", "/endpoints", { token: a, headers: { origin: "https://portal.example" } })
    expect(get.headers.get("access-control-allow-origin")).toBe("https://portal.example")
    const docs = await fetch(`${base}/docs`)
    expect(docs.headers.get("content-type")).toContain("text/html")
    const html = await docs.text()
    for (const path of ["/endpoints/{id}/stats", "/deliveries/{id}/retry", "/messages/{id}/resend"]) {
      expect(html).toContain(path)
    }
    const unknown = await fetch(`${base}/nothing`, { headers: { authorization: `Bearer ${a}` } })
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ code: "not_found" })
  })
})
