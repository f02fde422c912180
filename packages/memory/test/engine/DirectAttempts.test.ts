/**
 * Attempts without a fiber (core `internal/dispatcher/direct.ts`), end to end on the real HTTP transport and loopback
 * receivers: a transport with `unsafeSend` is sent to without an effect, and every outcome is carried out as on the
 * fiber path — delivered, retried (its jitter drawn on a fiber), 410 Gone (the endpoint disabled) — while endpoints
 * with a rate limit, and engines with a tracer that exports, still send through `send`. Shutdown past its grace
 * cancels a hung request and leaves its delivery leased, unrecorded.
 */
import { expect, it } from "@effect/vitest"
import {
  Catalog,
  Dispatcher,
  HttpTransport,
  OperationalEvents,
  RetryPolicy,
  Settings,
  Storage,
  Transport,
  Webhooks
} from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import * as Http from "node:http"
import type * as Net from "node:net"
import * as MemoryQueue from "../../src/MemoryQueue.js"
import * as MemoryStorage from "../../src/MemoryStorage.js"

const catalog = Catalog.make({ "order.paid": { description: "An order was paid" } })

/** A loopback receiver answering each request with `answer(n)` (its 0-based index); `undefined` never answers. */
const receiver = (answer: (n: number) => number | undefined): Effect.Effect<
  { readonly url: string; readonly requests: () => number; readonly open: () => number },
  never,
  Scope.Scope
> => {
  let requests = 0
  const sockets = new Set<Net.Socket>()
  const server = Http.createServer((req, res) => {
    const status = answer(requests++)
    req.resume()
    if (status !== undefined) req.on("end", () => res.writeHead(status).end())
  })
  server.on("connection", (socket: Net.Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  return Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly requests: () => number; readonly open: () => number }>((resume) => {
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as Net.AddressInfo
        resume(Effect.succeed({
          url: `http://127.0.0.1:${port}/hooks`,
          requests: () => requests,
          open: () => sockets.size
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

/** The HTTP transport (loopback allowed), counting the requests sent through `send` and through `unsafeSend`. */
const counted = () => {
  const calls = { send: 0, unsafeSend: 0 }
  const layer = Layer.scoped(
    Transport.Transport,
    Effect.map(HttpTransport.make({ allowCidrs: ["127.0.0.1/32"] }), (http): Transport.Transport["Type"] => ({
      send: (request) => {
        calls.send++
        return http.send(request)
      },
      unsafeSend: (request, done) => {
        calls.unsafeSend++
        return http.unsafeSend!(request, done)
      }
    }))
  )
  return { calls, layer }
}

const engine = (
  transport: Layer.Layer<Transport.Transport, unknown>,
  dispatcher: Dispatcher.Options = {},
  storage: Layer.Layer<Storage.Storage, unknown> = MemoryStorage.layer()
) =>
  Dispatcher.layer({ lease: "30 seconds", pollInterval: "50 millis", ...dispatcher }).pipe(
    Layer.provideMerge(
      Webhooks.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            Settings.layer({ catalog, allowHttp: true, retryPolicy: RetryPolicy.fixed(["100 millis"]) }),
            OperationalEvents.layer(),
            transport
          )
        )
      )
    ),
    Layer.provideMerge(Layer.merge(storage, MemoryQueue.layer))
  )

/** Polls every 20 ms, at most 5 s. */
const until = <A, E, R>(effect: Effect.Effect<A, E, R>, ok: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 250; i++) {
      const a = yield* effect
      if (ok(a)) return a
      yield* Effect.sleep(20)
    }
    return yield* Effect.dieMessage("condition not met within 5 s")
  })

const deliveriesOf = (tenant: string) =>
  Effect.flatMap(Webhooks.Webhooks, (w) => Effect.map(w.deliveries.list({ tenant }), (page) => page.items))

it.scopedLive("delivered, retried after a 500, and 410 Gone are carried out without a fiber per attempt", () =>
  Effect.gen(function*() {
    const transport = counted()
    // The first receiver fails once, then delivers; the second answers 410 Gone.
    const flaky = yield* receiver((n) => n === 0 ? 500 : 204)
    const gone = yield* receiver(() => 410)
    yield* Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant: "a", url: flaky.url })
      const goneEndpoint = yield* w.endpoints.create({ tenant: "b", url: gone.url })
      yield* w.publish({ tenant: "a", type: "order.paid", data: { n: 1 } })
      yield* w.publish({ tenant: "b", type: "order.paid", data: { n: 2 } })

      const [retried] = yield* until(deliveriesOf("a"), ([d]) => d?.status === "delivered")
      expect(retried.attempts).toBe(2)
      const attempts = yield* w.deliveries.attempts({ tenant: "a", deliveryId: retried.id })
      expect(attempts.items.map((a) => a.responseStatus).sort()).toEqual([204, 500])
      const [cancelled] = yield* until(deliveriesOf("b"), ([d]) => d?.status === "failed")
      expect(cancelled.attempts).toBe(1)
      const endpoint = yield* until(
        w.endpoints.get({ tenant: "b", id: goneEndpoint.id }),
        (e) => e.disabled
      )
      expect(endpoint.disabledReason).toContain("410")
    }).pipe(Effect.provide(engine(transport.layer)))
    expect(transport.calls).toEqual({ send: 0, unsafeSend: 3 })
  }))

it.scopedLive("a rate-limited endpoint, and any endpoint of an engine with a tracer that exports, send through `send`", () =>
  Effect.gen(function*() {
    const ok = yield* receiver(() => 204)
    const limited = counted()
    yield* Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant: "a", url: ok.url, rateLimit: { perSecond: 1000 } })
      yield* w.publish({ tenant: "a", type: "order.paid", data: {} })
      yield* until(deliveriesOf("a"), ([d]) => d?.status === "delivered")
    }).pipe(Effect.provide(engine(limited.layer)))
    expect(limited.calls).toEqual({ send: 1, unsafeSend: 0 })

    const traced = counted()
    const spans: Array<string> = []
    const base = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (...args) => {
        spans.push(args[0])
        return base.span(...args)
      },
      context: (f, fiber) => base.context(f, fiber)
    })
    yield* Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      yield* w.endpoints.create({ tenant: "a", url: ok.url })
      yield* w.publish({ tenant: "a", type: "order.paid", data: {} })
      yield* until(deliveriesOf("a"), ([d]) => d?.status === "delivered")
    }).pipe(Effect.provide(engine(traced.layer)), Effect.withTracer(tracer))
    expect(traced.calls).toEqual({ send: 1, unsafeSend: 0 })
    expect(spans).toContain("Dispatcher.attempt")
  }))

it.scopedLive("shutdown past its grace cancels a hung request: the delivery stays leased and unrecorded", () =>
  Effect.gen(function*() {
    const transport = counted()
    const hung = yield* receiver(() => undefined)
    const storage = yield* MemoryStorage.make
    yield* Effect.scoped(
      Effect.gen(function*() {
        const w = yield* Webhooks.Webhooks
        yield* w.endpoints.create({ tenant: "a", url: hung.url, timeoutMs: 30_000 })
        yield* w.publish({ tenant: "a", type: "order.paid", data: {} })
        yield* until(Effect.sync(() => hung.requests()), (n) => n === 1)
      }).pipe(
        Effect.provide(
          engine(transport.layer, { shutdownGrace: "50 millis" }, Layer.succeed(Storage.Storage, storage))
        )
      )
    )
    expect(transport.calls).toEqual({ send: 0, unsafeSend: 1 })
    // The request was cancelled (its connection closed), and nothing was recorded: the lease will bring it back.
    yield* until(Effect.sync(() => hung.open()), (n) => n === 0)
    const page = yield* storage.listDeliveries("a", { limit: 10 })
    expect(page.items.map((d) => [d.status, d.attempts])).toEqual([["pending", 0]])
  }))
