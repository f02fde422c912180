/**
 * The spans the engine makes: one per publish call, one per claim and one per attempt (a child of its claim), with
 * their attributes, ended with their outcome — recorded through a tracer of the test's own.
 */
import { expect, it } from "@effect/vitest"
import { Errors, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import { engine, eventually } from "./harness.js"

/** The default tracer, every span it makes kept in `spans`. */
const recording = () => {
  const base = Effect.runSync(Effect.tracer)
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (...args) => {
      const span = base.span(...args)
      spans.push(span)
      return span
    },
    context: (f, fiber) => base.context(f, fiber)
  })
  return { spans, tracer }
}

const named = (spans: ReadonlyArray<Tracer.Span>, name: string) => spans.filter((span) => span.name === name)
const parentOf = (span: Tracer.Span) => Option.getOrUndefined(span.parent)
const ended = (span: Tracer.Span) => span.status._tag === "Ended" ? span.status.exit : undefined

const { spans, tracer } = recording()

it.effect("publish, publishMany, each claim and each attempt (a child of its claim) are spans, ended with their outcome", () =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const endpoint = yield* w.endpoints.create({ tenant: "t", url: "https://receiver.example/hooks" })
    const one = yield* w.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
    yield* w.publishMany([
      { tenant: "t", type: "customer.created", data: { id: "c2" } },
      { tenant: "t", type: "customer.created", data: { id: "c3" } }
    ])
    yield* eventually(
      w.deliveries.list({ tenant: "t", status: "delivered" }),
      (page) => page.items.length === 3
    )
    const failed = yield* Effect.flip(w.publish({ tenant: "t", type: "no.such.type", data: {} }))
    expect(failed._tag).toBe("EventTypeError")

    const publishes = named(spans, "Webhooks.publish")
    expect(publishes).toHaveLength(2)
    expect(Exit.isSuccess(ended(publishes[0])!)).toBe(true)
    expect(Exit.isFailure(ended(publishes[1])!)).toBe(true)
    const [many] = named(spans, "Webhooks.publishMany")
    expect(many.attributes.get("hookwire.messages")).toBe(2)
    expect(Exit.isSuccess(ended(many)!)).toBe(true)

    const claims = named(spans, "Dispatcher.claim")
    const attempts = named(spans, "Dispatcher.attempt")
    expect(attempts).toHaveLength(3)
    const claimed = claims.reduce((n, claim) => n + Number(claim.attributes.get("hookwire.claimed")), 0)
    expect(claimed).toBe(3)
    for (const attempt of attempts) {
      expect(claims).toContain(parentOf(attempt))
      expect(attempt.attributes.get("hookwire.endpoint")).toBe(endpoint.id)
      expect(attempt.attributes.get("hookwire.attempt")).toBe(1)
      expect(Exit.isSuccess(ended(attempt)!)).toBe(true)
    }
    const deliveries = yield* w.deliveries.list({ tenant: "t" })
    expect(attempts.map((a) => a.attributes.get("hookwire.delivery")).sort()).toStrictEqual(
      deliveries.items.map((d) => d.id).sort()
    )
    expect(deliveries.items.some((d) => d.messageId === one.message.id)).toBe(true)
  }).pipe(
    Effect.provide(Layer.provideMerge(engine({ dispatcher: { perEndpointConcurrency: 64 } }), Layer.setTracer(tracer)))
  ))

/** A receiver answering 204 that notes the name of the span current when the transport sent (undefined: none). */
const recordSpanName = (seen: Array<string | undefined>) => () =>
  Effect.map(Effect.option(Effect.currentSpan), (span) => {
    seen.push(Option.getOrUndefined(span)?.name)
    return { status: 204 }
  })

/** One message published to a new endpoint, then its delivery once delivered. */
const deliverOne = Effect.gen(function*() {
  const w = yield* Webhooks.Webhooks
  yield* w.endpoints.create({ tenant: "t", url: "https://receiver.example/hooks" })
  yield* w.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
  const page = yield* eventually(
    w.deliveries.list({ tenant: "t", status: "delivered" }),
    (delivered) => delivered.items.length === 1
  )
  return page.items[0]!
})

it.effect("with a tracer installed, the transport sends inside the attempt's span", () => {
  const seen: Array<string | undefined> = []
  return Effect.gen(function*() {
    yield* deliverOne
    expect(seen).toStrictEqual(["Dispatcher.attempt"])
  }).pipe(
    Effect.provide(Layer.provideMerge(engine({ handler: recordSpanName(seen) }), Layer.setTracer(recording().tracer)))
  )
})

it.effect("with Effect's built-in tracer (it exports nothing), no span is made per publish, claim or attempt", () => {
  const seen: Array<string | undefined> = []
  return Effect.gen(function*() {
    const delivery = yield* deliverOne
    expect(delivery.attempts).toBe(1)
    expect(seen).toStrictEqual([undefined])
  }).pipe(Effect.provide(engine({ handler: recordSpanName(seen) })))
})

it.effect("the attempt span is a client span with the response status, ending in error (error.type) unless delivered", () => {
  const { spans: attemptSpans, tracer: attemptTracer } = recording()
  return Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    yield* w.endpoints.create({ tenant: "t", url: "https://receiver.example/hooks" })
    yield* w.publish({ tenant: "t", type: "customer.created", data: { id: "c1" } })
    yield* eventually(Effect.sync(() => named(attemptSpans, "Dispatcher.attempt").filter(ended)), (s) => s.length === 1)
    yield* TestClock.adjust("5 seconds")
    yield* eventually(Effect.sync(() => named(attemptSpans, "Dispatcher.attempt").filter(ended)), (s) => s.length === 2)
    yield* TestClock.adjust("10 seconds")
    yield* eventually(
      w.deliveries.list({ tenant: "t", status: "delivered" }),
      (delivered) => delivered.items.length === 1
    )
    const [failed, refused, delivered] = named(attemptSpans, "Dispatcher.attempt")
    for (const span of [failed, refused, delivered]) {
      expect(span!.kind).toBe("client")
      expect(span!.attributes.get("http.request.method")).toBe("POST")
    }
    expect(failed!.attributes.get("http.response.status_code")).toBe(500)
    expect(failed!.attributes.get("error.type")).toBe("500")
    expect(Exit.isFailure(ended(failed!)!)).toBe(true)
    expect(refused!.attributes.get("http.response.status_code")).toBeUndefined()
    expect(refused!.attributes.get("error.type")).toBe("connect")
    expect(Exit.isFailure(ended(refused!)!)).toBe(true)
    expect(delivered!.attributes.get("http.response.status_code")).toBe(204)
    expect(delivered!.attributes.get("error.type")).toBeUndefined()
    expect(Exit.isSuccess(ended(delivered!)!)).toBe(true)
  }).pipe(
    Effect.provide(
      Layer.provideMerge(
        engine({
          handler: (_, index) =>
            index === 0
              ? { status: 500 }
              : index === 1
              ? new Errors.TransportError({ code: "connect", message: "connection refused" })
              : { status: 204 }
        }),
        Layer.setTracer(attemptTracer)
      )
    )
  )
})
