/**
 * What the API says of the host over real HTTP, every answer checked against the OpenAPI document: the scheme an
 * endpoint's deliveries are actually signed with (its own, else the host's default) with the header names, and
 * `GET /config` with whether the host uses channels (a host without them refuses endpoints that filter by them).
 */
import { Catalog, createHookwire, RecordingTransport } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { servers } from "@hookwire/testing/http"
import * as Verify from "@hookwire/verify"
import { afterAll, describe, expect, it } from "vitest"
import * as AccessToken from "../src/AccessToken.js"
import { managementApi, type Options } from "../src/Mount.js"
import { caller } from "./utils/http.js"

const tokens = AccessToken.make({ keys: "h".repeat(40) })
const token = tokens.create({ tenant: "acme", scope: "manage", ttl: "1 hour" })
const url = "https://receiver.example/hooks"

const open = servers()
const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  await open.closeAll()
  for (const close of closers.reverse()) await close()
})

/** A host on the memory adapter with these engine settings, its API mounted with these options. */
const host = async (
  engine: { readonly scheme?: Verify.Scheme; readonly schemes?: Record<string, Verify.Scheme> },
  options: Options = {}
) => {
  const hookwire = createHookwire({
    adapter: memory(),
    catalog: Catalog.make({ "invoice.paid": {} }),
    transport: RecordingTransport.layer(() => ({ status: 204 })),
    logger: false,
    ...engine
  })
  const api = managementApi(hookwire, { tokens, mountPath: "/webhooks", ...options })
  closers.push(() => hookwire.close(), () => api.dispose())
  const base = `${await open.listen(api.node)}/webhooks`
  const spec = await (await fetch(`${base}/openapi.json`)).json()
  return { hookwire, call: caller(base, spec) }
}

describe("the endpoint's effective signature scheme", () => {
  it("is the host's default when the endpoint has none of its own, with that scheme's header names", async () => {
    const { call } = await host({ scheme: Verify.stripe, schemes: { hub: Verify.github } })
    const created = await call("POST", "/endpoints", { token, body: { url } })
    expect(created.status).toBe(201)
    expect(created.body.scheme).toBeNull()
    const stripe = { scheme: "stripe", signatureHeader: "stripe-signature", timestampHeader: null, idHeader: null }
    expect(created.body.signature).toStrictEqual(stripe)
    const got = await call("GET", "/endpoints/{id}", { token, params: { id: created.body.id } })
    expect(got.body.signature).toStrictEqual(stripe)
    const listed = await call("GET", "/endpoints", { token })
    expect(listed.body.data.map((e: { signature: unknown }) => e.signature)).toStrictEqual([stripe])
  })

  it("is the endpoint's own scheme when it has one, named as the scheme names itself", async () => {
    const { call, hookwire } = await host({ scheme: Verify.stripe, schemes: { hub: Verify.github } })
    const own = await hookwire.endpoints.create({ tenant: "acme", url, scheme: "hub" })
    const got = await call("GET", "/endpoints/{id}", { token, params: { id: own.id } })
    expect(got.body.scheme).toBe("hub")
    expect(got.body.signature).toStrictEqual({
      scheme: "github",
      signatureHeader: "x-hub-signature-256",
      timestampHeader: null,
      idHeader: "x-github-delivery"
    })
    const disabled = await call("POST", "/endpoints/{id}/disable", { token, params: { id: own.id }, body: {} })
    expect(disabled.body.signature.scheme).toBe("github")
  })

  it("is Standard Webhooks by default, and a custom scheme's headers are reported as it sends them", async () => {
    const custom = Verify.hmac({
      name: "acme-sig",
      signatureHeader: "X-Acme-Signature",
      timestampHeader: "X-Acme-Time",
      content: "{timestamp}.{body}"
    })
    const { call, hookwire } = await host({ schemes: { acme: custom } })
    const plain = await call("POST", "/endpoints", { token, body: { url } })
    expect(plain.body.signature).toStrictEqual({
      scheme: "standard",
      signatureHeader: "webhook-signature",
      timestampHeader: "webhook-timestamp",
      idHeader: "webhook-id"
    })
    const own = await hookwire.endpoints.create({ tenant: "acme", url, scheme: "acme", secret: "a-raw-secret-of-16+" })
    const got = await call("GET", "/endpoints/{id}", { token, params: { id: own.id } })
    expect(got.body.signature).toStrictEqual({
      scheme: "acme-sig",
      signatureHeader: "x-acme-signature",
      timestampHeader: "x-acme-time",
      idHeader: null
    })
  })
})

describe("GET /config and a host without channels", () => {
  it("says a host uses channels by default, and endpoints may filter by them", async () => {
    const { call } = await host({})
    expect((await call("GET", "/config", { token })).body).toStrictEqual({ channels: true })
    const created = await call("POST", "/endpoints", { token, body: { url, channels: ["AAPL"] } })
    expect(created.status).toBe(201)
    expect(created.body.channels).toStrictEqual(["AAPL"])
  })

  it("says channels: false when the host says so, and refuses endpoints with channels, changing nothing", async () => {
    const { call, hookwire } = await host({}, { channels: false })
    const read = tokens.create({ tenant: "acme", scope: "read", ttl: "1 hour" })
    expect((await call("GET", "/config", { token: read })).body).toStrictEqual({ channels: false })

    const refused = await call("POST", "/endpoints", { token, body: { url, channels: ["AAPL"] } })
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({
      code: "channels_not_used",
      errors: [{ path: "channels", message: "channels are not used by this host" }]
    })
    expect((await hookwire.endpoints.list({ tenant: "acme" })).items).toStrictEqual([])

    const created = await call("POST", "/endpoints", { token, body: { url, channels: [] } })
    expect(created.status).toBe(201)
    const patched = await call("PATCH", "/endpoints/{id}", {
      token,
      params: { id: created.body.id },
      body: { name: "Main", channels: ["MSFT"] }
    })
    expect(patched.status).toBe(400)
    expect(patched.body.code).toBe("channels_not_used")
    const stored = await hookwire.endpoints.get({ tenant: "acme", id: created.body.id })
    expect(stored).toMatchObject({ name: null, channels: [] })
  })
})
