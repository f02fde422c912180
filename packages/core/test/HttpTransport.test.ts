import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
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
import { TransportError } from "../src/Errors.js"
import * as HttpTransport from "../src/HttpTransport.js"
import * as TransportErrors from "../src/internal/transportError.js"
import { Transport, type TransportRequest } from "../src/Transport.js"

// ---------------------------------------------------------------------------------------------------------------
// Real servers on 127.0.0.1, port 0

interface Served {
  readonly port: number
  readonly url: (path?: string) => string
  /** Connections accepted so far. */
  readonly connections: () => number
  /** Connections currently open. */
  readonly open: () => number
  /** Whether the n-th accepted connection (0-based) is closed. */
  readonly isClosed: (n: number) => boolean
}

const serve = (server: Net.Server, host = "127.0.0.1", scheme = "http"): Effect.Effect<Served, never, Scope> => {
  const sockets = new Set<Net.Socket>()
  const closed: Array<boolean> = []
  server.on("connection", (socket: Net.Socket) => {
    const n = closed.push(false) - 1
    sockets.add(socket)
    socket.on("close", () => {
      closed[n] = true
      sockets.delete(socket)
    })
  })
  return Effect.acquireRelease(
    Effect.async<Served>((resume) => {
      server.listen(0, host, () => {
        const { port } = server.address() as Net.AddressInfo
        resume(Effect.succeed({
          port,
          url: (path = "/") => `${scheme}://${host}:${port}${path}`,
          connections: () => closed.length,
          open: () => sockets.size,
          isClosed: (n) => closed[n] === true
        }))
      })
    }),
    () =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  )
}

/** A port nothing listens on. */
const freePort = Effect.async<number>((resume) => {
  const server = Net.createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * One turn of the event loop. undici hands a keep-alive socket to the next request only after a full turn (it
 * guards against servers that close despite promising keep-alive); a request issued sooner opens a second
 * connection.
 */
const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Waits for a condition, polling every 10 ms, at most `timeoutMs`. */
const eventually = (what: string, predicate: () => boolean, timeoutMs = 2_000) =>
  Effect.gen(function*() {
    for (let i = 0; i * 10 <= timeoutMs; i++) {
      if (predicate()) return
      yield* Effect.sleep(10)
    }
    return yield* Effect.dieMessage(`not within ${timeoutMs} ms: ${what}`)
  })

const post = (url: string, overrides: Partial<TransportRequest> = {}): TransportRequest => ({
  url,
  headers: { "content-type": "application/json", "user-agent": "Hookwire/test", "webhook-signature": "v1,abc" },
  body: "{\"type\":\"test\"}",
  timeoutMs: 2_000,
  maxResponseBytes: 16 * 1024,
  ...overrides
})

const loopback = { allowCidrs: ["127.0.0.1/32"] } as const

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    const result = yield* effect
    return [result, performance.now() - start] as const
  })

const fail = (request: TransportRequest, options: HttpTransport.Options = loopback) =>
  Effect.gen(function*() {
    const transport = yield* HttpTransport.make(options)
    return yield* Effect.flip(transport.send(request))
  })

// ---------------------------------------------------------------------------------------------------------------

describe("HttpTransport: responses", () => {
  it.scopedLive("2xx: sends exactly the caller's request and returns status, lower-case headers and body", () =>
    Effect.gen(function*() {
      let received: {
        method?: string | undefined
        url?: string | undefined
        headers?: Http.IncomingHttpHeaders
        body?: string
      } = {}
      const served = yield* serve(Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          received = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }
          res.setHeader("X-Multi", ["a", "b"])
          res.writeHead(201, { "Content-Type": "text/plain", "X-Custom": "Yes" })
          res.end("héllo")
        })
      }))
      const transport = yield* HttpTransport.make(loopback)
      const response = yield* transport.send(post(served.url("/hooks/a?x=1&y=2")))
      expect(response.status).toBe(201)
      expect(response.body).toBe("héllo")
      expect(response.headers["content-type"]).toBe("text/plain")
      expect(response.headers["x-custom"]).toBe("Yes")
      expect(response.headers["x-multi"]).toBe("a, b")
      expect(received.method).toBe("POST")
      expect(received.url).toBe("/hooks/a?x=1&y=2")
      expect(received.body).toBe("{\"type\":\"test\"}")
      expect(received.headers?.["webhook-signature"]).toBe("v1,abc")
      expect(received.headers?.["user-agent"]).toBe("Hookwire/test")
    }))

  it.scopedLive("3xx is a response: the redirect is not followed", () =>
    Effect.gen(function*() {
      let followed = 0
      const served = yield* serve(Http.createServer((req, res) => {
        if (req.url === "/next") followed++
        res.writeHead(req.url === "/next" ? 200 : 302, { location: "/next" }).end()
      }))
      const transport = yield* HttpTransport.make(loopback)
      const response = yield* transport.send(post(served.url("/start")))
      expect(response.status).toBe(302)
      expect(response.headers.location).toBe("/next")
      expect(followed).toBe(0)
    }))

  it.scopedLive("4xx and 5xx are responses, with their bodies", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((req, res) => {
        const status = Number(req.url!.slice(1))
        res.writeHead(status, { "retry-after": "120" }).end(`status ${status}`)
      }))
      const transport = yield* HttpTransport.make(loopback)
      for (const status of [400, 404, 410, 429, 500, 503]) {
        const response = yield* transport.send(post(served.url(`/${status}`)))
        expect(response.status).toBe(status)
        expect(response.body).toBe(`status ${status}`)
        expect(response.headers["retry-after"]).toBe("120")
      }
    }))

  it.scopedLive("204 has an empty body; keep-alive reuses one connection", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.writeHead(204).end()))
      const transport = yield* HttpTransport.make(loopback)
      for (let i = 0; i < 3; i++) {
        const response = yield* transport.send(post(served.url()))
        expect(response).toEqual({ status: 204, headers: expect.any(Object), body: "" })
        yield* nextTurn
      }
      expect(served.connections()).toBe(1)
    }))

  it.scopedLive("back-to-back requests alternate between at most two kept-alive connections", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.writeHead(204).end()))
      const transport = yield* HttpTransport.make(loopback)
      for (let i = 0; i < 20; i++) yield* transport.send(post(served.url()))
      expect(served.connections()).toBeLessThanOrEqual(2)
    }))

  it.scopedLive("sends no tracing headers, even inside a span", () =>
    Effect.gen(function*() {
      let names: Array<string> = []
      const served = yield* serve(Http.createServer((req, res) => {
        names = req.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase())
        req.resume()
        req.on("end", () => res.writeHead(204).end())
      }))
      const transport = yield* HttpTransport.make(loopback)
      yield* transport.send(post(served.url())).pipe(Effect.withSpan("parent"), Effect.withSpan("grandparent"))
      expect(names.sort()).toEqual(
        ["connection", "content-length", "content-type", "host", "user-agent", "webhook-signature"]
      )
    }))
})

describe("HttpTransport: bounded response body", () => {
  it.scopedLive("an endless body is cut at maxResponseBytes and not read further", () =>
    Effect.gen(function*() {
      let written = 0
      let closed = false
      const chunk = Buffer.alloc(64 * 1024, "x")
      const served = yield* serve(Http.createServer((_req, res) => {
        res.on("close", () => (closed = true))
        res.writeHead(200, { "content-type": "text/plain" })
        const pump = () => {
          for (let i = 0; i < 16 && !closed; i++) {
            written += chunk.length
            if (!res.write(chunk)) return void res.once("drain", pump)
          }
          if (!closed) setImmediate(pump)
        }
        pump()
      }))
      const transport = yield* HttpTransport.make(loopback)
      const [response, elapsed] = yield* timed(transport.send(post(served.url(), { maxResponseBytes: 1000 })))
      expect(response.status).toBe(200)
      expect(response.body).toBe("x".repeat(1000))
      expect(elapsed).toBeLessThan(2_000)
      // The connection is dropped, so the server stops writing.
      yield* eventually("server sees the connection closed", () => closed)
      const after = written
      yield* Effect.sleep(200)
      expect(written).toBe(after)
      expect(served.isClosed(0)).toBe(true)
    }))

  it.scopedLive("a body of exactly maxResponseBytes is read whole and the connection kept", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.end("0123456789")))
      const transport = yield* HttpTransport.make(loopback)
      for (let i = 0; i < 2; i++) {
        const response = yield* transport.send(post(served.url(), { maxResponseBytes: 10 }))
        expect(response.body).toBe("0123456789")
        yield* nextTurn
      }
      expect(served.connections()).toBe(1)
    }))

  it.scopedLive("the cut never splits a UTF-8 character; maxResponseBytes 0 gives an empty body", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.end("é".repeat(10))))
      const transport = yield* HttpTransport.make(loopback)
      expect((yield* transport.send(post(served.url(), { maxResponseBytes: 5 }))).body).toBe("éé")
      expect((yield* transport.send(post(served.url(), { maxResponseBytes: 0 }))).body).toBe("")
    }))
})

describe("HttpTransport: hostile receivers", () => {
  it.scopedLive("a receiver that never answers times out at the deadline and the socket is closed", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer(() => {}))
      const transport = yield* HttpTransport.make(loopback)
      const [error, elapsed] = yield* timed(Effect.flip(transport.send(post(served.url(), { timeoutMs: 300 }))))
      expect(error.code).toBe("timeout")
      expect(elapsed).toBeGreaterThanOrEqual(250)
      expect(elapsed).toBeLessThan(2_000)
      yield* eventually("the request's connection is closed", () => served.isClosed(0))
    }))

  it.scopedLive("slowloris (headers, then one body byte every 100 ms) still ends at the deadline", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" })
        res.write("a")
        const timer = setInterval(() => res.write("a"), 100)
        res.on("close", () => clearInterval(timer))
      }))
      const transport = yield* HttpTransport.make(loopback)
      const [error, elapsed] = yield* timed(Effect.flip(transport.send(post(served.url(), { timeoutMs: 500 }))))
      expect(error.code).toBe("timeout")
      expect(elapsed).toBeGreaterThanOrEqual(450)
      expect(elapsed).toBeLessThan(2_000)
      yield* eventually("the request's connection is closed", () => served.isClosed(0))
    }))

  it.scopedLive("slow headers (one header line every 100 ms) end at the deadline", () =>
    Effect.gen(function*() {
      const served = yield* serve(Net.createServer((socket) => {
        socket.once("data", () => {
          socket.write("HTTP/1.1 200 OK\r\n")
          const timer = setInterval(() => socket.write("x-slow: a\r\n"), 100)
          socket.on("close", () => clearInterval(timer))
        })
      }))
      const transport = yield* HttpTransport.make(loopback)
      const [error, elapsed] = yield* timed(Effect.flip(transport.send(post(served.url(), { timeoutMs: 500 }))))
      expect(error.code).toBe("timeout")
      expect(elapsed).toBeLessThan(2_000)
    }))

  it.scopedLive("a connection reset is a connect error", () =>
    Effect.gen(function*() {
      const served = yield* serve(Net.createServer((socket) => socket.once("data", () => socket.resetAndDestroy())))
      const error = yield* fail(post(served.url()))
      expect(error.code).toBe("connect")
      expect(error.message).toContain("reset")
    }))

  it.scopedLive("a connection closed before any response is a connect error", () =>
    Effect.gen(function*() {
      const served = yield* serve(Net.createServer((socket) => socket.once("data", () => socket.end())))
      const error = yield* fail(post(served.url()))
      expect(error.code).toBe("connect")
    }))

  it.scopedLive("a refused port is a connect error", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const error = yield* fail(post(`http://127.0.0.1:${port}/`))
      expect(error.code).toBe("connect")
      expect(error.message).toContain("refused")
    }))

  it.scopedLive("invalid HTTP is a protocol error", () =>
    Effect.gen(function*() {
      const served = yield* serve(
        Net.createServer((socket) => socket.once("data", () => socket.end("garbage\r\n\r\n")))
      )
      const error = yield* fail(post(served.url()))
      expect(error.code).toBe("protocol")
      expect(error.message).toContain("invalid HTTP response")
      expect(error.message).not.toContain("garbage")
    }))

  it.scopedLive("huge response headers are a protocol error, promptly", () =>
    Effect.gen(function*() {
      const served = yield* serve(Net.createServer((socket) => {
        socket.on("error", () => {})
        socket.once("data", () => socket.write(`HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(1024 * 1024)}\r\n\r\n`))
      }))
      const [error, elapsed] = yield* timed(fail(post(served.url())))
      expect(error.code).toBe("protocol")
      expect(error.message).toBe("response headers too large")
      expect(elapsed).toBeLessThan(2_000)
    }))

  it.scopedLive("interrupting a send aborts the request and closes its connection", () =>
    Effect.gen(function*() {
      let requests = 0
      const served = yield* serve(Http.createServer(() => void requests++))
      const transport = yield* HttpTransport.make(loopback)
      const fiber = yield* Effect.fork(transport.send(post(served.url(), { timeoutMs: 30_000 })))
      yield* eventually("the server received the request", () => requests === 1)
      yield* Fiber.interrupt(fiber)
      yield* eventually("the request's connection is closed", () => served.isClosed(0))
    }))
})

describe("HttpTransport: request errors", () => {
  it.scopedLive("an invalid URL or scheme is refused without a connection", () =>
    Effect.gen(function*() {
      expect((yield* fail(post("not a url"))).code).toBe("unknown")
      const error = yield* fail(post("ftp://127.0.0.1/x"))
      expect(error.code).toBe("unknown")
      expect(error.message).toContain("ftp:")
    }))

  it.scopedLive("an invalid header is refused and its value never appears in the message", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.end()))
      const error = yield* fail(post(served.url(), { headers: { "x-signature": "secret-value\r\nx-injected: 1" } }))
      expect(error.code).toBe("unknown")
      expect(error.message).not.toContain("secret-value")
      expect(served.connections()).toBe(0)
    }))
})

describe("HttpTransport: unsafeSend", () => {
  it.scopedLive("reports the response, or an error even when known at once, only after it returned", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.writeHead(202, { "x-a": "b" }).end("ok")))
      const transport = yield* HttpTransport.make(loopback)
      const send = (request: TransportRequest) =>
        Effect.async<{ readonly result: unknown; readonly early: boolean }>((resume) => {
          let returned = false
          transport.unsafeSend!(request, (result) => resume(Effect.succeed({ result, early: !returned })))
          returned = true
        })
      const answered = yield* send(post(served.url()))
      expect(answered.early).toBe(false)
      expect(answered.result).toMatchObject({ status: 202, body: "ok", headers: { "x-a": "b" } })
      for (const request of [post("not a url"), post(served.url(), { headers: { "x-bad": "a\r\nb: c" } })]) {
        const refused = yield* send(request)
        expect(refused.early).toBe(false)
        expect(refused.result).toBeInstanceOf(TransportError)
        expect((refused.result as TransportError).code).toBe("unknown")
      }
    }))

  it.scopedLive("cancelling aborts the request, closes its connection, and reports nothing", () =>
    Effect.gen(function*() {
      let requests = 0
      const served = yield* serve(Http.createServer(() => void requests++))
      const transport = yield* HttpTransport.make(loopback)
      let reported = 0
      const cancel = transport.unsafeSend!(post(served.url(), { timeoutMs: 30_000 }), () => void reported++)
      yield* eventually("the server received the request", () => requests === 1)
      cancel()
      yield* eventually("the request's connection is closed", () => served.isClosed(0))
      yield* nextTurn
      expect(reported).toBe(0)
    }))
})

describe("HttpTransport: pools", () => {
  it.scopedLive("closing the layer's scope closes its connections", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.end("ok")))
      yield* Effect.scoped(Effect.gen(function*() {
        const transport = yield* HttpTransport.make(loopback)
        yield* transport.send(post(served.url()))
        expect(served.open()).toBe(1)
      }))
      yield* eventually("the keep-alive connection is closed", () => served.open() === 0)
    }))

  it.scopedLive("a request that times out while queued for a connection is dropped without costing one", () =>
    Effect.gen(function*() {
      const paths: Array<string> = []
      const served = yield* serve(Http.createServer((req, res) => {
        paths.push(req.url!)
        if (req.url === "/slow") setTimeout(() => res.end("slow"), 400)
        else res.end("fast")
      }))
      const transport = yield* HttpTransport.make({ ...loopback, connections: 1 })
      const slow = yield* Effect.fork(transport.send(post(served.url("/slow"))))
      yield* eventually("the slow request holds the only connection", () => paths.length === 1)
      const queued = yield* Effect.flip(transport.send(post(served.url("/queued"), { timeoutMs: 100 })))
      expect(queued.code).toBe("timeout")
      expect((yield* Fiber.join(slow)).body).toBe("slow")
      yield* nextTurn
      expect((yield* transport.send(post(served.url("/fast")))).body).toBe("fast")
      // One connection throughout: the timed-out request never reached the server nor broke the socket.
      expect(paths).toEqual(["/slow", "/fast"])
      expect(served.connections()).toBe(1)
    }))

  it.scopedLive("beyond maxOrigins the least recently used pool is closed", () =>
    Effect.gen(function*() {
      const a = yield* serve(Http.createServer((_req, res) => res.end("a")))
      const b = yield* serve(Http.createServer((_req, res) => res.end("b")))
      const transport = yield* HttpTransport.make({ ...loopback, maxOrigins: 1 })
      expect((yield* transport.send(post(a.url()))).body).toBe("a")
      expect((yield* transport.send(post(b.url()))).body).toBe("b")
      yield* eventually("a's pool is closed", () => a.open() === 0)
      expect(b.open()).toBe(1)
      // a is reachable again through a new pool
      expect((yield* transport.send(post(a.url()))).body).toBe("a")
    }))

  it.scopedLive("layerConfig reads HOOKWIRE_HTTP_* and rejects an invalid allow-list", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.end("ok")))
      const env = (entries: ReadonlyArray<readonly [string, string]>) =>
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries)))
      const response = yield* Effect.flatMap(Transport, (transport) => transport.send(post(served.url()))).pipe(
        Effect.provide(HttpTransport.layerConfig()),
        env([["HOOKWIRE_HTTP_ALLOW_CIDRS", "10.0.0.0/8,127.0.0.1/32"], ["HOOKWIRE_HTTP_CONNECTIONS", "2"]])
      )
      expect(response.body).toBe("ok")
      const blocked = yield* Effect.flip(
        Effect.flatMap(Transport, (transport) => transport.send(post(served.url()))).pipe(
          Effect.provide(HttpTransport.layerConfig()),
          env([])
        )
      )
      expect(blocked).toBeInstanceOf(TransportError)
      expect((blocked as TransportError).code).toBe("blocked")
      const invalid = yield* Effect.exit(
        Layer.build(HttpTransport.layerConfig()).pipe(env([["HOOKWIRE_HTTP_ALLOW_CIDRS", "127.0.0.1/99"]]))
      )
      expect(Exit.isFailure(invalid)).toBe(true)
      expect(String(Exit.isFailure(invalid) ? invalid.cause : "")).toContain("127.0.0.1/99")
    }))

  it.scopedLive("invalid options fail with a ValidationError that says what to fix, not a defect", () =>
    Effect.gen(function*() {
      const cidrs = yield* Effect.flip(HttpTransport.make({ allowCidrs: ["nope"] }))
      expect([cidrs._tag, cidrs.code, cidrs.field]).toEqual(["ValidationError", "invalid_option", "http"])
      expect(cidrs.message).toContain("\"nope\" is not an IP address or CIDR range")
      const connections = yield* Effect.flip(HttpTransport.make({ connections: 0 }))
      expect(connections.message).toContain("connections must be a positive integer")
    }))
})

describe("HttpTransport: SSRF guard", () => {
  it.scopedLive("by default refuses loopback in every spelling, and localhost, before connecting", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.end("reached")))
      const port = served.port
      const transport = yield* HttpTransport.make()
      const urls = [
        `http://127.0.0.1:${port}/`,
        `http://2130706433:${port}/`,
        `http://0x7f.1:${port}/`,
        `http://0177.0.0.1:${port}/`,
        `http://127.1:${port}/`,
        `http://0x7f000001:${port}/`,
        `http://localhost:${port}/`,
        `http://[::1]:${port}/`,
        `http://[::ffff:127.0.0.1]:${port}/`,
        `http://[::ffff:7f00:1]:${port}/`,
        `http://[64:ff9b::7f00:1]:${port}/`,
        `http://[::ffff:0:7f00:1]:${port}/`,
        `https://127.0.0.1:${port}/`
      ]
      for (const url of urls) {
        const error = yield* Effect.flip(transport.send(post(url)))
        expect(error.code, url).toBe("blocked")
        expect(error.message, url).toContain("loopback")
      }
      expect(served.connections()).toBe(0)
    }))

  it.scopedLive("refuses private, link-local (metadata), CGNAT, multicast, reserved and IPv6 local ranges", () =>
    Effect.gen(function*() {
      const transport = yield* HttpTransport.make()
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["http://10.0.0.1/", "private"],
        ["http://172.16.5.4/", "private"],
        ["http://192.168.0.1:8080/", "private"],
        ["http://169.254.169.254/latest/meta-data/?token=secret-query", "link-local"],
        ["http://100.64.0.1/", "carrier-grade NAT"],
        ["http://0.0.0.0/", "unspecified"],
        ["http://224.0.0.1/", "multicast"],
        ["http://240.0.0.1/", "reserved"],
        ["http://255.255.255.255/", "broadcast"],
        ["http://[fd00::1]/", "unique local"],
        ["http://[fe80::1]/", "link-local"],
        ["http://[::ffff:169.254.169.254]/", "link-local"],
        ["http://[::ffff:10.0.0.1]/", "private"],
        ["http://[ff02::1]/", "multicast"]
      ]
      for (const [url, addressClass] of cases) {
        const error = yield* Effect.flip(transport.send(post(url, { timeoutMs: 1_000 })))
        expect(error.code, url).toBe("blocked")
        expect(error.message, url).toContain(addressClass)
        expect(error.message, url).not.toContain("secret-query")
      }
    }))

  it.scopedLive("allowCidrs permits exactly the listed range", () =>
    Effect.gen(function*() {
      const one = yield* serve(Http.createServer((_req, res) => res.end("one")))
      const two = yield* serve(Http.createServer((_req, res) => res.end("two")), "127.0.0.2")
      const transport = yield* HttpTransport.make({ allowCidrs: ["127.0.0.1/32"] })
      expect((yield* transport.send(post(one.url()))).body).toBe("one")
      expect((yield* transport.send(post(`http://localhost:${one.port}/`))).body).toBe("one")
      const error = yield* Effect.flip(transport.send(post(two.url())))
      expect(error.code).toBe("blocked")
      expect(two.connections()).toBe(0)
      const open = yield* HttpTransport.make({ allowCidrs: ["127.0.0.0/8"] })
      expect((yield* open.send(post(two.url()))).body).toBe("two")
    }))

  it.scopedLive("allowPrivateNetworks turns the guard off", () =>
    Effect.gen(function*() {
      const one = yield* serve(Http.createServer((_req, res) => res.end("one")))
      const two = yield* serve(Http.createServer((_req, res) => res.end("two")), "127.0.0.2")
      const transport = yield* HttpTransport.make({ allowPrivateNetworks: true })
      expect((yield* transport.send(post(two.url()))).body).toBe("two")
      expect((yield* transport.send(post(`http://localhost:${one.port}/`))).body).toBe("one")
      expect((yield* transport.send(post(`http://2130706433:${one.port}/`))).body).toBe("one")
    }))
})

// ---------------------------------------------------------------------------------------------------------------
// TLS: a test CA and certificates made with the openssl CLI (Node cannot issue X.509 certificates itself)

const hasOpenssl = ChildProcess.spawnSync("openssl", ["version"]).status === 0
if (!hasOpenssl) console.warn("HttpTransport TLS tests SKIPPED: the openssl CLI is not installed")

interface Pki {
  readonly ca: string
  readonly leaf: Tls.SecureContextOptions
  readonly otherName: Tls.SecureContextOptions
  readonly selfSigned: Tls.SecureContextOptions
}

describe.skipIf(!hasOpenssl)("HttpTransport: TLS", () => {
  let dir = ""
  let pki: Pki
  beforeAll(() => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "hookwire-tls-"))
    const openssl = (...args: Array<string>) => ChildProcess.execFileSync("openssl", args, { cwd: dir, stdio: "pipe" })
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=Hookwire Test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign"
    )
    const issue = (name: string, san: string) => {
      Fs.writeFileSync(
        Path.join(dir, `${name}.ext`),
        `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`
      )
      openssl("req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`)
      openssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`
      )
    }
    issue("leaf", "DNS:localhost,IP:127.0.0.1")
    issue("other", "DNS:other.example")
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "self.key",
      "-out",
      "self.crt",
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1"
    )
    const read = (file: string) => Fs.readFileSync(Path.join(dir, file), "utf8")
    const pair = (name: string) => ({ key: read(`${name}.key`), cert: read(`${name}.crt`) })
    pki = { ca: read("ca.crt"), leaf: pair("leaf"), otherName: pair("other"), selfSigned: pair("self") }
  })
  afterAll(() => {
    if (dir !== "") Fs.rmSync(dir, { recursive: true, force: true })
  })

  const httpsServer = (options: Tls.SecureContextOptions, onRequest?: (req: Http.IncomingMessage) => void) =>
    serve(
      Https.createServer(options, (req, res) => {
        onRequest?.(req)
        res.end("secure")
      }),
      "127.0.0.1",
      "https"
    )

  it.scopedLive("a certificate from a CA passed in `ca` is trusted, by IP and by host name (SNI)", () =>
    Effect.gen(function*() {
      let servername: string | false | null | undefined
      const served = yield* httpsServer(pki.leaf, (req) => {
        servername = (req.socket as Tls.TLSSocket).servername
      })
      const transport = yield* HttpTransport.make({ ...loopback, ca: pki.ca })
      expect((yield* transport.send(post(served.url()))).body).toBe("secure")
      const byName = yield* transport.send(post(`https://localhost:${served.port}/`))
      expect(byName.body).toBe("secure")
      expect(servername).toBe("localhost")
    }))

  it.scopedLive("a self-signed certificate is a tls error", () =>
    Effect.gen(function*() {
      const served = yield* httpsServer(pki.selfSigned)
      const error = yield* fail(post(served.url()), { ...loopback, ca: pki.ca })
      expect(error.code).toBe("tls")
      expect(error.message).toContain("self-signed")
    }))

  it.scopedLive("an unknown CA is a tls error (verification is always on)", () =>
    Effect.gen(function*() {
      const served = yield* httpsServer(pki.leaf)
      const error = yield* fail(post(served.url()))
      expect(error.code).toBe("tls")
    }))

  it.scopedLive("a certificate for another name is a tls error", () =>
    Effect.gen(function*() {
      const served = yield* httpsServer(pki.otherName)
      const error = yield* fail(post(served.url()), { ...loopback, ca: pki.ca })
      expect(error.code).toBe("tls")
    }))

  it.scopedLive("https to a plain HTTP server is a tls error", () =>
    Effect.gen(function*() {
      const served = yield* serve(Http.createServer((_req, res) => res.end()))
      const error = yield* fail(post(`https://127.0.0.1:${served.port}/`), { ...loopback, ca: pki.ca })
      expect(error.code).toBe("tls")
    }))
})

// ---------------------------------------------------------------------------------------------------------------

describe("HttpTransport: error mapping", () => {
  const errorWith = (code: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error("boom"), { code, ...extra })
  const cases: ReadonlyArray<readonly [unknown, TransportError["code"]]> = [
    [errorWith("UND_ERR_CONNECT_TIMEOUT"), "timeout"],
    [errorWith("UND_ERR_HEADERS_TIMEOUT"), "timeout"],
    [errorWith("UND_ERR_BODY_TIMEOUT"), "timeout"],
    [errorWith("ETIMEDOUT"), "timeout"],
    [errorWith("ECONNREFUSED", { address: "127.0.0.1", port: 1 }), "connect"],
    [errorWith("ECONNRESET"), "connect"],
    [errorWith("EPIPE"), "connect"],
    [errorWith("UND_ERR_SOCKET"), "connect"],
    [errorWith("EHOSTUNREACH"), "connect"],
    [errorWith("ENETUNREACH"), "connect"],
    [Object.assign(new AggregateError([errorWith("ECONNREFUSED"), errorWith("ECONNREFUSED")]), {}), "connect"],
    [errorWith("ENOTFOUND", { hostname: "nope.invalid" }), "dns"],
    [errorWith("EAI_AGAIN"), "dns"],
    [errorWith("ERR_TLS_CERT_ALTNAME_INVALID"), "tls"],
    [errorWith("DEPTH_ZERO_SELF_SIGNED_CERT"), "tls"],
    [errorWith("SELF_SIGNED_CERT_IN_CHAIN"), "tls"],
    [errorWith("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "tls"],
    [errorWith("CERT_HAS_EXPIRED"), "tls"],
    [errorWith("ERR_SSL_WRONG_VERSION_NUMBER"), "tls"],
    [errorWith("HPE_INVALID_CONSTANT"), "protocol"],
    [Object.assign(new Error("Expected HTTP/"), { name: "HTTPParserError", data: "garbage" }), "protocol"],
    [errorWith("UND_ERR_HEADERS_OVERFLOW"), "protocol"],
    [errorWith("UND_ERR_RES_CONTENT_LENGTH_MISMATCH"), "protocol"],
    [errorWith("UND_ERR_INFO"), "protocol"],
    [errorWith("HOOKWIRE_BLOCKED"), "blocked"],
    [errorWith("UND_ERR_DESTROYED"), "unknown"],
    [errorWith("SOMETHING_ELSE"), "unknown"],
    [errorWith("toString"), "unknown"],
    [new Error("no code"), "unknown"],
    ["a string", "unknown"]
  ]
  for (const [cause, reason] of cases) {
    const name = cause instanceof Error ? (cause as { code?: string }).code ?? cause.name : String(cause)
    it(`${name} → ${reason}`, () => {
      const error = TransportErrors.fromCause(cause)
      expect(error).toBeInstanceOf(TransportError)
      expect(error.code).toBe(reason)
    })
  }

  it("dns messages name the host; connect messages the address", () => {
    expect(TransportErrors.fromCause(errorWith("ENOTFOUND", { hostname: "nope.invalid" })).message).toBe(
      "host name not found: nope.invalid"
    )
    expect(TransportErrors.fromCause(errorWith("ECONNREFUSED", { address: "127.0.0.1", port: 9 })).message).toBe(
      "connection refused (127.0.0.1:9)"
    )
  })
})
