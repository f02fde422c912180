import { describe, expect, it } from "@effect/vitest"
import * as Id from "@hookwire/core/Id"
import type { DeliveryRecord, EndpointRecord, MessageRecord } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import { endpointRaceSuite } from "@hookwire/core/test/contract/EndpointRaceSuite"
import { deliveryRecord, endpointRecord, messageRecord } from "@hookwire/core/test/contract/Records"
import { storageSuite } from "@hookwire/core/test/contract/StorageSuite"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as MemoryQueue from "../src/MemoryQueue.js"
import * as MemoryStorage from "../src/MemoryStorage.js"

storageSuite("memory", MemoryStorage.layer())
endpointRaceSuite("memory", Layer.merge(MemoryStorage.layer(), MemoryQueue.layer))

const TENANT = "acme"

const endpoint = (): EndpointRecord => {
  const id = Id.make("ep")
  return endpointRecord(TENANT, 1, { id, url: `https://receiver.example.com/${id}`, secrets: [] })
}

const message = (idempotencyKey: string | null = null): MessageRecord =>
  messageRecord(TENANT, 1, { type: "invoice.paid", body: "{}", idempotencyKey })

const delivery = (
  m: MessageRecord,
  e: EndpointRecord,
  status: DeliveryRecord["status"] = "pending"
): DeliveryRecord => deliveryRecord(m, e.id, { status, nextAttemptAt: status === "pending" ? 1_000 : null })

/** A message to `e` with its delivery, and an attempt of it answered 204 with these headers. */
const answered = (
  e: EndpointRecord,
  i: number,
  requestHeadersOf: (m: MessageRecord, d: DeliveryRecord) => Record<string, string>,
  responseHeaders: Record<string, string> | null
) => {
  const m = message()
  const d = delivery(m, e)
  const requestHeaders = requestHeadersOf(m, d)
  const attempt = {
    id: Id.make("atm"),
    tenant: TENANT,
    deliveryId: d.id,
    messageId: m.id,
    endpointId: e.id,
    attempt: 1,
    trigger: "scheduled" as const,
    url: e.url,
    startedAt: 10 + i,
    durationMs: 1,
    responseStatus: 204,
    responseBody: "",
    errorKind: null,
    errorMessage: null,
    requestHeaders,
    responseHeaders
  }
  return { m, d, attempt }
}

const withStorage = <A, E>(
  options: MemoryStorage.Options,
  f: (s: Context.Tag.Service<typeof Storage.Storage>) => Effect.Effect<A, E>
) => Effect.flatMap(MemoryStorage.makeWith(options), f)

describe("MemoryStorage retention", () => {
  it.effect("keeps at most maxMessages, evicting the oldest finished message first", () =>
    withStorage({ maxMessages: 3 }, (s) =>
      Effect.gen(function*() {
        const e = endpoint()
        yield* s.insertEndpoint(e)
        const pending = message()
        const pendingDelivery = delivery(pending, e)
        const finished = [message(), message(), message()]
        yield* s.insertMessage(pending, [pendingDelivery])
        for (const m of finished) yield* s.insertMessage(m, [delivery(m, e, "delivered")])
        // 4 messages, limit 3: the oldest finished one went, the pending one stays.
        expect(yield* s.getMessage(TENANT, pending.id)).toBeDefined()
        expect(yield* s.getMessage(TENANT, finished[0].id)).toBeUndefined()
        expect(yield* s.getMessage(TENANT, finished[1].id)).toBeDefined()

        // Finishing the pending message makes it the most recently finished: finished[1] goes next.
        yield* s.transitionDelivery(TENANT, pendingDelivery.id, ["pending"], {
          status: "delivered",
          nextAttemptAt: null,
          now: 2
        })
        yield* s.insertMessage(message(), [])
        expect(yield* s.getMessage(TENANT, finished[1].id)).toBeUndefined()
        expect(yield* s.getMessage(TENANT, pending.id)).toBeDefined()
        const listed = yield* s.listMessages(TENANT, { limit: 10 })
        expect(listed.items.length).toBe(3)
      })))

  it.effect("never evicts messages with pending deliveries, and drops deliveries and attempts with a message", () =>
    withStorage({ maxMessages: 1 }, (s) =>
      Effect.gen(function*() {
        const e = endpoint()
        yield* s.insertEndpoint(e)
        const a = message("key-a")
        const b = message()
        const da = delivery(a, e)
        const db = delivery(b, e)
        yield* s.insertMessage(a, [da])
        yield* s.insertMessage(b, [db])
        expect((yield* s.listMessages(TENANT, { limit: 10 })).items.length).toBe(2)

        const attempt = {
          id: Id.make("atm"),
          tenant: TENANT,
          deliveryId: da.id,
          messageId: a.id,
          endpointId: e.id,
          attempt: 1,
          trigger: "scheduled" as const,
          url: e.url,
          startedAt: 5,
          durationMs: 1,
          responseStatus: 200,
          responseBody: "",
          errorKind: null,
          errorMessage: null
        }
        yield* s.recordAttempts([{ attempt, delivery: { ...da, status: "delivered", nextAttemptAt: null } }])
        // a finished and is over the limit: gone with its delivery, its attempt and its idempotency key.
        expect(yield* s.getMessage(TENANT, a.id)).toBeUndefined()
        expect(yield* s.getDelivery(TENANT, da.id)).toBeUndefined()
        expect((yield* s.listAttempts(TENANT, { limit: 10 })).items).toStrictEqual([])
        expect((yield* s.listDeliveries(TENANT, { limit: 10, endpointId: e.id })).items).toStrictEqual([db])
        expect(yield* s.loadForDispatch([da.id])).toStrictEqual([])
        const again = message("key-a")
        expect((yield* s.insertMessage(again, [])).created).toBe(true)
        // The new message is finished at once, and the only finished one: it is evicted too.
        expect(yield* s.getMessage(TENANT, again.id)).toBeUndefined()
        expect(yield* s.getMessage(TENANT, b.id)).toBeDefined()
        expect(yield* s.duePendingDeliveries(Number.MAX_SAFE_INTEGER, 10)).toStrictEqual([
          { id: db.id, nextAttemptAt: 1_000 }
        ])
      })))

  it.effect("keeps the estimated size under maxBytes, evicting finished messages", () =>
    withStorage({ maxBytes: 2_000 }, (s) =>
      Effect.gen(function*() {
        // Each message: the fixed cost + its 100-character body + its 12-character type.
        const size = MemoryStorage.costs.message + 100 + 12
        expect(3 * size).toBeLessThan(2_000)
        expect(4 * size).toBeGreaterThan(2_000)
        const all = Array.from({ length: 5 }, () => ({ ...message(), body: "x".repeat(100) }))
        for (const m of all) yield* s.insertMessage(m, [])
        const kept = (yield* s.listMessages(TENANT, { limit: 10 })).items
        expect(kept.map((m) => m.id)).toStrictEqual(all.slice(2).map((m) => m.id))
      })))

  it.effect("counts a body's UTF-8 bytes in maxBytes, and every read gives the body back as published", () =>
    withStorage({ maxBytes: 1_900 }, (s) =>
      Effect.gen(function*() {
        // 100 characters, 189 UTF-8 bytes: three messages fit when counted by character, two by byte.
        const body = JSON.stringify({ name: "é".repeat(89) })
        expect([body.length, Buffer.byteLength(body)]).toStrictEqual([100, 189])
        const bytes = MemoryStorage.costs.message + Buffer.byteLength(body) + 12
        expect(2 * bytes).toBeLessThan(1_900)
        expect(3 * bytes).toBeGreaterThan(1_900)
        expect(3 * (MemoryStorage.costs.message + body.length + 12)).toBeLessThan(1_900)
        const all = Array.from({ length: 3 }, (_, i) => ({ ...message(`k${i}`), body }))
        for (const m of all) yield* s.insertMessage(m, [])
        const kept = (yield* s.listMessages(TENANT, { limit: 10 })).items
        expect(kept.map((m) => m.id)).toStrictEqual(all.slice(1).map((m) => m.id))
        expect(kept).toStrictEqual(all.slice(1))
        expect(yield* s.getMessage(TENANT, all[2].id)).toStrictEqual(all[2])
        const again = yield* s.insertMessage({ ...message("k2"), body: "{}" }, [])
        expect(again).toMatchObject({ created: false, message: all[2] })
        const e = endpoint()
        yield* s.insertEndpoint(e)
        const pending = { ...message(), body }
        const d = delivery(pending, e)
        yield* s.insertMessage(pending, [d])
        expect((yield* s.loadForDispatch([d.id])).map((c) => c.message)).toStrictEqual([pending])
      })))

  it.effect("keeps the last maxAttemptsPerDelivery attempts of each delivery", () =>
    withStorage({ maxAttemptsPerDelivery: 3 }, (s) =>
      Effect.gen(function*() {
        const e = endpoint()
        yield* s.insertEndpoint(e)
        const m = message()
        const d = delivery(m, e)
        yield* s.insertMessage(m, [d])
        const attempts = Array.from({ length: 5 }, (_, i) => ({
          id: Id.make("atm"),
          tenant: TENANT,
          deliveryId: d.id,
          messageId: m.id,
          endpointId: e.id,
          attempt: i + 1,
          trigger: "scheduled" as const,
          url: e.url,
          startedAt: 10 + i,
          durationMs: 1,
          responseStatus: 500,
          responseBody: null,
          errorKind: null,
          errorMessage: null
        }))
        for (const attempt of attempts) {
          yield* s.recordAttempts([{ attempt, delivery: { ...d, attempts: attempt.attempt } }])
        }
        const kept = attempts.slice(2)
        expect((yield* s.listAttempts(TENANT, { limit: 10, deliveryId: d.id })).items).toStrictEqual(kept)
        expect((yield* s.listAttempts(TENANT, { limit: 10, endpointId: e.id })).items).toStrictEqual(kept)
        expect((yield* s.listAttempts(TENANT, { limit: 10, messageId: m.id })).items).toStrictEqual(kept)
        expect((yield* s.listAttempts(TENANT, { limit: 10 })).items).toStrictEqual(kept)
        expect((yield* s.getDelivery(TENANT, d.id))?.attempts).toBe(5)
      })))

  it.effect("keeps equal response headers once: attempts answered alike share one object, values kept as given", () =>
    withStorage({}, (s) =>
      Effect.gen(function*() {
        const e = endpoint()
        yield* s.insertEndpoint(e)
        // Three receivers' answers: two alike (distinct objects, equal values), then another.
        const alike = () => ({ date: "Mon, 07 Dec 2026 00:00:00 GMT", connection: "keep-alive" })
        const ua = () => ({ "user-agent": "test" })
        const sent = [
          answered(e, 0, ua, alike()),
          answered(e, 1, ua, alike()),
          answered(e, 2, ua, { ...alike(), "retry-after": "5" })
        ]
        for (const { attempt, d, m } of sent) {
          yield* s.insertMessage(m, [d])
          yield* s.recordAttempts([{ attempt, delivery: { ...d, status: "delivered", attempts: 1 } }])
        }
        const kept = (yield* s.listAttempts(TENANT, { limit: 10 })).items
        expect(kept).toStrictEqual(sent.map(({ attempt }) => attempt))
        expect(kept[1].responseHeaders).toBe(kept[0].responseHeaders)
        expect(kept[2].responseHeaders).not.toBe(kept[0].responseHeaders)
      })))

  // A guard of the packed attempt log (internal/packedAttempt.ts): it passes on the unpacked store too.
  it.effect("gives back each attempt's request headers as recorded: id header, custom headers, order", () =>
    withStorage({}, (s) =>
      Effect.gen(function*() {
        const [a, b] = [endpoint(), endpoint()]
        yield* s.insertEndpoint(a)
        yield* s.insertEndpoint(b)
        // Endpoint b's id header carries the delivery id, and its custom header changes on the fourth attempt.
        const sent = [a, b, a, b, a].map((e, i) =>
          answered(e, i, (m, d): Record<string, string> =>
            e === a
              ? { "x-tenant": "acme", "content-type": "application/json", "webhook-id": m.id }
              : { "content-type": "application/json", "webhook-id": d.id, "x-n": i < 3 ? "1" : "2" }, null)
        )
        for (const { attempt, d, m } of sent) {
          yield* s.insertMessage(m, [d])
          yield* s.recordAttempts([{ attempt, delivery: { ...d, status: "delivered", attempts: 1 } }])
        }
        const kept = (yield* s.listAttempts(TENANT, { limit: 10 })).items
        expect(kept).toStrictEqual(sent.map(({ attempt }) => attempt))
        expect(kept.map((k) => Object.keys(k.requestHeaders!))).toStrictEqual(
          sent.map(({ attempt }) => Object.keys(attempt.requestHeaders))
        )
      })))

  // A guard of the delivery kept as one object with its state (internal/storedDelivery.ts): it passes on the old store
  // too. Reads give plain records with the record's fields only, which later changes do not touch.
  it.effect("gives back each delivery as a plain record, a snapshot with the record's fields only", () =>
    withStorage({}, (s) =>
      Effect.gen(function*() {
        const e = endpoint()
        yield* s.insertEndpoint(e)
        const { attempt, d, m } = answered(e, 0, () => ({ "content-type": "application/json" }), null)
        yield* s.insertMessage(m, [d])
        const before = yield* s.getDelivery(TENANT, d.id)
        expect(before).toStrictEqual(d)
        const next: DeliveryRecord = { ...d, attempts: 1, lastAttemptAt: 10, lastResponseStatus: 500, updatedAt: 11 }
        yield* s.recordAttempts([{ attempt, delivery: next }])
        expect(before).toStrictEqual(d)
        expect(yield* s.getDelivery(TENANT, d.id)).toStrictEqual(next)
        expect((yield* s.listDeliveries(TENANT, { messageId: m.id, limit: 10 })).items).toStrictEqual([next])
        expect((yield* s.loadForDispatch([d.id])).map((c) => c.delivery)).toStrictEqual([next])
        const cancelled = yield* s.transitionDelivery(TENANT, d.id, ["pending"], {
          status: "cancelled",
          nextAttemptAt: null,
          now: 12
        })
        const expected = { ...next, status: "cancelled", nextAttemptAt: null, updatedAt: 12 }
        expect(cancelled).toStrictEqual(expected)
        expect(yield* s.getDelivery(TENANT, d.id)).toStrictEqual(expected)
      })))

  it.effect("rejects an invalid limit with a typed error that names it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(MemoryStorage.makeWith({ maxMessages: 0, maxBytes: 1.5 }))
      expect([error._tag, error.code, error.field]).toEqual(["ValidationError", "invalid_option", "maxMessages"])
      expect(error.message).toContain("maxMessages (0) must be a positive integer or Infinity")
      const bytes = yield* Effect.flip(MemoryStorage.makeWith({ maxBytes: 1.5 }))
      expect(bytes.field).toBe("maxBytes")
    }))

  it.effect("layerConfig reads the options from Config", () =>
    Effect.gen(function*() {
      const storageLayer = MemoryStorage.layerConfig({
        maxMessages: Config.integer("MAX_MESSAGES"),
        maxAttemptsPerDelivery: Config.succeed(5)
      }).pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["MAX_MESSAGES", "1"]])))))
      yield* Effect.gen(function*() {
        const s = yield* Storage.Storage
        const first = message()
        yield* s.insertMessage(first, [])
        yield* s.insertMessage(message(), [])
        expect(yield* s.getMessage(TENANT, first.id)).toBeUndefined()
      }).pipe(Effect.provide(storageLayer))
    }))
})

describe("MemoryStorage indexes under churn", () => {
  // A random walk of transitions checked against a plain scan of every delivery.
  it.effect("duePendingDeliveries matches a full scan", () =>
    withStorage({ maxMessages: Infinity }, (s) =>
      Effect.gen(function*() {
        const endpoints = Array.from({ length: 20 }, endpoint)
        for (const e of endpoints) yield* s.insertEndpoint(e)
        const all = new Map<string, DeliveryRecord>()
        let seed = 42
        const random = (n: number) => {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
          return seed % n
        }
        for (let i = 0; i < 200; i++) {
          const m = message()
          const batch = endpoints.slice(0, 1 + random(20)).map((e) => ({
            ...delivery(m, e),
            nextAttemptAt: random(10_000)
          }))
          yield* s.insertMessage(m, batch)
          for (const d of batch) all.set(d.id, d)
        }
        const ids = [...all.keys()]
        const statuses = ["pending", "delivered", "failed", "cancelled"] as const
        let sawUntimed = false
        for (let step = 0; step < 5_000; step++) {
          const id = ids[random(ids.length)]
          const status = statuses[random(4)]
          // One pending delivery in ten without a next attempt time, as older versions wrote them.
          const nextAttemptAt = status === "pending" && random(10) > 0 ? random(10_000) : null
          const moved = yield* s.transitionDelivery(TENANT, id, statuses, { status, nextAttemptAt, now: step })
          all.set(id, moved!)
          if (step % 500 === 0) {
            const before = random(10_000)
            const expected = [...all.values()]
              .filter((d) =>
                d.status === "pending" &&
                (d.nextAttemptAt === null ? d.updatedAt < before : d.nextAttemptAt < before)
              )
              .map((d) => d.nextAttemptAt)
              .sort((a, b) => (a ?? -Infinity) - (b ?? -Infinity) || 0)
            if (expected.includes(null)) sawUntimed = true
            const due = yield* s.duePendingDeliveries(before, 1_000_000)
            expect(due.map((d) => d.nextAttemptAt)).toStrictEqual(expected)
            for (const d of due) expect(all.get(d.id)?.nextAttemptAt).toBe(d.nextAttemptAt)
            expect(yield* s.duePendingDeliveries(before, 7)).toStrictEqual(due.slice(0, 7))
          }
        }
        expect(sawUntimed).toBe(true)
      })))
})
