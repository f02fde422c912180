/**
 * Endpoints that choose one of the engine's named egress proxies, end to end through the Promise API and the real
 * HTTP transport: a CONNECT proxy and a receiver on loopback (the SSRF guard lets 127.0.0.1 through here only).
 */
import { createHookwire, Errors } from "@hookwire/core"
import * as Http from "node:http"
import type * as Net from "node:net"
import * as NetModule from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"
import { catalog } from "./harness.js"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const listen = async (server: Net.Server): Promise<number> => {
  const sockets = new Set<Net.Socket>()
  server.on("connection", (socket: Net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  cleanups.push(() =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  )
  return (server.address() as Net.AddressInfo).port
}

/** A CONNECT proxy that records the authorities it is asked for. */
const startProxy = async () => {
  const asked: Array<string> = []
  const server = Http.createServer((_req, res) => res.writeHead(405).end())
  server.on("connect", (req: Http.IncomingMessage, client: Net.Socket) => {
    asked.push(req.url ?? "")
    const [host, port] = (req.url ?? "").split(":")
    const upstream = NetModule.connect({ host, port: Number(port) }, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on("error", () => client.destroy())
    client.on("error", () => upstream.destroy())
    client.on("close", () => upstream.destroy())
  })
  const port = await listen(server)
  return { asked, url: `http://127.0.0.1:${port}` }
}

const until = async <A>(f: () => Promise<A>, ok: (a: A) => boolean): Promise<A> => {
  for (let i = 0; i < 500; i++) {
    const a = await f()
    if (ok(a)) return a
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error("condition not met within 5 s")
}

describe("egress proxies per endpoint", () => {
  it("an endpoint that names a proxy is delivered through it; others go direct", async () => {
    const proxy = await startProxy()
    const received: Array<string | undefined> = []
    const port = await listen(Http.createServer((req, res) => {
      received.push(req.headers.host)
      res.writeHead(204).end()
    }))
    const hookwire = createHookwire({
      adapter: memory(),
      catalog,
      allowHttp: true,
      logger: false,
      proxies: { "static-egress": proxy.url },
      http: { allowCidrs: ["127.0.0.1/32"] }
    })
    cleanups.push(() => hookwire.close())
    await hookwire.start()
    const url = `http://localhost:${port}/hooks`
    const viaProxy = await hookwire.endpoints.create({
      tenant: "t",
      url,
      eventTypes: ["customer.created"],
      proxy: "static-egress"
    })
    expect(viaProxy.proxy).toBe("static-egress")
    expect((await hookwire.endpoints.get({ tenant: "t", id: viaProxy.id })).proxy).toBe("static-egress")
    const direct = await hookwire.endpoints.create({ tenant: "t", url, eventTypes: ["invoice.paid"] })
    expect(direct.proxy).toBeNull()

    await hookwire.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
    await hookwire.publish({ tenant: "t", type: "invoice.paid", data: { invoiceId: "i", amount: 1 } })
    await until(
      () => hookwire.deliveries.list({ tenant: "t" }),
      (page) => page.items.length === 2 && page.items.every((d) => d.status === "delivered")
    )
    expect(received).toStrictEqual([`localhost:${port}`, `localhost:${port}`])
    expect(proxy.asked).toStrictEqual([`127.0.0.1:${port}`])

    // Back to the transport's default (direct here).
    const cleared = await hookwire.endpoints.update({ tenant: "t", id: viaProxy.id, proxy: null })
    expect(cleared.proxy).toBeNull()
  })

  it("only the operator's proxy names are accepted, with a typed error listing them", async () => {
    const hookwire = createHookwire({
      adapter: memory(),
      catalog,
      logger: false,
      proxies: { "static-egress": "http://127.0.0.1:3128" }
    })
    cleanups.push(() => hookwire.close())
    const url = "https://receiver.example/hooks"
    for (const proxy of ["http://169.254.169.254:80", "other"]) {
      const error = await hookwire.endpoints.create({ tenant: "t", url, proxy }).catch((e) => e)
      expect(error).toBeInstanceOf(Errors.ValidationError)
      expect(error).toMatchObject({ code: "invalid_option", field: "proxy" })
      expect(error.message).toContain("static-egress")
    }
    expect(() => createHookwire({ adapter: memory(), catalog, proxies: { "bad name": "http://p:1" } })).toThrow(
      /proxies name/
    )
    expect(() => createHookwire({ adapter: memory(), catalog, proxies: { p: "https://u:sekrit@p:1" } })).toThrow(
      /must use http:/
    )
  })
})
