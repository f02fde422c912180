/**
 * Egress through an HTTP CONNECT proxy, against a real proxy written here (it records every CONNECT it is asked and
 * tunnels to the named address) and real receivers, all on loopback. The SSRF guard still decides: the target is
 * resolved and checked before the CONNECT, and the proxy is asked for the checked address, never the host name.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type { Scope } from "effect/Scope"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import type * as Tls from "node:tls"
import * as HttpTransport from "../src/HttpTransport.js"
import { Transport, type TransportRequest } from "../src/Transport.js"

interface Asked {
  readonly authority: string
  readonly authorization: string | undefined
}

/** Listens on 127.0.0.1:0 until the scope closes (open sockets destroyed). */
const listen = (server: Net.Server): Effect.Effect<number, never, Scope> => {
  const sockets = new Set<Net.Socket>()
  server.on("connection", (socket: Net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  return Effect.acquireRelease(
    Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as Net.AddressInfo).port)))
    }),
    () =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  )
}

/** A CONNECT proxy: records what it is asked; answers `refuse` (e.g. 403) instead of tunnelling when set. */
const proxy = (refuse?: number) =>
  Effect.gen(function*() {
    const asked: Array<Asked> = []
    const tunnels: Array<Net.Socket> = []
    const server = Http.createServer((_req, res) => res.writeHead(405).end())
    server.on("connect", (req: Http.IncomingMessage, client: Net.Socket, head: Buffer) => {
      asked.push({ authority: req.url ?? "", authorization: req.headers["proxy-authorization"] })
      if (refuse !== undefined) return client.end(`HTTP/1.1 ${refuse} Refused\r\n\r\n`)
      const colon = (req.url ?? "").lastIndexOf(":")
      const host = (req.url ?? "").slice(0, colon).replace(/^\[|\]$/g, "")
      const upstream = Net.connect({ host, port: Number((req.url ?? "").slice(colon + 1)) }, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
        if (head.length > 0) upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      tunnels.push(upstream)
      upstream.on("error", () => client.destroy())
      client.on("error", () => upstream.destroy())
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => tunnels.forEach((socket) => socket.destroy())))
    const port = yield* listen(server)
    return { asked, url: (auth = "") => `http://${auth}127.0.0.1:${port}` }
  })

/** A receiver answering with the Host header it got. */
const receiver = () =>
  Effect.map(listen(Http.createServer((req, res) => res.end(`host=${req.headers.host}`))), (port) => port)

const post = (url: string, overrides: Partial<TransportRequest> = {}): TransportRequest => ({
  url,
  headers: { "content-type": "application/json", authorization: "Bearer receiver-token" },
  body: "{}",
  timeoutMs: 2_000,
  maxResponseBytes: 16 * 1024,
  ...overrides
})

const loopback = { allowCidrs: ["127.0.0.1/32"] } as const

describe("HttpTransport: egress proxy", () => {
  it.scopedLive("asks the proxy for the checked address, with the host name kept for Host, and proxy credentials", () =>
    Effect.gen(function*() {
      const egress = yield* proxy()
      const port = yield* receiver()
      const transport = yield* HttpTransport.make({ ...loopback, proxy: egress.url("ops:p%40ss@") })
      const response = yield* transport.send(post(`http://localhost:${port}/hooks`))
      expect(response.body).toBe(`host=localhost:${port}`)
      expect(egress.asked).toStrictEqual([{
        authority: `127.0.0.1:${port}`,
        authorization: `Basic ${Buffer.from("ops:p@ss").toString("base64")}`
      }])
      // Kept alive through the tunnel: a second request (a loop turn later, when undici reuses a socket) asks nothing
      // more of the proxy.
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      yield* transport.send(post(`http://localhost:${port}/hooks`))
      expect(egress.asked).toHaveLength(1)
    }))

  it.scopedLive("the SSRF guard decides before anything reaches the proxy", () =>
    Effect.gen(function*() {
      const egress = yield* proxy()
      const port = yield* receiver()
      const transport = yield* HttpTransport.make({ proxy: egress.url() })
      for (const url of [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`, "http://169.254.169.254/latest"]) {
        const error = yield* Effect.flip(transport.send(post(url)))
        expect(error.code).toBe("blocked")
      }
      expect(egress.asked).toStrictEqual([])
    }))

  it.scopedLive("a refused CONNECT is a connect error naming the status, never the credentials", () =>
    Effect.gen(function*() {
      const egress = yield* proxy(403)
      const port = yield* receiver()
      const transport = yield* HttpTransport.make({ ...loopback, proxy: egress.url("ops:hunter2-secret@") })
      const error = yield* Effect.flip(transport.send(post(`http://localhost:${port}/`)))
      expect(error.code).toBe("connect")
      expect(error.message).toContain("403")
      expect(error.message).not.toContain("hunter2")
      expect(egress.asked).toHaveLength(1)
    }))

  it.scopedLive("an unreachable proxy is a connect error", () =>
    Effect.gen(function*() {
      const closed = yield* Effect.async<number>((resume) => {
        const server = Net.createServer().listen(0, "127.0.0.1", () => {
          const { port } = server.address() as Net.AddressInfo
          server.close(() => resume(Effect.succeed(port)))
        })
      })
      const port = yield* receiver()
      const transport = yield* HttpTransport.make({ ...loopback, proxy: `http://127.0.0.1:${closed}` })
      expect((yield* Effect.flip(transport.send(post(`http://localhost:${port}/`)))).code).toBe("connect")
    }))

  it.scopedLive("a request's own proxy wins over the default; without either the connection is direct", () =>
    Effect.gen(function*() {
      const fallback = yield* proxy()
      const chosen = yield* proxy()
      const port = yield* receiver()
      const proxied = yield* HttpTransport.make({ ...loopback, proxy: fallback.url() })
      yield* proxied.send(post(`http://localhost:${port}/`, { proxy: chosen.url() }))
      expect(chosen.asked).toHaveLength(1)
      expect(fallback.asked).toHaveLength(0)
      const direct = yield* HttpTransport.make(loopback)
      expect((yield* direct.send(post(`http://localhost:${port}/`))).body).toBe(`host=localhost:${port}`)
      expect(fallback.asked.length + chosen.asked.length).toBe(1)
    }))

  it.scopedLive("invalid proxy URLs are refused without echoing credentials; HOOKWIRE_HTTP_PROXY is read", () =>
    Effect.gen(function*() {
      for (const bad of ["https://u:topsecret@proxy:3128", "socks5://proxy:1080", "http://proxy:3128/path", "nope"]) {
        const exit = yield* Effect.exit(HttpTransport.make({ proxy: bad }))
        expect(Exit.isFailure(exit)).toBe(true)
        expect(String(Exit.isFailure(exit) ? exit.cause : "")).not.toContain("topsecret")
      }
      const transport = yield* HttpTransport.make(loopback)
      const error = yield* Effect.flip(transport.send(post("http://127.0.0.1:1/", { proxy: "ftp://u:topsecret@x" })))
      expect(error.message).toContain("invalid egress proxy")
      expect(error.message).not.toContain("topsecret")

      const egress = yield* proxy()
      const port = yield* receiver()
      yield* Effect.provide(
        Effect.flatMap(Transport, (configured) => configured.send(post(`http://localhost:${port}/`))),
        HttpTransport.layerConfig().pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
            new Map([["HOOKWIRE_HTTP_PROXY", egress.url()], ["HOOKWIRE_HTTP_ALLOW_CIDRS", "127.0.0.1/32"]])
          )))
        )
      )
      expect(egress.asked).toStrictEqual([{ authority: `127.0.0.1:${port}`, authorization: undefined }])
    }))
})

// ---------------------------------------------------------------------------------------------------------------
// TLS through the tunnel: a test CA and a certificate for localhost made with the openssl CLI

const hasOpenssl = ChildProcess.spawnSync("openssl", ["version"]).status === 0
if (!hasOpenssl) console.warn("HttpTransportProxy TLS tests SKIPPED: the openssl CLI is not installed")

describe.skipIf(!hasOpenssl)("HttpTransport: egress proxy with TLS", () => {
  let dir = ""
  let ca = ""
  let leaf: Tls.SecureContextOptions = {}
  beforeAll(() => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "hookwire-proxy-tls-"))
    const openssl = (...args: Array<string>) => ChildProcess.execFileSync("openssl", args, { cwd: dir, stdio: "pipe" })
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Proxy Test CA")
    Fs.writeFileSync(Path.join(dir, "leaf.ext"), "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-new", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    openssl(
      ..."x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out leaf.crt -days 2".split(" "),
      "-extfile",
      "leaf.ext"
    )
    const read = (file: string) => Fs.readFileSync(Path.join(dir, file), "utf8")
    ca = read("ca.crt")
    leaf = { key: read("leaf.key"), cert: read("leaf.crt") }
  })
  afterAll(() => {
    if (dir !== "") Fs.rmSync(dir, { recursive: true, force: true })
  })

  it.scopedLive("TLS runs end to end through the tunnel: SNI and verification on the host name", () =>
    Effect.gen(function*() {
      const egress = yield* proxy()
      let servername: string | false | null | undefined
      const port = yield* listen(Https.createServer(leaf, (req, res) => {
        servername = (req.socket as Tls.TLSSocket).servername
        res.end(`secure host=${req.headers.host}`)
      }))
      const transport = yield* HttpTransport.make({ ...loopback, ca, proxy: egress.url() })
      const response = yield* transport.send(post(`https://localhost:${port}/`))
      expect(response.body).toBe(`secure host=localhost:${port}`)
      expect(servername).toBe("localhost")
      expect(egress.asked.map((a) => a.authority)).toStrictEqual([`127.0.0.1:${port}`])
      // The certificate is for localhost: by address, verification fails although the tunnel opens.
      const error = yield* Effect.flip(transport.send(post(`https://127.0.0.1:${port}/`)))
      expect(error.code).toBe("tls")
    }))
})
