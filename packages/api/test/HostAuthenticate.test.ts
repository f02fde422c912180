/**
 * The host's own `authenticate` on every mount: it is called with a Web `Request` carrying the headers and the URL as
 * the host received it (mount path included) — on `node:http` and Express too, where the API reads the host's
 * message without making a `Request` per call — and its answer decides: a tenant is served, null is 401, a throw is
 * 500. And a body sent without a length (chunked) over the limit is refused with 413 on `node:http`.
 */
import { servers } from "@hookwire/testing/http"
import express5 from "express"
import { request as httpRequest } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { managementApi, type Mounted } from "../src/Mount.js"
import type { Authenticated } from "../src/Server.js"
import { type Engine, startEngine } from "./utils/engine.js"

describe("the host's authenticate", () => {
  const open = servers()
  let engine: Engine
  let api: Mounted
  const seen: Array<{ url: string; key: string | null; method: string }> = []
  beforeAll(async () => {
    engine = await startEngine("memory")
    api = managementApi(engine.hookwire, {
      mountPath: "/webhooks",
      maxBodyBytes: 32 * 1024,
      authenticate: (request): Authenticated | null => {
        const key = request.headers.get("x-api-key")
        seen.push({ url: new URL(request.url).pathname + new URL(request.url).search, key, method: request.method })
        if (key === "boom") throw new Error("the host's store is down")
        return key === "k-acme" ? { tenant: "acme", scope: "manage" } : null
      }
    })
  })
  afterAll(async () => {
    await open.closeAll()
    await api?.dispose()
    await engine?.close()
  })

  const exercise = async (base: string, prefix: string) => {
    seen.length = 0
    const created = await fetch(`${base}/endpoints`, {
      method: "POST",
      headers: { "x-api-key": "k-acme", "content-type": "application/json" },
      body: JSON.stringify({ url: "https://r.example/h" })
    })
    expect(created.status).toBe(201)
    const list = await fetch(`${base}/endpoints?limit=5`, { headers: { "x-api-key": "k-acme" } })
    expect(list.status).toBe(200)
    expect((await list.json()).data.map((e: { id: string }) => e.id)).toContain((await created.json()).id)
    expect(seen).toStrictEqual([
      { url: `${prefix}/endpoints`, key: "k-acme", method: "POST" },
      { url: `${prefix}/endpoints?limit=5`, key: "k-acme", method: "GET" }
    ])
    const refused = await fetch(`${base}/endpoints`, { headers: { "x-api-key": "nope" } })
    expect(refused.status).toBe(401)
    expect(refused.headers.get("www-authenticate")).toBe("Bearer")
    const failed = await fetch(`${base}/endpoints`, { headers: { "x-api-key": "boom" } })
    expect(failed.status).toBe(500)
    expect((await failed.json()).code).toBe("internal")
  }

  it("Web handler", async () => {
    const base = await open.listen(async (req, res) => {
      const chunks: Array<Buffer> = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const response = await api.handler(
        new Request(`http://host.example${req.url}`, {
          method: req.method ?? "GET",
          headers: req.headers as Record<string, string>,
          ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {})
        })
      )
      const headers: Record<string, string> = {}
      response.headers.forEach((value, name) => (headers[name] = value))
      res.writeHead(response.status, headers)
      res.end(Buffer.from(await response.arrayBuffer()))
    })
    await exercise(`${base}/webhooks`, "/webhooks")
  })

  it("node:http", async () => {
    await exercise(`${await open.listen(api.node)}/webhooks`, "/webhooks")
  })

  it("Express 5, with the URL as the host received it", async () => {
    const app = express5()
    app.use("/webhooks", api.express)
    await exercise(`${await open.listen(app as unknown as Parameters<typeof open.listen>[0])}/webhooks`, "/webhooks")
  })

  it("node:http: a chunked body over the limit is 413, and the endpoint is not created", async () => {
    const base = new URL(await open.listen(api.node))
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: base.hostname,
        port: base.port,
        method: "POST",
        path: "/webhooks/endpoints",
        headers: { "x-api-key": "k-acme", "content-type": "application/json", "transfer-encoding": "chunked" }
      }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on("error", reject)
      req.write(`{"url":"https://r.example/big","description":"`)
      for (let i = 0; i < 8; i++) req.write("x".repeat(8 * 1024))
      req.end(`"}`)
    })
    expect(status).toBe(413)
    const list = await fetch(`${base.origin}/webhooks/endpoints?limit=100`, { headers: { "x-api-key": "k-acme" } })
    expect((await list.json()).data.map((e: { url: string }) => e.url)).not.toContain("https://r.example/big")
  })
})
