/**
 * The Storage contract's part for the management surface (newest-first pages, resends, endpoint statistics and
 * recovery windows), registered by `storageSuite` beside the rest so every adapter runs it.
 *
 * @since 0.3.0
 */
import { describe, expect, type Vitest } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Id from "../../src/Id.js"
import type { AttemptRecord } from "../../src/Model.js"
import * as Storage from "../../src/Storage.js"
import { drain, fixture, insertEndpoints, publish } from "./StorageSuite.js"

const storage = Storage.Storage
const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)

/**
 * Registers the management tests with a suite's `it` (the adapter's layer already provided).
 *
 * @since 0.3.0
 * @category constructors
 */
export const managementTests = (it: Vitest.MethodsNonLive<Storage.Storage>): void => {
  describe("newest-first pages", () => {
    it.effect("order desc pages every list newest first, the cursor continuing downwards", () =>
      Effect.gen(function*() {
        const s = yield* storage
        const fx = fixture()
        const endpoints = yield* insertEndpoints(fx, 5)
        const published = []
        for (let i = 0; i < 5; i++) published.push(yield* publish(fx, endpoints.slice(0, 2)))
        const deliveries = published.flatMap((p) => p.deliveries)
        const results = deliveries.map((d) => fx.result(d))
        yield* s.recordAttempts(results)
        const desc = <A extends { readonly id: string }>(xs: ReadonlyArray<A>) => ids(xs).reverse()

        const endpointPages = yield* drain(
          2,
          (cursor) => s.listEndpoints(fx.tenant, { limit: 2, cursor, order: "desc" })
        )
        expect(ids(endpointPages.items)).toStrictEqual(desc(endpoints))
        const messagePages = yield* drain(3, (cursor) => s.listMessages(fx.tenant, { limit: 3, cursor, order: "desc" }))
        expect(ids(messagePages.items)).toStrictEqual(desc(published.map((p) => p.message)))
        const deliveryPages = yield* drain(
          4,
          (cursor) => s.listDeliveries(fx.tenant, { limit: 4, cursor, order: "desc", endpointId: endpoints[0].id })
        )
        expect(ids(deliveryPages.items)).toStrictEqual(desc(deliveries.filter((d) => d.endpointId === endpoints[0].id)))
        const attemptPages = yield* drain(3, (cursor) => s.listAttempts(fx.tenant, { limit: 3, cursor, order: "desc" }))
        expect(ids(attemptPages.items)).toStrictEqual(desc(results.map((r) => r.attempt)))
        // A window and a cursor together, newest first.
        const since = published[1].message.createdAt
        const until = published[4].message.createdAt
        const windowed = yield* drain(
          1,
          (cursor) => s.listMessages(fx.tenant, { limit: 1, cursor, order: "desc", since, until })
        )
        expect(ids(windowed.items)).toStrictEqual(desc(published.slice(1, 4).map((p) => p.message)))
      }))
  })

  describe("resend", () => {
    it.effect("insertDelivery adds a delivery of a stored message, listed and loadable like the others", () =>
      Effect.gen(function*() {
        const s = yield* storage
        const fx = fixture()
        const [first, second] = yield* insertEndpoints(fx, 2)
        const { message } = yield* publish(fx, [first])
        const extra = fx.delivery(message, second)
        yield* s.insertDelivery(extra)
        expect(yield* s.getDelivery(fx.tenant, extra.id)).toStrictEqual(extra)
        const page = yield* s.listDeliveries(fx.tenant, { limit: 10, messageId: message.id })
        expect(page.items.map((d) => d.endpointId)).toStrictEqual([first.id, second.id])
        const [ctx] = yield* s.loadForDispatch([extra.id])
        expect(ctx.endpoint.id).toBe(second.id)
        expect(ctx.message.id).toBe(message.id)
        const again = yield* Effect.flip(s.insertDelivery(extra))
        expect(again.code).toBe("conflict")
        // Another tenant cannot see it.
        expect(yield* s.getDelivery(fixture().tenant, extra.id)).toBeUndefined()
      }))
  })

  describe("endpoint statistics", () => {
    it.effect("endpointStats counts attempts and deliveries by outcome per window, and the latest attempt", () =>
      Effect.gen(function*() {
        const s = yield* storage
        const fx = fixture()
        const [endpoint, other] = yield* insertEndpoints(fx, 2)
        const old = yield* publish(fx, [endpoint, other])
        // An hour later: newer messages; `mid` separates the two windows asked for.
        const mid = old.message.createdAt + 1_800_000
        fx.next("msg", 3_600_000)
        const recent = [yield* publish(fx, [endpoint]), yield* publish(fx, [endpoint]), yield* publish(fx, [endpoint])]
        const recorded: Array<AttemptRecord> = []
        const record = (statuses: ReadonlyArray<number | null>, delivery = old.deliveries[0]) =>
          Effect.gen(function*() {
            let current = delivery
            for (const status of statuses) {
              const r = fx.result(current, {
                responseStatus: status,
                errorKind: status === null ? "timeout" : null,
                responseBody: status === null ? null : "ok"
              })
              yield* s.recordAttempts([r])
              recorded.push(r.attempt)
              current = r.delivery
            }
          })
        yield* record([500, 502], old.deliveries[0])
        yield* record([500], old.deliveries[1]) // the other endpoint's: never counted here
        yield* record([null, 204], recent[0].deliveries[0])
        yield* record([200], recent[1].deliveries[0])
        yield* s.transitionDelivery(fx.tenant, recent[2].deliveries[0].id, ["pending"], {
          status: "failed",
          nextAttemptAt: null,
          now: recent[2].message.createdAt
        })
        const since = [mid, old.message.createdAt - 1]
        const stats = yield* s.endpointStats(fx.tenant, endpoint.id, since)
        expect(stats.windows.map((w) => w.since)).toStrictEqual(since)
        // Every attempt happened after `mid` (they were recorded after the recent messages).
        expect(stats.windows[0].attempts).toStrictEqual({ total: 5, succeeded: 2 })
        expect(stats.windows[1].attempts).toStrictEqual({ total: 5, succeeded: 2 })
        expect(stats.windows[0].deliveries).toStrictEqual({ pending: 2, delivered: 0, failed: 1, cancelled: 0 })
        expect(stats.windows[1].deliveries).toStrictEqual({ pending: 3, delivered: 0, failed: 1, cancelled: 0 })
        const last = recorded.filter((a) => a.endpointId === endpoint.id).at(-1)!
        expect(stats.lastAttempt).toStrictEqual({ startedAt: last.startedAt, responseStatus: 200, errorKind: null })

        const empty = yield* s.endpointStats(fx.tenant, other.id, [fx.next("atm").at])
        expect(empty.windows[0].attempts).toStrictEqual({ total: 0, succeeded: 0 })
        expect(empty.lastAttempt).toStrictEqual({
          startedAt: recorded[2].startedAt,
          responseStatus: 500,
          errorKind: null
        })
        // Another tenant, or an unknown endpoint, counts nothing.
        const foreign = yield* s.endpointStats(fixture().tenant, endpoint.id, since)
        expect(foreign.windows[1]).toStrictEqual({
          since: since[1],
          attempts: { total: 0, succeeded: 0 },
          deliveries: { pending: 0, delivered: 0, failed: 0, cancelled: 0 }
        })
        expect(foreign.lastAttempt).toBeNull()
        const unknown = yield* s.endpointStats(fx.tenant, Id.make("ep"), since)
        expect(unknown.lastAttempt).toBeNull()

        // Where the store answers both in one call: the same endpoint and the same statistics, for any number of
        // windows; nothing for another tenant or an unknown id.
        if (s.endpointWithStats === undefined) return
        const windows3 = [mid, old.message.createdAt - 1, old.message.createdAt - 3_600_000]
        for (const windows of [since, windows3]) {
          expect(yield* s.endpointWithStats(fx.tenant, endpoint.id, windows)).toStrictEqual({
            endpoint: yield* s.getEndpoint(fx.tenant, endpoint.id),
            stats: yield* s.endpointStats(fx.tenant, endpoint.id, windows)
          })
        }
        expect(yield* s.endpointWithStats(fixture().tenant, endpoint.id, windows3)).toBeUndefined()
        expect(yield* s.endpointWithStats(fx.tenant, Id.make("ep"), windows3)).toBeUndefined()
      }))
  })

  describe("attempt headers", () => {
    it.effect("an attempt's request and response headers round-trip; records without them read as null", () =>
      Effect.gen(function*() {
        const s = yield* storage
        const fx = fixture()
        const [endpoint] = yield* insertEndpoints(fx, 1)
        const { deliveries } = yield* publish(fx, [endpoint])
        const withHeaders = fx.result(deliveries[0], {
          requestHeaders: { "content-type": "application/json", "x-custom": "a \"quoted\" value" },
          responseHeaders: { "retry-after": "120", "content-type": "text/plain; charset=utf-8" }
        })
        const without = fx.result(withHeaders.delivery)
        yield* s.recordAttempts([withHeaders])
        yield* s.recordAttempts([without])
        const page = yield* s.listAttempts(fx.tenant, { limit: 10, deliveryId: deliveries[0].id })
        expect(page.items[0].requestHeaders).toStrictEqual(withHeaders.attempt.requestHeaders)
        expect(page.items[0].responseHeaders).toStrictEqual(withHeaders.attempt.responseHeaders)
        expect(page.items[1].requestHeaders ?? null).toBeNull()
        expect(page.items[1].responseHeaders ?? null).toBeNull()
      }))
  })

  describe("recovery windows", () => {
    it.effect("transitionEndpointDeliveries with `until` moves only deliveries created in [since, until)", () =>
      Effect.gen(function*() {
        const s = yield* storage
        const fx = fixture()
        const [endpoint] = yield* insertEndpoints(fx, 1)
        const published = []
        for (let i = 0; i < 4; i++) {
          published.push(yield* publish(fx, [endpoint], {}, { status: "failed", nextAttemptAt: null }))
        }
        const at = published.map((p) => p.deliveries[0].createdAt)
        const moved = yield* s.transitionEndpointDeliveries(fx.tenant, endpoint.id, {
          from: ["failed"],
          to: "pending",
          since: at[1],
          until: at[3],
          nextAttemptAt: at[3],
          now: at[3]
        })
        expect([...moved].sort()).toStrictEqual([published[1].deliveries[0].id, published[2].deliveries[0].id])
        const statuses = yield* Effect.forEach(published, (p) => s.getDelivery(fx.tenant, p.deliveries[0].id))
        expect(statuses.map((d) => d?.status)).toStrictEqual(["failed", "pending", "pending", "failed"])
      }))
  })
}
