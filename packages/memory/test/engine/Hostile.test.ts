/**
 * Hostile receivers through the whole engine (DESIGN.md §9): `createHookwire` on the memory adapter with the real
 * HTTP transport, against real servers on 127.0.0.1 (port 0) that never answer, drip bytes (slowloris), stream an
 * endless body, send huge headers or garbage, reset the connection, or present an untrusted certificate. Each
 * delivery must end in a recorded attempt with the expected error kind, a hanging one by the engine's own deadline for
 * the whole exchange, and a healthy endpoint of the same tenant, published to at the same time, must receive every
 * message while a receiver that never answers still holds its requests. Every wait polls a condition under a
 * deadline; nothing sleeps to let things settle, and no assertion depends on how busy the machine is: how late past
 * its deadline an attempt ends is the scheduler's (on two loaded cores the event loop was seen 839 ms late), so a
 * timed-out attempt is held to "not before the deadline, ended by the deadline", not to a number of milliseconds.
 */
import { createHookwire, RetryPolicy } from "@hookwire/core"
import type { Hookwire, Webhooks } from "@hookwire/core"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"
import { catalog } from "./harness.js"

/** The engine's request timeout in these tests. */
const TIMEOUT_MS = 500
/**
 * The request timeout of endpoints whose outcome is not a timeout: the healthy one, and hostile ones that answer
 * (garbage, a reset, a cut body). Every server runs in this process, beside the engine: on a loaded machine an
 * exchange on loopback can take longer than `TIMEOUT_MS`, and with no retries such an attempt fails for good.
 */
const ANSWERING_TIMEOUT_MS = 10_000
/**
 * The request timeout of the held endpoint (timeout cases): a receiver that never answers, beside the healthy one, that
 * keeps its requests for the whole case — longer than every wait of a case (`CASE_DEADLINE_MS`), so the healthy
 * endpoint is shown delivering while it hangs whatever the machine's load, not by a race against `TIMEOUT_MS`.
 */
const HELD_TIMEOUT_MS = 60_000
/** Messages per case: more than the per-endpoint cap (16) twice over, so a hanging endpoint takes several rounds. */
const MESSAGES = 40
const TENANT = "hostile"
/** Longest any wait in a case may take. */
const CASE_DEADLINE_MS = 15_000
/** Bounds on the hostile servers' own loops (each also stops when its socket closes). */
const DRIP_EVERY_MS = 100
const MAX_DRIPS = 600
const ENDLESS_MAX_BYTES = 512 * 1024 * 1024

const until = async <A>(what: string, f: () => Promise<A>, ok: (a: A) => boolean, ms = CASE_DEADLINE_MS) => {
  const deadline = Date.now() + ms
  for (let i = 0;; i++) {
    const a = await f()
    if (ok(a)) return a
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms (${i} polls): ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Servers

interface Served {
  readonly url: string
  /** Connections accepted so far. */
  readonly accepted: () => number
  /** Connections still open that carried a request (undici also opens spare connections that carry none). */
  readonly busy: () => number
  readonly close: () => Promise<void>
}

const listen = (server: Net.Server, scheme: "http" | "https" = "http"): Promise<Served> => {
  const sockets = new Set<Net.Socket>()
  let accepted = 0
  // For TLS servers the raw TCP socket: destroying it also ends the TLS session.
  server.on("connection", (socket: Net.Socket) => {
    accepted++
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    // Hostile servers provoke resets and broken pipes; those are expected, not crashes.
    socket.on("error", () => {})
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      resolve({
        url: `${scheme}://127.0.0.1:${port}/webhooks`,
        accepted: () => accepted,
        busy: () => {
          let n = 0
          for (const socket of sockets) if (requested.has(socket)) n++
          return n
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          })
      })
    })
  })
}

/** Sockets of the raw servers that received request bytes. */
const requested = new WeakSet<Net.Socket>()

/** A raw TCP server: `onRequest` runs once per connection, at the first bytes of the request. */
const raw = (onRequest: (socket: Net.Socket) => void): Net.Server =>
  Net.createServer((socket) => {
    // Keep reading (and discarding) what the engine sends, so its writes never block.
    socket.on("data", () => {
      if (requested.has(socket)) return
      requested.add(socket)
      onRequest(socket)
    })
  })

/** Writes `step()` every `DRIP_EVERY_MS` until the socket closes or `MAX_DRIPS` writes. */
const drip = (socket: Net.Socket, head: string, step: string) => {
  socket.write(head)
  let drips = 0
  const timer = setInterval(() => {
    if (socket.destroyed || ++drips > MAX_DRIPS) return clearInterval(timer)
    socket.write(step)
  }, DRIP_EVERY_MS)
  socket.on("close", () => clearInterval(timer))
}

/** Per connection of the endless-body server: bytes written, and whether the engine dropped it. */
const endless: Array<{ written: number; closed: boolean }> = []

const endlessBody = () =>
  raw((socket) => {
    const state = { written: 0, closed: false }
    endless.push(state)
    const started = Date.now()
    const chunk = "x".repeat(64 * 1024)
    const frame = `${chunk.length.toString(16)}\r\n${chunk}\r\n`
    socket.on("close", () => (state.closed = true))
    socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n")
    // As fast as the engine reads, never ending — bounded here only so a broken engine cannot hang the suite.
    const pump = () => {
      while (!socket.destroyed && state.written < ENDLESS_MAX_BYTES && Date.now() - started < CASE_DEADLINE_MS) {
        state.written += frame.length
        if (!socket.write(frame)) return void socket.once("drain", pump)
      }
    }
    pump()
  })

const hugeHeaders = () =>
  raw((socket) => {
    let head = "HTTP/1.1 200 OK\r\n"
    // 200 KiB of headers, in 1 KiB lines.
    for (let i = 0; i < 200; i++) head += `x-huge-${i}: ${"h".repeat(1024 - 14)}\r\n`
    socket.end(head + "content-length: 0\r\n\r\n")
  })

// ---------------------------------------------------------------------------------------------------------------
// Self-signed TLS certificate (the openssl CLI: Node cannot issue X.509 certificates itself)

const hasOpenssl = ChildProcess.spawnSync("openssl", ["version"]).status === 0
if (!hasOpenssl) {
  console.warn(
    "\n!!! Hostile.test.ts: the untrusted-certificate case is SKIPPED — the openssl CLI is not installed !!!\n"
  )
}

const selfSigned = (dir: string): { key: string; cert: string } => {
  ChildProcess.execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
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
  ], { cwd: dir, stdio: "pipe" })
  return {
    key: Fs.readFileSync(Path.join(dir, "self.key"), "utf8"),
    cert: Fs.readFileSync(Path.join(dir, "self.crt"), "utf8")
  }
}

// ---------------------------------------------------------------------------------------------------------------

type Kind = "timeout" | "protocol" | "connect" | "tls"

interface Case {
  readonly name: string
  readonly server: () => Net.Server
  readonly scheme?: "https"
  /** The attempt's error kind, or "delivered" (a 2xx whose body is cut at 16 KiB). */
  readonly expect: Kind | "delivered"
}

let tlsDir = ""
let tlsPair: { key: string; cert: string } | undefined

const cases: ReadonlyArray<Case> = [
  // Accepts and reads the request, never writes a byte.
  { name: "never answers", server: () => raw(() => {}), expect: "timeout" },
  // Slowloris: a status line, then one header byte every 100 ms; the headers never end.
  {
    name: "slowloris headers",
    server: () => raw((socket) => drip(socket, "HTTP/1.1 200 OK\r\nx-slow: ", "a")),
    expect: "timeout"
  },
  // Complete headers, then a one-byte chunk every 100 ms; the body never ends and never reaches 16 KiB.
  {
    name: "slowloris body",
    server: () => raw((socket) => drip(socket, "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", "1\r\na\r\n")),
    expect: "timeout"
  },
  { name: "endless body", server: endlessBody, expect: "delivered" },
  { name: "huge headers", server: hugeHeaders, expect: "protocol" },
  {
    name: "invalid HTTP",
    server: () => raw((socket) => socket.end("\x16\x03\x01 garbage, not HTTP at all \x00\xff\r\n\r\n")),
    expect: "protocol"
  },
  // TCP RST right after reading the request.
  { name: "reset", server: () => raw((socket) => socket.resetAndDestroy()), expect: "connect" },
  // FIN right after reading the request, no response.
  { name: "hangs up", server: () => raw((socket) => socket.end()), expect: "connect" },
  {
    name: "untrusted certificate",
    scheme: "https",
    server: () =>
      Https.createServer({ ...tlsPair! }, (_req, res) => {
        res.writeHead(204).end()
      }),
    expect: "tls"
  }
]

describe("hostile receivers through the engine", () => {
  const healthyArrivals = new Map<string, number>()
  let healthy: Served
  let held: Served
  const hostile = new Map<string, Served>()
  const engines: Array<Hookwire.Hookwire<any>> = []
  let rssBefore = 0

  beforeAll(async () => {
    healthy = await listen(
      Http.createServer((req, res) => {
        req.resume()
        req.on("end", () => {
          healthyArrivals.set(req.url ?? "", (healthyArrivals.get(req.url ?? "") ?? 0) + 1)
          res.writeHead(204).end()
        })
      })
    )
    held = await listen(raw(() => {}))
    if (hasOpenssl) {
      tlsDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "hookwire-hostile-"))
      tlsPair = selfSigned(tlsDir)
    }
    for (const c of cases) {
      if (c.scheme === "https" && !hasOpenssl) continue
      hostile.set(c.name, await listen(c.server(), c.scheme))
    }
  })

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()))
  })

  afterAll(async () => {
    await Promise.all([healthy, held, ...hostile.values()].filter((s) => s !== undefined).map((s) => s.close()))
    if (tlsDir !== "") Fs.rmSync(tlsDir, { recursive: true, force: true })
  })

  for (const c of cases) {
    const skip = c.scheme === "https" && !hasOpenssl
    it.skipIf(skip)(`${c.name}: ${c.expect}, and the healthy endpoint gets every message`, async () => {
      if (c.name === "endless body") rssBefore = process.memoryUsage().rss
      const server = hostile.get(c.name)!
      const hookwire = createHookwire({
        adapter: memory(),
        catalog,
        http: { allowCidrs: ["127.0.0.1/32"] },
        allowHttp: true,
        timeout: `${TIMEOUT_MS} millis`,
        retryPolicy: RetryPolicy.none,
        // Closing interrupts what is still in flight (the held endpoint's requests) rather than waiting for it.
        dispatcher: { shutdownGrace: 0 },
        logger: false
      })
      engines.push(hookwire)
      const path = `/healthy/${encodeURIComponent(c.name)}`
      // Only a receiver that never completes its answer is held to the short timeout (the engine's, `TIMEOUT_MS`).
      const good = await hookwire.endpoints.create({
        tenant: TENANT,
        url: healthy.url.replace("/webhooks", path),
        timeoutMs: ANSWERING_TIMEOUT_MS
      })
      const badTimeoutMs = c.expect === "timeout" ? TIMEOUT_MS : ANSWERING_TIMEOUT_MS
      const bad = await hookwire.endpoints.create({
        tenant: TENANT,
        url: server.url,
        ...(c.expect === "timeout" ? {} : { timeoutMs: badTimeoutMs })
      })
      const hanging = c.expect === "timeout"
        ? await hookwire.endpoints.create({ tenant: TENANT, url: held.url, timeoutMs: HELD_TIMEOUT_MS })
        : undefined
      await hookwire.start()
      for (let i = 0; i < MESSAGES; i++) {
        await hookwire.publish({ tenant: TENANT, type: "customer.created", data: { id: `c${i}` } })
      }

      const list = (endpoint: { readonly id: string }, status?: Webhooks.Delivery["status"]) =>
        hookwire.deliveries.list({ tenant: TENANT, endpointId: endpoint.id, status, limit: 1000 }).then((p) => p.items)

      // The healthy endpoint: every message delivered, each once.
      await until("every healthy delivery delivered", () => list(good, "delivered"), (d) => d.length === MESSAGES)
        .catch(async (error: Error) => {
          // Say what ended the healthy attempts that did not deliver.
          const failed = (await hookwire.deliveries.attempts({ tenant: TENANT, endpointId: good.id, limit: 1000 }))
            .items.filter((a) => a.errorKind !== null || a.responseStatus !== 204)
            .map((a) => `${a.errorKind ?? a.responseStatus}: ${a.errorMessage} after ${a.durationMs} ms`)
          throw new Error(`${error.message}; healthy attempts that did not deliver: ${JSON.stringify(failed)}`)
        })
      // Not blocked behind a hanging endpoint: every one of its deliveries is still pending (none can end before
      // `HELD_TIMEOUT_MS`), and it holds requests open.
      const heldPendingThen = hanging === undefined ? 0 : (await list(hanging, "pending")).length
      const heldBusyThen = held.busy()
      expect(healthyArrivals.get(path)).toBe(MESSAGES)

      // The hostile endpoint: every delivery ends (no retries: RetryPolicy.none), each with one recorded attempt.
      const ended = await until(
        "every hostile delivery ended",
        () => list(bad),
        (d) => d.length === MESSAGES && d.every((x) => x.status !== "pending")
      )
      expect(server.accepted()).toBeGreaterThan(0)
      const attempts = (await hookwire.deliveries.attempts({ tenant: TENANT, endpointId: bad.id, limit: 1000 })).items
      expect(attempts).toHaveLength(MESSAGES)
      for (const attempt of attempts) {
        if (c.expect === "delivered") {
          expect(attempt.errorKind).toBeNull()
          expect(attempt.responseStatus).toBe(200)
          expect(attempt.responseBody!.length).toBeGreaterThan(0)
          expect(attempt.responseBody!.length).toBeLessThanOrEqual(16 * 1024)
        } else {
          expect({ kind: attempt.errorKind, status: attempt.responseStatus }).toEqual({ kind: c.expect, status: null })
          expect(attempt.errorMessage).toBeTruthy()
        }
        if (c.expect === "timeout") {
          // Ended by the engine's deadline for the whole exchange, never before it: not by the receiver (a drip lasts
          // MAX_DRIPS × DRIP_EVERY_MS = 60 s, past every wait here, so a per-read idle timeout would never end it).
          expect(attempt.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5)
          expect(attempt.errorMessage).toBe(`no complete response within ${TIMEOUT_MS} ms`)
        } else {
          expect(attempt.durationMs).toBeLessThan(badTimeoutMs)
        }
      }
      expect(new Set(ended.map((d) => d.status))).toEqual(new Set([c.expect === "delivered" ? "delivered" : "failed"]))

      if (c.expect === "timeout") {
        expect(heldPendingThen).toBe(MESSAGES)
        expect(heldBusyThen).toBeGreaterThan(0)
        // The engine gave up on every hanging exchange: no connection that carried a request is left open.
        await until("hostile connections closed", async () => server.busy(), (n) => n === 0)
      }
      if (c.name === "endless body") {
        // The engine stopped reading at 16 KiB and dropped every connection; memory stayed bounded.
        await until("endless connections dropped", async () => endless, (e) => e.every((x) => x.closed))
        expect(endless.length).toBeGreaterThan(0)
        // Bounded by socket buffers, not by the server's own limit.
        for (const connection of endless) expect(connection.written).toBeLessThan(64 * 1024 * 1024)
        const growth = process.memoryUsage().rss - rssBefore
        expect(growth).toBeLessThan(100 * 1024 * 1024)
      }
    })
  }
})
