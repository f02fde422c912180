/**
 * What the dispatcher logs for operators (issue 19.3): a delivery that fails for good, an attempt refused by the SSRF
 * guard, an endpoint disabled and a circuit opened are each one line at `warn` with the tenant, endpoint and delivery
 * ids; a retry is one line at `debug`. No line carries a secret. The Effect logger is replaced to capture the lines.
 */
import { describe, expect, it } from "@effect/vitest"
import { Errors, RecordingTransport, RetryPolicy, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { deliveryOf, engine, eventually, type HarnessOptions } from "./harness.js"

const tenant = "acme"
const url = "https://receiver.example/webhooks"
const headerSecret = "Bearer sk_live_do_not_log_me"

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly text: string
}

/** The engine with every log line (debug included) captured into `lines` instead of printed. */
const capturing = (lines: Array<Line>, options: HarnessOptions) => {
  const capture = Logger.make(({ annotations, cause, logLevel, message }) => {
    const fields = Object.fromEntries(annotations)
    const text = [String(message), JSON.stringify(fields), String(cause)].join(" ")
    lines.push({ level: logLevel.label, message: String(message), annotations: fields, text })
  })
  return engine(options).pipe(
    Layer.provide(Layer.merge(Logger.replace(Logger.defaultLogger, capture), Logger.minimumLogLevel(LogLevel.All)))
  )
}

const dispatcherLines = (lines: ReadonlyArray<Line>, level?: string) =>
  lines.filter((l) => l.message.startsWith("Dispatcher:") && (level === undefined || l.level === level))

const setupAndPublish = Effect.gen(function*() {
  const w = yield* Webhooks.Webhooks
  const endpoint = yield* w.endpoints.create({ tenant, url, headers: { authorization: headerSecret } })
  const { message } = yield* w.publish({ tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } })
  const [delivery] = yield* deliveryOf(tenant, message.id)
  return { w, endpoint, deliveryId: delivery!.id, secret: Redacted.value(endpoint.secret) }
})

const noSecrets = (lines: ReadonlyArray<Line>, ...secrets: ReadonlyArray<string>) => {
  for (const line of lines) for (const secret of secrets) expect(line.text).not.toContain(secret)
}

describe("dispatcher log lines", () => {
  const failed: Array<Line> = []
  it.scoped("a retry at debug, then the delivery failing for good at warn, with the ids", () =>
    Effect.gen(function*() {
      const { deliveryId, endpoint, secret } = yield* setupAndPublish
      yield* RecordingTransport.awaitRequests(1)
      const debug = yield* eventually(Effect.sync(() => dispatcherLines(failed, "DEBUG")), (l) => l.length === 1)
      expect(debug[0]!.message).toMatch(/attempt 1 did not deliver \(.*500.*\); retrying at/)
      expect(debug[0]!.annotations).toMatchObject({ tenant, endpointId: endpoint.id, deliveryId })
      expect(dispatcherLines(failed, "WARN")).toHaveLength(0)
      yield* TestClock.adjust("5 seconds")
      yield* RecordingTransport.awaitRequests(2)
      const warn = yield* eventually(Effect.sync(() => dispatcherLines(failed, "WARN")), (l) => l.length === 1)
      expect(warn[0]!.message).toContain("delivery failed for good after 2 attempts")
      expect(warn[0]!.annotations).toMatchObject({ tenant, endpointId: endpoint.id, deliveryId, attempts: 2 })
      expect(dispatcherLines(failed, "DEBUG")).toHaveLength(1)
      noSecrets(failed, secret, headerSecret)
    }).pipe(Effect.provide(capturing(failed, {
      handler: () => ({ status: 500 }),
      settings: { retryPolicy: RetryPolicy.fixed(["5 seconds"]) }
    }))))

  const blocked: Array<Line> = []
  it.scoped("an attempt refused by the SSRF guard: one warn line naming the option that allows it", () =>
    Effect.gen(function*() {
      const { deliveryId, endpoint, secret } = yield* setupAndPublish
      const warn = yield* eventually(Effect.sync(() => dispatcherLines(blocked, "WARN")), (l) => l.length > 0)
      yield* TestClock.adjust("1 minute")
      expect(dispatcherLines(blocked, "WARN")).toHaveLength(1)
      expect(warn[0]!.message).toContain("SSRF guard")
      expect(warn[0]!.message).toContain("allowCidrs")
      expect(warn[0]!.annotations).toMatchObject({ tenant, endpointId: endpoint.id, deliveryId })
      noSecrets(blocked, secret, headerSecret)
    }).pipe(Effect.provide(capturing(blocked, {
      handler: () => Effect.fail(new Errors.TransportError({ code: "blocked", message: "10.0.0.1 is private" }))
    }))))

  const gone: Array<Line> = []
  it.scoped("410 Gone: the delivery failing for good and the endpoint disabled, one warn line each", () =>
    Effect.gen(function*() {
      const { deliveryId, endpoint, secret } = yield* setupAndPublish
      const warn = yield* eventually(Effect.sync(() => dispatcherLines(gone, "WARN")), (l) => l.length === 2)
      expect(warn.map((l) => l.message).sort()).toEqual([
        expect.stringContaining("delivery failed for good after 1 attempts: the receiver answered 410 Gone"),
        expect.stringContaining("endpoint disabled: the receiver answered 410 Gone")
      ].sort())
      for (const line of warn) {
        expect(line.annotations).toMatchObject({ tenant, endpointId: endpoint.id, deliveryId })
      }
      noSecrets(gone, secret, headerSecret)
    }).pipe(Effect.provide(capturing(gone, { handler: () => ({ status: 410 }) }))))

  const circuit: Array<Line> = []
  it.scoped("a circuit opening: one warn line with the ids and when deliveries resume", () =>
    Effect.gen(function*() {
      const { deliveryId, endpoint, secret } = yield* setupAndPublish
      const warn = yield* eventually(Effect.sync(() => dispatcherLines(circuit, "WARN")), (l) => l.length > 0)
      expect(warn).toHaveLength(1)
      expect(warn[0]!.message).toMatch(/circuit opened \(1 consecutive failures\); .* wait until \d{4}-/)
      expect(warn[0]!.annotations).toMatchObject({ tenant, endpointId: endpoint.id, deliveryId })
      expect(dispatcherLines(circuit, "DEBUG").map((l) => l.message)).toEqual([
        expect.stringContaining("retrying at")
      ])
      noSecrets(circuit, secret, headerSecret)
    }).pipe(Effect.provide(capturing(circuit, {
      handler: () => ({ status: 500 }),
      settings: { circuitBreaker: { failureThreshold: 1, coolDown: "1 minute" } }
    }))))
})
