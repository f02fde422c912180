/**
 * Every mount serves the same routes: the Web handler (called with `Request`s, as Hono, Next.js, Bun or Deno call
 * it), `node:http`, Express 4, Express 5 (also behind `express.json()`) and Fastify 5, each under a mount path, over
 * real HTTP on loopback. And the portal's standalone build served from a folder.
 */
import { servers } from "@hookwire/testing/http"
import express5 from "express"
import Fastify from "fastify"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as AccessToken from "../src/AccessToken.js"
import { managementApi, type Mounted } from "../src/Mount.js"
import { type Engine, startEngine } from "./utils/engine.js"

const express4 = createRequire(import.meta.url)("express4") as typeof express5
const tokens = AccessToken.make({ keys: "m".repeat(32) })
const token = tokens.create({ tenant: "mounts", scope: "manage", ttl: "1 hour" })
const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" }

/** The same conversation with any mount: create, read, list, stats, delete, problems, the document. */
const exercise = async (fetchAt: (path: string, init?: RequestInit) => Promise<Response>) => {
  const created = await fetchAt("/endpoints", {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ url: "https://r.example/h", name: "mounted" })
  })
  expect(created.status).toBe(201)
  const { id } = await created.json()
  expect((await (await fetchAt(`/endpoints/${id}`, { headers: auth })).json()).name).toBe("mounted")
  const list = await (await fetchAt("/endpoints?limit=5", { headers: auth })).json()
  expect(list.data.map((e: { id: string }) => e.id)).toContain(id)
  expect((await fetchAt(`/endpoints/${id}/stats`, { headers: auth })).status).toBe(200)
  const malformed = await fetchAt("/endpoints", { method: "POST", headers: auth, body: "{nope" })
  expect(malformed.status).toBe(400)
  expect(malformed.headers.get("content-type")).toBe("application/problem+json")
  const huge = await fetchAt("/endpoints", {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ url: "https://r.example/h", description: "x".repeat(40_000) })
  })
  expect(huge.status).toBe(413)
  expect((await fetchAt("/endpoints", { headers: {} })).status).toBe(401)
  expect((await fetchAt(`/endpoints/${id}`, { method: "DELETE", headers: auth })).status).toBe(204)
  expect((await fetchAt(`/endpoints/${id}`, { headers: auth })).status).toBe(404)
  const doc = await (await fetchAt("/openapi.json")).json()
  expect(doc.openapi).toBe("3.1.0")
  expect((await fetchAt("/docs")).status).toBe(200)
}

describe("mounts", () => {
  const open = servers()
  let engine: Engine
  let api: Mounted
  let portalDir: string
  beforeAll(async () => {
    engine = await startEngine("memory")
    portalDir = await mkdtemp(Path.join(tmpdir(), "hookwire-portal-"))
    await mkdir(Path.join(portalDir, "assets"))
    await writeFile(Path.join(portalDir, "index.html"), "<!doctype html><title>portal</title>")
    await writeFile(Path.join(portalDir, "assets", "app-1.js"), "console.log(1)")
    await writeFile(Path.join(Path.dirname(portalDir), "secret.txt"), "outside")
    api = managementApi(engine.hookwire, {
      tokens,
      mountPath: "/webhooks",
      maxBodyBytes: 32 * 1024,
      portal: { dir: portalDir }
    })
  })
  afterAll(async () => {
    await open.closeAll()
    await api?.dispose()
    await engine?.close()
    await rm(portalDir, { recursive: true, force: true })
  })

  it("Web handler (Request → Response)", async () => {
    await exercise((path, init) => api.handler(new Request(`http://host.example/webhooks${path}`, init)))
    const outside = await api.handler(new Request("http://host.example/other/endpoints"))
    expect(outside.status).toBe(404)
  })

  it("node:http", async () => {
    const base = await open.listen(api.node)
    await exercise((path, init) => fetch(`${base}/webhooks${path}`, init))
  })

  it("Express 5, and behind express.json()", async () => {
    const app = express5()
    app.use("/webhooks", api.express)
    const base = await open.listen(app as unknown as Parameters<typeof open.listen>[0])
    await exercise((p, init) => fetch(`${base}/webhooks${p}`, init))
    // Mounted after the app's JSON parser, the parsed body is used (malformed bodies are then the parser's to refuse).
    const parsed = express5()
    parsed.use(express5.json())
    parsed.use("/hooks", api.express)
    const parsedBase = await open.listen(parsed as unknown as Parameters<typeof open.listen>[0])
    const created = await fetch(`${parsedBase}/hooks/endpoints`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: "https://r.example/parsed" })
    })
    expect(created.status).toBe(201)
    const unknown = await fetch(`${parsedBase}/hooks/endpoints`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: "https://r.example/parsed", extra: true })
    })
    expect((await unknown.json()).errors[0].path).toBe("extra")
  })

  it("Express 4", async () => {
    const app = express4()
    app.use("/webhooks", api.express)
    const base = await open.listen(app as unknown as Parameters<typeof open.listen>[0])
    await exercise((path, init) => fetch(`${base}/webhooks${path}`, init))
  })

  it("Fastify 5 (the app's own JSON parser untouched)", async () => {
    const app = Fastify()
    app.post("/echo", async (request) => ({ got: request.body }))
    await app.register(api.fastify, { prefix: "/webhooks" })
    await app.listen({ port: 0, host: "127.0.0.1" })
    try {
      const address = app.server.address() as { port: number }
      const base = `http://127.0.0.1:${address.port}`
      await exercise((path, init) => fetch(`${base}/webhooks${path}`, init))
      const echo = await fetch(`${base}/echo`, { method: "POST", headers: auth, body: JSON.stringify({ a: 1 }) })
      expect(await echo.json()).toStrictEqual({ got: { a: 1 } })
    } finally {
      await app.close()
    }
  })

  it("serves the portal's build from its folder, never outside it", async () => {
    const base = (await open.listen(api.node)) + "/webhooks"
    const redirect = await fetch(`${base}/portal`, { redirect: "manual" })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get("location")).toBe("portal/")
    const index = await fetch(`${base}/portal/`)
    expect(await index.text()).toContain("<title>portal</title>")
    expect(index.headers.get("cache-control")).toBe("no-cache")
    const asset = await fetch(`${base}/portal/assets/app-1.js`)
    expect(asset.headers.get("content-type")).toContain("javascript")
    expect(asset.headers.get("cache-control")).toContain("immutable")
    const route = await fetch(`${base}/portal/endpoints/ep_1`)
    expect(await route.text()).toContain("<title>portal</title>")
    for (const attack of ["/portal/../secret.txt", "/portal/%2e%2e/secret.txt", "/portal/..%2fsecret.txt"]) {
      const text = await (await fetch(`${base}${attack}`)).text()
      expect(text, attack).not.toContain("outside")
    }
    const noPortal = managementApi(engine.hookwire, { tokens })
    const missing = await noPortal.handler(new Request("http://h/portal/"))
    expect(missing.status).toBe(401)
    await noPortal.dispose()
  })
})
