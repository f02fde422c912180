/**
 * The Storage contract: one suite that every Storage adapter runs with its own layer
 * (`storageSuite("postgres", PgStorage.layer(...))`), so memory, Postgres and any later adapter are held to exactly the
 * same behaviour. The layer is built once and shared by every test, as a real database would be: each test works in
 * tenants of its own (fresh ids), never assumes the store is empty and does not depend on the order tests run in.
 * Methods that are not tenant-scoped (`duePendingDeliveries`) are checked in a time window no other test uses.
 *
 * Record ids are created so that the time embedded in an id equals the record's `createdAt` / `startedAt`: an adapter
 * may implement `since` / `until` on the time column or as id bounds (`Id.lowerBound`) and pass either way.
 *
 * @since 0.1.0
 */
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { StorageError } from "../../src/Errors.js"
import * as Id from "../../src/Id.js"
import { checkTenant } from "../../src/internal/validate.js"
import type {
  AttemptRecord,
  DeliveryRecord,
  DeliveryStatus,
  EndpointRecord,
  MessageRecord,
  Page,
  Tenant
} from "../../src/Model.js"
import * as Storage from "../../src/Storage.js"
import { endpointRecord } from "./Records.js"
import { managementTests } from "./StorageManagementSuite.js"

// ---------------------------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------------------------

/** A tenant id no other test, and no other run, uses. */
const newTenant = (): Tenant => `tenant_${Id.ulid(Date.now())}`

/**
 * Ids at strictly increasing times, each id's embedded time equal to the time returned with it. Starts after every id
 * this process has made, so `Id.make` never bumps the time (it is monotonic per process).
 */
const timeline = () => {
  let t = Id.timeOf(Id.make("ep"))
  return (prefix: Id.Prefix, gapMs = 1): { readonly id: string; readonly at: number } => {
    t += gapMs
    const id = Id.make(prefix, t)
    t = Id.timeOf(id)
    return { id, at: t }
  }
}

/** Builders of valid records for one tenant, on one timeline. */
export const fixture = (tenant: Tenant = newTenant()) => {
  const next = timeline()

  const endpoint = (overrides: Partial<EndpointRecord> = {}): EndpointRecord => {
    const { at, id } = next("ep")
    return endpointRecord(tenant, at, { id, url: `https://receiver.example.com/hooks/${id}`, ...overrides })
  }

  const message = (overrides: Partial<MessageRecord> = {}, gapMs = 1): MessageRecord => {
    const { at, id } = next("msg", gapMs)
    return {
      id,
      tenant,
      type: "invoice.paid",
      body: JSON.stringify({ id, type: "invoice.paid", data: { amount: 42 } }),
      channels: [],
      idempotencyKey: null,
      createdAt: at,
      ...overrides
    }
  }

  const delivery = (
    message: MessageRecord,
    endpoint: EndpointRecord,
    overrides: Partial<DeliveryRecord> = {},
    gapMs = 1
  ): DeliveryRecord => {
    const { at, id } = next("dlv", gapMs)
    return {
      id,
      tenant,
      messageId: message.id,
      endpointId: endpoint.id,
      status: "pending",
      attempts: 0,
      nextAttemptAt: at,
      lastAttemptAt: null,
      lastResponseStatus: null,
      lastError: null,
      createdAt: at,
      updatedAt: at,
      ...overrides
    }
  }

  const attempt = (delivery: DeliveryRecord, overrides: Partial<AttemptRecord> = {}, gapMs = 1): AttemptRecord => {
    const { at, id } = next("atm", gapMs)
    return {
      id,
      tenant,
      deliveryId: delivery.id,
      messageId: delivery.messageId,
      endpointId: delivery.endpointId,
      attempt: delivery.attempts + 1,
      trigger: "scheduled",
      url: `https://receiver.example.com/hooks/${delivery.endpointId}`,
      startedAt: at,
      durationMs: 12,
      responseStatus: 500,
      responseBody: "{\"error\":\"try later\"}",
      errorKind: null,
      errorMessage: null,
      requestHeaders: null,
      responseHeaders: null,
      ...overrides
    }
  }

  /** The attempt and the delivery state it leads to (one more attempt, retry in 5 s). */
  const result = (delivery: DeliveryRecord, overrides: Partial<AttemptRecord> = {}): Storage.AttemptResult => {
    const a = attempt(delivery, overrides)
    return {
      attempt: a,
      delivery: {
        ...delivery,
        attempts: delivery.attempts + 1,
        lastAttemptAt: a.startedAt,
        lastResponseStatus: a.responseStatus,
        lastError: a.errorKind,
        nextAttemptAt: a.startedAt + 5_000,
        updatedAt: a.startedAt
      }
    }
  }

  return { tenant, next, endpoint, message, delivery, attempt, result }
}

/** @internal */
export type Fixture = ReturnType<typeof fixture>

const storage = Storage.Storage

/** Inserts `count` endpoints (or the given ones) and returns them, ascending by id. */
export const insertEndpoints = (fx: Fixture, count: number, overrides: Partial<EndpointRecord> = {}) =>
  Effect.gen(function*() {
    const s = yield* storage
    const endpoints = Array.from({ length: count }, () => fx.endpoint(overrides))
    yield* Effect.forEach(endpoints, s.insertEndpoint, { concurrency: 16, discard: true })
    return endpoints
  })

/** Publishes one message with a pending delivery to each endpoint. */
export const publish = (
  fx: Fixture,
  endpoints: ReadonlyArray<EndpointRecord>,
  overrides: Partial<MessageRecord> = {},
  deliveryOverrides: Partial<DeliveryRecord> = {}
) =>
  Effect.gen(function*() {
    const s = yield* storage
    const message = fx.message(overrides)
    const deliveries = endpoints.map((endpoint) => fx.delivery(message, endpoint, deliveryOverrides))
    const result = yield* s.insertMessage(message, deliveries)
    expect(result.created).toBe(true)
    return { message, deliveries }
  })

/**
 * Reads every page, checking the paging rules on the way: each page holds at most `limit` items, a non-final page
 * is full and its `nextCursor` is its last id, and the last page's `nextCursor` is null.
 */
export const drain = <A extends { readonly id: string }>(
  limit: number,
  read: (cursor: string | undefined) => Effect.Effect<Page<A>, StorageError>
) =>
  Effect.gen(function*() {
    const items: Array<A> = []
    const sizes: Array<number> = []
    let cursor: string | undefined
    for (let pages = 0; pages < 100_000; pages++) {
      const page = yield* read(cursor)
      expect(page.items.length).toBeLessThanOrEqual(limit)
      items.push(...page.items)
      sizes.push(page.items.length)
      if (page.nextCursor === null) return { items, sizes }
      expect(page.items.length).toBe(limit)
      expect(page.nextCursor).toBe(page.items[page.items.length - 1].id)
      cursor = page.nextCursor
    }
    return yield* Effect.dieMessage("pagination did not end after 100,000 pages")
  })

const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)
/** An insert result without `queued` (a store that holds the queue too sets it; others leave it out). */
const plain = ({ queued: _, ...result }: Storage.InsertMessageResult) => result
const sorted = (values: ReadonlyArray<string>) => [...values].sort()

// ---------------------------------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Registers the Storage contract tests for an adapter, under `describe("Storage contract: <name>")`. The layer is
 * built once for the whole suite.
 *
 * @since 0.1.0
 * @category constructors
 */
export const storageSuite = (name: string, storageLayer: Layer.Layer<Storage.Storage, unknown>): void =>
  layer(storageLayer)(`Storage contract: ${name}`, (it) => {
    describe("endpoints", () => {
      it.effect("insertEndpoint then getEndpoint returns the same record, every field intact", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const minimal = fx.endpoint()
          const full = fx.endpoint({
            name: "Orders",
            description: "Production order feed — ünïcödé ✓",
            eventTypes: ["order.filled", "signal.*"],
            channels: ["AAPL", "MSFT"],
            headers: { "x-team": "trading", "x-empty": "" },
            metadata: { plan: "pro", "quote\"d": "a,b" },
            disabled: true,
            disabledReason: "410 Gone",
            disabledAt: 1_700_000_000_123,
            timeoutMs: 5_000,
            retryPolicy: {
              _tag: "exponential",
              baseMs: 1_000,
              factor: 2,
              maxDelayMs: 60_000,
              maxAttempts: 5,
              jitter: 0.2
            },
            scheme: "github",
            secrets: [
              { value: "whsec_new", createdAt: 1_700_000_000_000, expiresAt: null },
              { value: "whsec_old", createdAt: 1_600_000_000_000, expiresAt: 1_700_086_400_000 }
            ],
            transport: {
              sensitiveHeaders: { authorization: "enc:v1:k1:c2VhbGVk", "x-api-key": "plain ünï" },
              proxy: "static-egress",
              tls: {
                cert: "-----BEGIN CERTIFICATE-----\nMII…\n-----END CERTIFICATE-----\n",
                key: "enc:v1:k1:a2V5",
                ca: null
              },
              oauth2: {
                tokenUrl: "https://auth.example/token",
                clientId: "sender",
                clientSecret: "enc:v1:k1:c2VjcmV0",
                scopes: ["webhooks:write"],
                clientAuth: "basic"
              }
            }
          })
          yield* s.insertEndpoint(minimal)
          yield* s.insertEndpoint(full)
          expect(yield* s.getEndpoint(fx.tenant, minimal.id)).toStrictEqual(minimal)
          expect(yield* s.getEndpoint(fx.tenant, full.id)).toStrictEqual(full)
          expect(yield* s.getEndpoint(fx.tenant, fx.next("ep").id)).toBeUndefined()
        }))

      it.effect("insertEndpoint with an id that exists fails with a Conflict and changes nothing", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const endpoint = fx.endpoint({ name: "first" })
          yield* s.insertEndpoint(endpoint)
          const error = yield* Effect.flip(s.insertEndpoint({ ...endpoint, name: "second" }))
          expect(error._tag).toBe("StorageError")
          expect(error.code).toBe("conflict")
          const within = yield* Effect.flip(s.insertEndpointWithin({ ...endpoint, name: "third" }, 100))
          expect(within.code).toBe("conflict")
          expect(yield* s.getEndpoint(fx.tenant, endpoint.id)).toStrictEqual(endpoint)
          expect(yield* s.countEndpoints(fx.tenant)).toBe(1)
        }))

      it.effect("listEndpoints pages ascending by id; nextCursor is null at the end, even on a full last page", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const endpoints = yield* insertEndpoints(fx, 5)
          const expected = sorted(ids(endpoints))

          const first = yield* s.listEndpoints(fx.tenant, { limit: 2 })
          expect(ids(first.items)).toStrictEqual(expected.slice(0, 2))
          expect(first.nextCursor).toBe(expected[1])
          const second = yield* s.listEndpoints(fx.tenant, { limit: 2, cursor: first.nextCursor! })
          expect(ids(second.items)).toStrictEqual(expected.slice(2, 4))
          const third = yield* s.listEndpoints(fx.tenant, { limit: 2, cursor: second.nextCursor! })
          expect(ids(third.items)).toStrictEqual(expected.slice(4))
          expect(third.nextCursor).toBeNull()

          const exact = yield* s.listEndpoints(fx.tenant, { limit: 5 })
          expect(ids(exact.items)).toStrictEqual(expected)
          expect(exact.nextCursor).toBeNull()
          const larger = yield* s.listEndpoints(fx.tenant, { limit: 100 })
          expect(ids(larger.items)).toStrictEqual(expected)
          expect(larger.nextCursor).toBeNull()
          expect(larger.items[0]).toStrictEqual(endpoints.find((e) => e.id === expected[0]))

          for (const limit of [1, 3, 4]) {
            const { items, sizes } = yield* drain(limit, (cursor) => s.listEndpoints(fx.tenant, { limit, cursor }))
            expect(ids(items)).toStrictEqual(expected)
            expect(sizes.length).toBe(Math.ceil(5 / limit))
          }

          const last = yield* s.listEndpoints(fx.tenant, { limit: 10, cursor: expected[4] })
          expect(last).toStrictEqual({ items: [], nextCursor: null })
          expect(yield* s.listEndpoints(newTenant(), { limit: 10 })).toStrictEqual({ items: [], nextCursor: null })
        }))

      it.effect("listEndpoints continues after a cursor whose record was deleted, and takes an id lower bound", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const endpoints = yield* insertEndpoints(fx, 4)
          const expected = sorted(ids(endpoints))
          const first = yield* s.listEndpoints(fx.tenant, { limit: 2 })
          expect(yield* s.deleteEndpoint(fx.tenant, first.nextCursor!, Date.now())).toBe(true)
          const rest = yield* s.listEndpoints(fx.tenant, { limit: 10, cursor: first.nextCursor! })
          expect(ids(rest.items)).toStrictEqual(expected.slice(2))

          const bounded = yield* s.listEndpoints(fx.tenant, {
            limit: 10,
            cursor: Id.lowerBound("ep", Id.timeOf(expected[2]))
          })
          expect(ids(bounded.items)).toStrictEqual(expected.slice(2))
        }))

      it.effect("countEndpoints counts enabled and disabled endpoints of the tenant only", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          expect(yield* s.countEndpoints(fx.tenant)).toBe(0)
          yield* insertEndpoints(fx, 2)
          yield* insertEndpoints(fx, 1, { disabled: true, disabledReason: "manual", disabledAt: 1 })
          expect(yield* s.countEndpoints(fx.tenant)).toBe(3)
        }))

      it.effect("scanEndpoints pages through every tenant's endpoints in id order", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const a = fixture()
          const b = fixture()
          const ours = [...(yield* insertEndpoints(a, 3)), ...(yield* insertEndpoints(b, 2))]
          const wanted = new Set(ids(ours))
          const start = [...wanted].sort()[0]!
          // Start just before our first id; other tests' endpoints may be interleaved: only order and coverage matter.
          // (The id without its last character sorts just before it.)
          let after: string | undefined = start.slice(0, -1)
          const seen: Array<string> = []
          for (let i = 0; i < 10_000 && seen.length < wanted.size; i++) {
            const page: ReadonlyArray<EndpointRecord> = yield* s.scanEndpoints(after, 2)
            if (page.length === 0) break
            expect(page.length).toBeLessThanOrEqual(2)
            for (const endpoint of page) {
              expect(after === undefined || endpoint.id > after).toBe(true)
              after = endpoint.id
              if (wanted.has(endpoint.id)) seen.push(endpoint.id)
            }
          }
          expect(seen).toStrictEqual([...wanted].sort())
          const [first] = yield* s.scanEndpoints(start.slice(0, -1), 1)
          expect(first).toStrictEqual(ours.find((e) => e.id === start))
        }))

      it.effect("patchEndpoint changes only engine-managed fields, with an optional compare-and-set on health", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const other = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1)
          const failing = { ...endpoint.health, failingSince: 10, consecutiveFailures: 1 }
          const patched = yield* s.patchEndpoint(fx.tenant, endpoint.id, { health: failing, updatedAt: 11 })
          expect(patched).toStrictEqual({ ...endpoint, health: failing, updatedAt: 11 })
          // A host edit in between is kept: the patch does not replace the record.
          yield* s.updateEndpoint({ ...patched!, name: "renamed", updatedAt: 12 })
          const open = { ...failing, circuit: "open" as const, circuitOpenedAt: 13, circuitRetryAt: 99 }
          // Wrong expectation: nothing changes.
          expect(yield* s.patchEndpoint(fx.tenant, endpoint.id, { health: open, updatedAt: 13 }, endpoint.health))
            .toBeUndefined()
          const cas = yield* s.patchEndpoint(fx.tenant, endpoint.id, { health: open, updatedAt: 13 }, failing)
          expect(cas).toMatchObject({ name: "renamed", health: open, updatedAt: 13 })
          // Exactly one of several concurrent compare-and-sets wins.
          const probe = { ...open, circuit: "half_open" as const }
          const results = yield* Effect.all(
            Array.from(
              { length: 8 },
              () => s.patchEndpoint(fx.tenant, endpoint.id, { health: probe, updatedAt: 14 }, open)
            ),
            { concurrency: "unbounded" }
          )
          expect(results.filter((r) => r !== undefined)).toHaveLength(1)
          // Disabling through a patch is visible to enabledEndpoints; another tenant cannot patch.
          const disabled = yield* s.patchEndpoint(fx.tenant, endpoint.id, {
            disabled: true,
            disabledReason: "failing for 5 days",
            disabledAt: 15,
            updatedAt: 15
          })
          expect(disabled).toMatchObject({ disabled: true, disabledReason: "failing for 5 days", disabledAt: 15 })
          expect(ids(yield* s.enabledEndpoints(fx.tenant))).not.toContain(endpoint.id)
          expect(yield* s.patchEndpoint(other.tenant, endpoint.id, { disabled: false, updatedAt: 16 })).toBeUndefined()
          expect((yield* s.getEndpoint(fx.tenant, endpoint.id))!.disabled).toBe(true)
        }))

      it.effect("patchEndpoint writes only the fields it carries, with a compare-and-set on the secrets", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1)
          // The dispatcher disables it; then a host edit of other fields keeps it disabled.
          yield* s.patchEndpoint(fx.tenant, endpoint.id, { disabled: true, disabledReason: "gone", updatedAt: 20 })
          const edited = yield* s.patchEndpoint(fx.tenant, endpoint.id, {
            url: "https://receiver.example.com/moved",
            name: null,
            eventTypes: ["a.b"],
            channels: ["c1"],
            headers: { "x-a": "1" },
            metadata: { k: "v" },
            timeoutMs: 3000,
            retryPolicy: null,
            scheme: null,
            options: { rateLimit: null, fifo: true, circuitBreaker: false },
            updatedAt: 21
          })
          expect(edited).toStrictEqual({
            ...endpoint,
            url: "https://receiver.example.com/moved",
            name: null,
            eventTypes: ["a.b"],
            channels: ["c1"],
            headers: { "x-a": "1" },
            metadata: { k: "v" },
            timeoutMs: 3000,
            retryPolicy: null,
            scheme: null,
            options: { rateLimit: null, fifo: true, circuitBreaker: false },
            disabled: true,
            disabledReason: "gone",
            updatedAt: 21
          })
          expect(yield* s.getEndpoint(fx.tenant, endpoint.id)).toStrictEqual(edited)
          // Secrets: replaced only while they are what the writer read.
          const rotated = [
            { ...endpoint.secrets[0]!, expiresAt: 99 },
            { value: "whsec_second", createdAt: 22, expiresAt: null }
          ]
          const stale = [{ value: "whsec_other", createdAt: 1, expiresAt: null }]
          expect(yield* s.patchEndpoint(fx.tenant, endpoint.id, { secrets: rotated, updatedAt: 22 }, undefined, stale))
            .toBeUndefined()
          const swapped = yield* s.patchEndpoint(
            fx.tenant,
            endpoint.id,
            { secrets: rotated, updatedAt: 22 },
            undefined,
            endpoint.secrets
          )
          expect(swapped).toMatchObject({ secrets: rotated, disabled: true, url: "https://receiver.example.com/moved" })
          // Exactly one of several concurrent swaps from the same read wins.
          const results = yield* Effect.all(
            Array.from({ length: 6 }, (_, i) =>
              s.patchEndpoint(
                fx.tenant,
                endpoint.id,
                { secrets: [...rotated, { value: `whsec_${i}`, createdAt: 23, expiresAt: null }], updatedAt: 23 },
                undefined,
                rotated
              )),
            { concurrency: "unbounded" }
          )
          expect(results.filter((r) => r !== undefined)).toHaveLength(1)
        }))

      it.effect("patchEndpoint sets and clears the transport, with a compare-and-set on it", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1)
          const first = { sensitiveHeaders: { authorization: "enc:v1:k1:Zmlyc3Q=" } }
          const second = { sensitiveHeaders: { authorization: "enc:v1:k2:c2Vjb25k", "x-key": "enc:v1:k2:eA==" } }
          // An endpoint without a transport matches `null`, not another value.
          expect(
            yield* s.patchEndpoint(
              fx.tenant,
              endpoint.id,
              { transport: second, updatedAt: 30 },
              undefined,
              undefined,
              first
            )
          ).toBeUndefined()
          const set = yield* s.patchEndpoint(
            fx.tenant,
            endpoint.id,
            { transport: first, updatedAt: 30 },
            undefined,
            undefined,
            null
          )
          expect(set).toStrictEqual({ ...endpoint, transport: first, updatedAt: 30 })
          // Replaced only while it is what the writer read (key order does not matter).
          expect(
            yield* s.patchEndpoint(
              fx.tenant,
              endpoint.id,
              { transport: second, updatedAt: 31 },
              undefined,
              undefined,
              null
            )
          ).toBeUndefined()
          const results = yield* Effect.all(
            Array.from({ length: 4 }, (_, i) =>
              s.patchEndpoint(
                fx.tenant,
                endpoint.id,
                { transport: { sensitiveHeaders: { ...second.sensitiveHeaders, [`x-${i}`]: "v" } }, updatedAt: 31 },
                undefined,
                undefined,
                { sensitiveHeaders: { authorization: "enc:v1:k1:Zmlyc3Q=" } }
              )),
            { concurrency: "unbounded" }
          )
          expect(results.filter((r) => r !== undefined)).toHaveLength(1)
          const cleared = yield* s.patchEndpoint(fx.tenant, endpoint.id, { transport: null, updatedAt: 32 })
          expect(cleared?.transport).toBeNull()
          expect((yield* s.getEndpoint(fx.tenant, endpoint.id))?.transport).toBeNull()
          // Other writes leave it alone.
          yield* s.patchEndpoint(fx.tenant, endpoint.id, { transport: first, updatedAt: 33 })
          const named = yield* s.patchEndpoint(fx.tenant, endpoint.id, { name: "renamed", updatedAt: 34 })
          expect(named?.transport).toStrictEqual(first)
          const [enabled] = (yield* s.enabledEndpoints(fx.tenant)).filter((e) => e.id === endpoint.id)
          expect(enabled?.transport).toStrictEqual(first)
          const [loaded] = (yield* s.scanEndpoints(undefined, 100_000)).filter((e) => e.id === endpoint.id)
          expect(loaded?.transport).toStrictEqual(first)
        }))

      it.effect("earliestPendingDelivery is the endpoint's oldest pending delivery", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [e1, e2] = yield* insertEndpoints(fx, 2)
          const a = yield* publish(fx, [e1, e2])
          const b = yield* publish(fx, [e1])
          expect(yield* s.earliestPendingDelivery(fx.tenant, e1.id)).toStrictEqual({
            id: a.deliveries[0].id,
            nextAttemptAt: a.deliveries[0].nextAttemptAt
          })
          yield* s.transitionDelivery(fx.tenant, a.deliveries[0].id, ["pending"], {
            status: "delivered",
            nextAttemptAt: null,
            now: 1
          })
          expect((yield* s.earliestPendingDelivery(fx.tenant, e1.id))?.id).toBe(b.deliveries[0].id)
          expect((yield* s.earliestPendingDelivery(fx.tenant, e2.id))?.id).toBe(a.deliveries[1].id)
          expect(yield* s.earliestPendingDelivery(fixture().tenant, e1.id)).toBeUndefined()
          yield* s.transitionDelivery(fx.tenant, b.deliveries[0].id, ["pending"], {
            status: "failed",
            nextAttemptAt: null,
            now: 1
          })
          expect(yield* s.earliestPendingDelivery(fx.tenant, e1.id)).toBeUndefined()
        }))

      it.effect("enabledEndpoints returns every enabled endpoint and follows updates", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const enabled = yield* insertEndpoints(fx, 3)
          const [disabled] = yield* insertEndpoints(fx, 1, { disabled: true, disabledReason: "manual", disabledAt: 1 })
          const result = yield* s.enabledEndpoints(fx.tenant)
          expect(sorted(ids(result))).toStrictEqual(sorted(ids(enabled)))
          expect(result.find((e) => e.id === enabled[0].id)).toStrictEqual(enabled[0])

          yield* s.updateEndpoint({ ...enabled[0], disabled: true, disabledReason: "410 Gone", disabledAt: 2 })
          yield* s.updateEndpoint({ ...disabled, disabled: false, disabledReason: null, disabledAt: null })
          const after = yield* s.enabledEndpoints(fx.tenant)
          expect(sorted(ids(after))).toStrictEqual(sorted([enabled[1].id, enabled[2].id, disabled.id]))

          yield* s.deleteEndpoint(fx.tenant, enabled[1].id, Date.now())
          expect(sorted(ids(yield* s.enabledEndpoints(fx.tenant)))).toStrictEqual(sorted([enabled[2].id, disabled.id]))
          expect(yield* s.enabledEndpoints(newTenant())).toStrictEqual([])
        }))

      it.effect("enabledEndpointsOf answers enabledEndpoints for several tenants at once", () =>
        Effect.gen(function*() {
          const s = yield* storage
          if (s.enabledEndpointsOf === undefined) return
          const a = fixture()
          const b = fixture()
          const enabledA = yield* insertEndpoints(a, 2)
          yield* insertEndpoints(a, 1, { disabled: true, disabledReason: "manual", disabledAt: 1 })
          const enabledB = yield* insertEndpoints(b, 1)
          const empty = newTenant()
          const found = yield* s.enabledEndpointsOf([a.tenant, empty, b.tenant, a.tenant])
          expect(sorted([...found.keys()])).toStrictEqual(sorted([a.tenant, b.tenant, empty]))
          expect(sorted(ids(found.get(a.tenant)!))).toStrictEqual(sorted(ids(enabledA)))
          expect(found.get(a.tenant)).toStrictEqual(yield* s.enabledEndpoints(a.tenant))
          expect(found.get(b.tenant)).toStrictEqual(enabledB)
          expect(found.get(empty)).toStrictEqual([])
          expect((yield* s.enabledEndpointsOf([])).size).toBe(0)
        }))

      it.effect("updateEndpoint replaces the whole record; an unknown id returns false and inserts nothing", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1, {
            name: "old",
            eventTypes: ["a.b"],
            headers: { "x-a": "1" },
            retryPolicy: { _tag: "fixed", delaysMs: [1, 2] }
          })
          const updated: EndpointRecord = {
            ...endpoint,
            url: "https://receiver.example.com/v2",
            name: null,
            description: "now described",
            eventTypes: [],
            channels: ["EURUSD"],
            headers: {},
            metadata: { k: "v" },
            timeoutMs: 1_000,
            retryPolicy: { _tag: "none" },
            scheme: "stripe",
            secrets: [...endpoint.secrets, { value: "whsec_second", createdAt: 5, expiresAt: 6 }],
            options: { rateLimit: null, fifo: false, circuitBreaker: null },
            health: {
              failingSince: null,
              consecutiveFailures: 0,
              circuit: "closed",
              circuitOpenedAt: null,
              circuitRetryAt: null
            },
            updatedAt: endpoint.updatedAt + 1_000
          }
          expect(yield* s.updateEndpoint(updated)).toBe(true)
          expect(yield* s.getEndpoint(fx.tenant, endpoint.id)).toStrictEqual(updated)

          const unknown = fx.endpoint()
          expect(yield* s.updateEndpoint(unknown)).toBe(false)
          expect(yield* s.getEndpoint(fx.tenant, unknown.id)).toBeUndefined()
          expect(yield* s.countEndpoints(fx.tenant)).toBe(1)
        }))

      it.effect("deleteEndpoint removes it and cancels its pending deliveries only", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [doomed, kept] = yield* insertEndpoints(fx, 2)
          const { deliveries: [pending, otherPending] } = yield* publish(fx, [doomed, kept])
          const { deliveries: [delivered] } = yield* publish(fx, [doomed], {}, {
            status: "delivered",
            nextAttemptAt: null
          })
          const { deliveries: [failed] } = yield* publish(fx, [doomed], {}, { status: "failed", nextAttemptAt: null })
          const now = Date.now() + 60_000

          expect(yield* s.deleteEndpoint(fx.tenant, doomed.id, now)).toBe(true)
          expect(yield* s.getEndpoint(fx.tenant, doomed.id)).toBeUndefined()
          expect(yield* s.countEndpoints(fx.tenant)).toBe(1)
          expect(ids((yield* s.listEndpoints(fx.tenant, { limit: 10 })).items)).toStrictEqual([kept.id])

          expect(yield* s.getDelivery(fx.tenant, pending.id)).toStrictEqual({
            ...pending,
            status: "cancelled",
            nextAttemptAt: null,
            updatedAt: now
          })
          expect(yield* s.getDelivery(fx.tenant, otherPending.id)).toStrictEqual(otherPending)
          expect(yield* s.getDelivery(fx.tenant, delivered.id)).toStrictEqual(delivered)
          expect(yield* s.getDelivery(fx.tenant, failed.id)).toStrictEqual(failed)
          // The delivery log of a deleted endpoint stays readable.
          const log = yield* s.listDeliveries(fx.tenant, { limit: 10, endpointId: doomed.id })
          expect(sorted(ids(log.items))).toStrictEqual(sorted([pending.id, delivered.id, failed.id]))

          expect(yield* s.deleteEndpoint(fx.tenant, doomed.id, now)).toBe(false)
          expect(yield* s.deleteEndpoint(fx.tenant, fx.next("ep").id, now)).toBe(false)
        }))
    })

    describe("endpoint limits", () => {
      it.effect("insertEndpointWithin inserts below the limit and refuses at it, per tenant", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const other = fixture()
          const [a, b, c] = [fx.endpoint(), fx.endpoint(), fx.endpoint()]
          expect(yield* s.insertEndpointWithin(a, 2)).toBe(true)
          expect(yield* s.insertEndpointWithin(b, 2)).toBe(true)
          expect(yield* s.insertEndpointWithin(c, 2)).toBe(false)
          expect(yield* s.getEndpoint(fx.tenant, c.id)).toBeUndefined()
          expect(yield* s.countEndpoints(fx.tenant)).toBe(2)
          // A disabled endpoint still counts towards the limit.
          yield* s.updateEndpoint({ ...a, disabled: true, disabledReason: "manual", disabledAt: 1 })
          expect(yield* s.insertEndpointWithin(c, 2)).toBe(false)
          expect(yield* s.insertEndpointWithin(c, 3)).toBe(true)
          // Deleting frees a slot.
          yield* s.deleteEndpoint(fx.tenant, b.id, Date.now())
          const d = fx.endpoint()
          expect(yield* s.insertEndpointWithin(d, 3)).toBe(true)
          expect(yield* s.countEndpoints(fx.tenant)).toBe(3)

          // Another tenant has its own count; a limit of 0 allows nothing.
          expect(yield* s.insertEndpointWithin(other.endpoint(), 0)).toBe(false)
          expect(yield* s.insertEndpointWithin(other.endpoint(), 1)).toBe(true)
          expect(yield* s.countEndpoints(other.tenant)).toBe(1)
        }))

      it.effect("parallel insertEndpointWithin calls never exceed the limit", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const limit = 5
          const candidates = Array.from({ length: 40 }, () => fx.endpoint())
          const results = yield* Effect.forEach(candidates, (e) => s.insertEndpointWithin(e, limit), {
            concurrency: "unbounded"
          })
          const inserted = candidates.filter((_, i) => results[i])
          expect(inserted.length).toBe(limit)
          expect(yield* s.countEndpoints(fx.tenant)).toBe(limit)
          expect(sorted(ids((yield* s.listEndpoints(fx.tenant, { limit: 100 })).items))).toStrictEqual(
            sorted(ids(inserted))
          )
          // Already full: another burst inserts nothing.
          const again = yield* Effect.forEach(
            Array.from({ length: 10 }, () => fx.endpoint()),
            (e) => s.insertEndpointWithin(e, limit),
            { concurrency: "unbounded" }
          )
          expect(again.every((ok) => !ok)).toBe(true)
          expect(yield* s.countEndpoints(fx.tenant)).toBe(limit)
        }))
    })

    describe("messages", () => {
      it.effect("insertMessage stores the message and its deliveries together", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const endpoints = yield* insertEndpoints(fx, 3)
          const message = fx.message({ channels: ["AAPL", "MSFT"], body: "{\"test\": 2432232314}" })
          const deliveries = endpoints.map((endpoint) => fx.delivery(message, endpoint))
          const result = yield* s.insertMessage(message, deliveries)
          expect(result.created).toBe(true)
          expect(result.message).toStrictEqual(message)
          expect(sorted(ids(result.deliveries))).toStrictEqual(sorted(ids(deliveries)))
          expect(yield* s.getMessage(fx.tenant, message.id)).toStrictEqual(message)
          for (const delivery of deliveries) {
            expect(yield* s.getDelivery(fx.tenant, delivery.id)).toStrictEqual(delivery)
          }
          expect(yield* s.getMessage(fx.tenant, fx.next("msg").id)).toBeUndefined()
          expect(yield* s.getDelivery(fx.tenant, fx.next("dlv").id)).toBeUndefined()
        }))

      it.effect("insertMessage with no deliveries stores the message", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const message = fx.message()
          const result = yield* s.insertMessage(message, [])
          expect(plain(result)).toStrictEqual({ message, created: true, deliveries: [] })
          expect(yield* s.getMessage(fx.tenant, message.id)).toStrictEqual(message)
        }))

      it.effect("insertMessage is atomic: a conflicting delivery id leaves neither message nor deliveries", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const endpoints = yield* insertEndpoints(fx, 3)
          const { deliveries: [taken] } = yield* publish(fx, [endpoints[0]])
          const message = fx.message({ idempotencyKey: `key-${fx.tenant}` })
          const fresh = endpoints.slice(1).map((endpoint) => fx.delivery(message, endpoint))
          const clash = { ...fx.delivery(message, endpoints[0]), id: taken.id }
          const error = yield* Effect.flip(s.insertMessage(message, [...fresh, clash]))
          expect(error._tag).toBe("StorageError")
          expect(error.code).toBe("conflict")
          expect(yield* s.getMessage(fx.tenant, message.id)).toBeUndefined()
          for (const delivery of fresh) expect(yield* s.getDelivery(fx.tenant, delivery.id)).toBeUndefined()
          expect(yield* s.getDelivery(fx.tenant, taken.id)).toStrictEqual(taken)
          // Nothing half-written: the idempotency key is still free.
          const retry = yield* s.insertMessage(message, fresh)
          expect(retry.created).toBe(true)
          expect(sorted(ids(retry.deliveries))).toStrictEqual(sorted(ids(fresh)))
        }))

      it.effect("insertMessage with a message id that exists fails with a Conflict", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const message = fx.message()
          yield* s.insertMessage(message, [])
          const error = yield* Effect.flip(s.insertMessage({ ...message, type: "other.type" }, []))
          expect(error.code).toBe("conflict")
          expect(yield* s.getMessage(fx.tenant, message.id)).toStrictEqual(message)
        }))

      it.effect("an idempotency key returns the first message and inserts nothing the second time", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const other = fixture()
          const endpoints = yield* insertEndpoints(fx, 2)
          const key = "order-42-paid"
          const first = fx.message({ idempotencyKey: key })
          const firstDeliveries = endpoints.map((endpoint) => fx.delivery(first, endpoint))
          expect((yield* s.insertMessage(first, firstDeliveries)).created).toBe(true)

          const second = fx.message({ idempotencyKey: key, body: "{\"different\":true}" })
          const secondDeliveries = endpoints.map((endpoint) => fx.delivery(second, endpoint))
          const repeat = yield* s.insertMessage(second, secondDeliveries)
          expect(plain(repeat)).toStrictEqual({ message: first, created: false, deliveries: [] })
          expect(yield* s.getMessage(fx.tenant, second.id)).toBeUndefined()
          for (const delivery of secondDeliveries) {
            expect(yield* s.getDelivery(fx.tenant, delivery.id)).toBeUndefined()
          }
          const listed = yield* s.listDeliveries(fx.tenant, { limit: 10, messageId: first.id })
          expect(sorted(ids(listed.items))).toStrictEqual(sorted(ids(firstDeliveries)))
          expect(ids((yield* s.listMessages(fx.tenant, { limit: 10 })).items)).toStrictEqual([first.id])

          // The same key on another tenant is independent.
          const foreign = other.message({ idempotencyKey: key })
          const foreignResult = yield* s.insertMessage(foreign, [])
          expect(foreignResult.created).toBe(true)
          expect(foreignResult.message).toStrictEqual(foreign)
          // Messages without a key never collide.
          expect((yield* s.insertMessage(fx.message(), [])).created).toBe(true)
          expect((yield* s.insertMessage(fx.message(), [])).created).toBe(true)
        }))

      it.effect("parallel inserts with one idempotency key create exactly one message", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1)
          const candidates = Array.from({ length: 10 }, () => {
            const message = fx.message({ idempotencyKey: "burst" })
            return { message, deliveries: [fx.delivery(message, endpoint)] }
          })
          const results = yield* Effect.forEach(candidates, (c) => s.insertMessage(c.message, c.deliveries), {
            concurrency: "unbounded"
          })
          const created = results.filter((r) => r.created)
          expect(created.length).toBe(1)
          for (const r of results) expect(r.message).toStrictEqual(created[0].message)
          const all = yield* s.listDeliveries(fx.tenant, { limit: 100, endpointId: endpoint.id })
          expect(all.items.length).toBe(1)
          expect(all.items[0].messageId).toBe(created[0].message.id)
        }))

      // `insertMessages` is optional in the port; every adapter of this repository implements it.
      it.effect("insertMessages stores each message with its deliveries, results in input order", () =>
        Effect.gen(function*() {
          const s = yield* storage
          if (s.insertMessages === undefined) return
          const fx = fixture()
          const other = fixture()
          const endpoints = yield* insertEndpoints(fx, 2)
          const [foreignEndpoint] = yield* insertEndpoints(other, 1)
          const messages = [fx.message(), fx.message({ channels: ["AAPL"] }), other.message(), fx.message()]
          const batch = [
            { message: messages[0], deliveries: endpoints.map((e) => fx.delivery(messages[0], e)) },
            { message: messages[1], deliveries: [] },
            { message: messages[2], deliveries: [other.delivery(messages[2], foreignEndpoint)] },
            { message: messages[3], deliveries: [fx.delivery(messages[3], endpoints[1])] }
          ]
          const results = yield* s.insertMessages(batch)
          expect(results.map(plain)).toStrictEqual(batch.map((b) => ({ ...b, created: true })))
          for (const { deliveries, message } of batch) {
            expect(yield* s.getMessage(message.tenant, message.id)).toStrictEqual(message)
            for (const delivery of deliveries) {
              expect(yield* s.getDelivery(delivery.tenant, delivery.id)).toStrictEqual(delivery)
            }
          }
          // Each tenant sees only its own.
          expect(yield* s.getMessage(fx.tenant, messages[2].id)).toBeUndefined()
          expect(yield* s.insertMessages([])).toStrictEqual([])
        }))

      it.effect("insertMessages returns the first message for a taken idempotency key and inserts the rest", () =>
        Effect.gen(function*() {
          const s = yield* storage
          if (s.insertMessages === undefined) return
          const fx = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1)
          const first = fx.message({ idempotencyKey: "batch-key" })
          yield* s.insertMessage(first, [fx.delivery(first, endpoint)])
          const before = fx.message({ idempotencyKey: "fresh-key" })
          const repeat = fx.message({ idempotencyKey: "batch-key" })
          const after = fx.message()
          const batch = [before, repeat, after].map((message) => ({
            message,
            deliveries: [fx.delivery(message, endpoint)]
          }))
          const results = yield* s.insertMessages(batch)
          expect(results.map(plain)).toStrictEqual([
            { ...batch[0], created: true },
            { message: first, created: false, deliveries: [] },
            { ...batch[2], created: true }
          ])
          expect(yield* s.getMessage(fx.tenant, repeat.id)).toBeUndefined()
          expect(yield* s.getDelivery(fx.tenant, batch[1].deliveries[0].id)).toBeUndefined()
          const listed = yield* s.listDeliveries(fx.tenant, { limit: 10, endpointId: endpoint.id })
          expect(listed.items.length).toBe(3)
        }))

      it.effect("insertMessages is atomic: a conflicting id anywhere in the batch inserts none of it", () =>
        Effect.gen(function*() {
          const s = yield* storage
          if (s.insertMessages === undefined) return
          const fx = fixture()
          const endpoints = yield* insertEndpoints(fx, 2)
          const { deliveries: [taken] } = yield* publish(fx, [endpoints[0]])
          const good = fx.message()
          const bad = fx.message()
          const batch = [
            { message: good, deliveries: [fx.delivery(good, endpoints[1])] },
            { message: bad, deliveries: [{ ...fx.delivery(bad, endpoints[0]), id: taken.id }] }
          ]
          const error = yield* Effect.flip(s.insertMessages(batch))
          expect(error.code).toBe("conflict")
          expect(yield* s.getMessage(fx.tenant, good.id)).toBeUndefined()
          expect(yield* s.getDelivery(fx.tenant, batch[0].deliveries[0].id)).toBeUndefined()
          expect(yield* s.getMessage(fx.tenant, bad.id)).toBeUndefined()
          // A message id that exists fails the same way.
          const existing = fx.message()
          yield* s.insertMessage(existing, [])
          const again = yield* Effect.flip(s.insertMessages([{ message: fx.message(), deliveries: [] }, {
            message: existing,
            deliveries: []
          }]))
          expect(again.code).toBe("conflict")
          // Nothing half-written: the same good message goes in afterwards.
          expect((yield* s.insertMessages([batch[0]])).map(plain)).toStrictEqual([{ ...batch[0], created: true }])
        }))

      it.effect("listMessages pages ascending and filters by type and [since, until)", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const messages = [
            fx.message({ type: "quote.update" }, 10),
            fx.message({ type: "price.alert" }, 10),
            fx.message({ type: "quote.update" }, 10),
            fx.message({ type: "quote.update" }, 10),
            fx.message({ type: "news.published" }, 10)
          ]
          for (const message of messages) yield* s.insertMessage(message, [])
          const all = ids(messages)

          const { items } = yield* drain(2, (cursor) => s.listMessages(fx.tenant, { limit: 2, cursor }))
          expect(ids(items)).toStrictEqual(all)
          expect(items[1]).toStrictEqual(messages[1])

          const quotes = yield* drain(1, (cursor) =>
            s.listMessages(fx.tenant, { limit: 1, cursor, type: "quote.update" }))
          expect(ids(quotes.items)).toStrictEqual([all[0], all[2], all[3]])

          const since = messages[1].createdAt
          const until = messages[3].createdAt
          const window = yield* s.listMessages(fx.tenant, { limit: 10, since, until })
          expect(ids(window.items)).toStrictEqual([all[1], all[2]])
          const sinceOnly = yield* s.listMessages(fx.tenant, { limit: 10, since: messages[3].createdAt })
          expect(ids(sinceOnly.items)).toStrictEqual([all[3], all[4]])
          const untilOnly = yield* s.listMessages(fx.tenant, { limit: 10, until: messages[1].createdAt })
          expect(ids(untilOnly.items)).toStrictEqual([all[0]])
          const between = yield* s.listMessages(fx.tenant, { limit: 10, since: since + 1, until: until + 1 })
          expect(ids(between.items)).toStrictEqual([all[2], all[3]])
          const combined = yield* drain(1, (cursor) =>
            s.listMessages(fx.tenant, { limit: 1, cursor, type: "quote.update", since, until: until + 1 }))
          expect(ids(combined.items)).toStrictEqual([all[2], all[3]])
          const none = yield* s.listMessages(fx.tenant, { limit: 10, type: "no.such.type" })
          expect(none).toStrictEqual({ items: [], nextCursor: null })
        }))
    })

    describe("deliveries", () => {
      it.effect("listDeliveries filters by endpoint, message, status and [since, until), in cursor pages", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [e1, e2] = yield* insertEndpoints(fx, 2)
          const m1 = fx.message()
          const m2 = fx.message()
          const m3 = fx.message()
          const d = {
            m1e1: fx.delivery(m1, e1, {}, 10),
            m1e2: fx.delivery(m1, e2, { status: "delivered", nextAttemptAt: null }, 10),
            m2e1: fx.delivery(m2, e1, { status: "failed", nextAttemptAt: null }, 10),
            m2e2: fx.delivery(m2, e2, {}, 10),
            m3e1: fx.delivery(m3, e1, { status: "delivered", nextAttemptAt: null }, 10),
            m3e2: fx.delivery(m3, e2, { status: "cancelled", nextAttemptAt: null }, 10)
          }
          yield* s.insertMessage(m1, [d.m1e1, d.m1e2])
          yield* s.insertMessage(m2, [d.m2e1, d.m2e2])
          yield* s.insertMessage(m3, [d.m3e1, d.m3e2])
          const list = (filter: Omit<Parameters<typeof s.listDeliveries>[1], "limit" | "cursor">) =>
            Effect.map(
              drain(2, (cursor) => s.listDeliveries(fx.tenant, { ...filter, limit: 2, cursor })),
              ({ items }) => ids(items)
            )

          expect(yield* list({})).toStrictEqual(ids(Object.values(d)))
          expect(yield* list({ endpointId: e1.id })).toStrictEqual(ids([d.m1e1, d.m2e1, d.m3e1]))
          expect(yield* list({ messageId: m2.id })).toStrictEqual(ids([d.m2e1, d.m2e2]))
          expect(yield* list({ status: "delivered" })).toStrictEqual(ids([d.m1e2, d.m3e1]))
          expect(yield* list({ status: "pending" })).toStrictEqual(ids([d.m1e1, d.m2e2]))
          expect(yield* list({ status: "failed", endpointId: e1.id })).toStrictEqual([d.m2e1.id])
          expect(yield* list({ status: "failed", endpointId: e2.id })).toStrictEqual([])
          expect(yield* list({ endpointId: e2.id, messageId: m3.id })).toStrictEqual([d.m3e2.id])
          expect(yield* list({ since: d.m2e1.createdAt, until: d.m3e1.createdAt })).toStrictEqual(
            ids([d.m2e1, d.m2e2])
          )
          expect(yield* list({ endpointId: e2.id, since: d.m1e2.createdAt + 1 })).toStrictEqual(
            ids([d.m2e2, d.m3e2])
          )
          expect(yield* list({ until: d.m1e1.createdAt })).toStrictEqual([])
          expect(yield* list({ messageId: fx.next("msg").id })).toStrictEqual([])
          const page = yield* s.listDeliveries(fx.tenant, { limit: 1, endpointId: e2.id, status: "pending" })
          expect(page.items).toStrictEqual([d.m2e2])
          expect(page.nextCursor).toBeNull()
        }))

      it.effect("transitionDelivery is a compare-and-set on the status", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1)
          const { deliveries: [delivery] } = yield* publish(fx, [endpoint])
          const now = delivery.createdAt + 1_000

          const wrong = yield* s.transitionDelivery(fx.tenant, delivery.id, ["failed", "delivered"], {
            status: "cancelled",
            nextAttemptAt: null,
            now
          })
          expect(wrong).toBeUndefined()
          expect(yield* s.getDelivery(fx.tenant, delivery.id)).toStrictEqual(delivery)

          const moved = yield* s.transitionDelivery(fx.tenant, delivery.id, ["failed", "pending"], {
            status: "failed",
            nextAttemptAt: null,
            now
          })
          const failed: DeliveryRecord = { ...delivery, status: "failed", nextAttemptAt: null, updatedAt: now }
          expect(moved).toStrictEqual(failed)
          expect(yield* s.getDelivery(fx.tenant, delivery.id)).toStrictEqual(failed)

          // The second of two racing transitions from the same state loses.
          const retried = yield* s.transitionDelivery(fx.tenant, delivery.id, ["failed"], {
            status: "pending",
            nextAttemptAt: now + 5,
            now: now + 1
          })
          expect(retried).toStrictEqual({ ...failed, status: "pending", nextAttemptAt: now + 5, updatedAt: now + 1 })
          const lost = yield* s.transitionDelivery(fx.tenant, delivery.id, ["failed"], {
            status: "pending",
            nextAttemptAt: now + 9,
            now: now + 2
          })
          expect(lost).toBeUndefined()
          expect((yield* s.getDelivery(fx.tenant, delivery.id))?.nextAttemptAt).toBe(now + 5)

          expect(
            yield* s.transitionDelivery(fx.tenant, fx.next("dlv").id, ["pending"], {
              status: "failed",
              nextAttemptAt: null,
              now
            })
          ).toBeUndefined()
        }))

      it.effect("parallel transitions from one status: exactly one wins", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [endpoint] = yield* insertEndpoints(fx, 1)
          const { deliveries: [delivery] } = yield* publish(fx, [endpoint])
          const results = yield* Effect.forEach(
            Array.from({ length: 10 }, (_, i) => i),
            (i) =>
              s.transitionDelivery(fx.tenant, delivery.id, ["pending"], {
                status: "delivered",
                nextAttemptAt: null,
                now: delivery.createdAt + i
              }),
            { concurrency: "unbounded" }
          )
          const winners = results.filter((r) => r !== undefined)
          expect(winners.length).toBe(1)
          expect(yield* s.getDelivery(fx.tenant, delivery.id)).toStrictEqual(winners[0])
        }))

      it.effect("transitionEndpointDeliveries moves that endpoint's deliveries in `from`, created since", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [endpoint, other] = yield* insertEndpoints(fx, 2)
          const failedOld = (yield* publish(fx, [endpoint], {}, { status: "failed", nextAttemptAt: null }))
            .deliveries[0]
          fx.next("dlv", 50)
          const failedNew = (yield* publish(fx, [endpoint, other], {}, { status: "failed", nextAttemptAt: null }))
            .deliveries
          const cancelledNew = (yield* publish(fx, [endpoint], {}, { status: "cancelled", nextAttemptAt: null }))
            .deliveries[0]
          const deliveredNew = (yield* publish(fx, [endpoint], {}, { status: "delivered", nextAttemptAt: null }))
            .deliveries[0]
          const since = failedNew[0].createdAt
          const now = Date.now() + 1_000

          const moved = yield* s.transitionEndpointDeliveries(fx.tenant, endpoint.id, {
            from: ["failed", "cancelled"],
            to: "pending",
            since,
            nextAttemptAt: now,
            now
          })
          expect(sorted(moved)).toStrictEqual(sorted([failedNew[0].id, cancelledNew.id]))
          for (const d of [failedNew[0], cancelledNew]) {
            expect(yield* s.getDelivery(fx.tenant, d.id)).toStrictEqual({
              ...d,
              status: "pending",
              nextAttemptAt: now,
              updatedAt: now
            })
          }
          expect(yield* s.getDelivery(fx.tenant, failedOld.id)).toStrictEqual(failedOld)
          expect(yield* s.getDelivery(fx.tenant, failedNew[1].id)).toStrictEqual(failedNew[1])
          expect(yield* s.getDelivery(fx.tenant, deliveredNew.id)).toStrictEqual(deliveredNew)

          const again = yield* s.transitionEndpointDeliveries(fx.tenant, endpoint.id, {
            from: ["failed", "cancelled"],
            to: "pending",
            since,
            nextAttemptAt: now,
            now
          })
          expect(again).toStrictEqual([])
          const unknown = yield* s.transitionEndpointDeliveries(fx.tenant, fx.next("ep").id, {
            from: ["pending"],
            to: "cancelled",
            since: 0,
            nextAttemptAt: null,
            now
          })
          expect(unknown).toStrictEqual([])
        }))

      it.effect("loadForDispatch joins delivery, message and endpoint, and skips what is gone", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [e1, e2] = yield* insertEndpoints(fx, 2)
          const { deliveries: [d1, d2], message } = yield* publish(fx, [e1, e2])
          const { deliveries: [d3], message: m3 } = yield* publish(fx, [e2])
          const missing = fx.next("dlv").id

          const loaded = yield* s.loadForDispatch([d1.id, missing, d2.id, d3.id])
          expect(loaded.length).toBe(3)
          const byId = new Map(loaded.map((c) => [c.delivery.id, c]))
          expect(byId.get(d1.id)).toStrictEqual({ delivery: d1, message, endpoint: e1 })
          expect(byId.get(d2.id)).toStrictEqual({ delivery: d2, message, endpoint: e2 })
          expect(byId.get(d3.id)).toStrictEqual({ delivery: d3, message: m3, endpoint: e2 })

          yield* s.deleteEndpoint(fx.tenant, e1.id, Date.now())
          const after = yield* s.loadForDispatch([d1.id, d2.id])
          expect(after.map((c) => c.delivery.id)).toStrictEqual([d2.id])
          expect(yield* s.loadForDispatch([])).toStrictEqual([])
          expect(yield* s.loadForDispatch([missing])).toStrictEqual([])
        }))

      it.effect("duePendingDeliveries returns pending deliveries due before `before`, oldest first, up to limit", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          // Not tenant-scoped: work in a window of time (somewhere in 1970–1995) that no other test uses.
          const base = 86_400_000 + Math.floor(Math.random() * 9_000) * 86_400_000
          const endpoints = yield* insertEndpoints(fx, 6)
          const message = fx.message()
          const at = [base + 30, base + 10, base + 20, base + 40, base + 99, base + 100]
          const deliveries = endpoints.map((endpoint, i) => fx.delivery(message, endpoint, { nextAttemptAt: at[i] }))
          const [d30, d10, d20, d40, d99, d100] = deliveries
          const notPending = fx.message()
          const [other] = yield* insertEndpoints(fx, 1)
          const done = fx.delivery(notPending, other, { status: "delivered", nextAttemptAt: base + 5 })
          yield* s.insertMessage(message, deliveries)
          yield* s.insertMessage(notPending, [done])

          const own = new Set(ids(deliveries))
          // Deliveries without a next attempt time (none of this test's) come first.
          const due = (before: number, limit: number) =>
            Effect.map(s.duePendingDeliveries(before, limit), (items) => {
              const timed = items.flatMap((item) => item.nextAttemptAt === null ? [] : [item.nextAttemptAt])
              expect(items.slice(items.length - timed.length).every((item) => item.nextAttemptAt !== null)).toBe(true)
              for (let i = 1; i < timed.length; i++) expect(timed[i]).toBeGreaterThanOrEqual(timed[i - 1])
              for (const at of timed) expect(at).toBeLessThan(before)
              return items
            })
          const ownOf = (items: ReadonlyArray<{ readonly id: string; readonly nextAttemptAt: number | null }>) =>
            items.filter((item) => own.has(item.id))

          // `before` is exclusive.
          expect(ownOf(yield* due(base + 100, 1_000))).toStrictEqual([
            { id: d10.id, nextAttemptAt: base + 10 },
            { id: d20.id, nextAttemptAt: base + 20 },
            { id: d30.id, nextAttemptAt: base + 30 },
            { id: d40.id, nextAttemptAt: base + 40 },
            { id: d99.id, nextAttemptAt: base + 99 }
          ])
          const limited = (yield* due(base + 100, 2)).filter((item) => item.nextAttemptAt !== null)
          expect(limited.length).toBeLessThanOrEqual(2)
          for (const item of limited) expect(item.nextAttemptAt).toBeLessThanOrEqual(base + 20)
          expect(ids(ownOf(yield* due(base + 25, 1_000)))).toStrictEqual([d10.id, d20.id])
          expect(ids(yield* due(base + 25, 1_000))).not.toContain(done.id)

          // It follows transitions, attempts and cancellations.
          const now = Date.now()
          yield* s.transitionDelivery(fx.tenant, d10.id, ["pending"], { status: "delivered", nextAttemptAt: null, now })
          yield* s.transitionDelivery(fx.tenant, d40.id, ["pending"], {
            status: "pending",
            nextAttemptAt: base + 1,
            now
          })
          const r20 = fx.result(d20)
          yield* s.recordAttempts([{ attempt: r20.attempt, delivery: { ...r20.delivery, nextAttemptAt: base + 200 } }])
          yield* s.deleteEndpoint(fx.tenant, endpoints[0].id, now) // d30
          yield* s.transitionDelivery(fx.tenant, done.id, ["delivered"], {
            status: "pending",
            nextAttemptAt: base + 2,
            now
          })
          own.add(done.id)
          expect(ownOf(yield* due(base + 1_000, 1_000))).toStrictEqual([
            { id: d40.id, nextAttemptAt: base + 1 },
            { id: done.id, nextAttemptAt: base + 2 },
            { id: d99.id, nextAttemptAt: base + 99 },
            { id: d100.id, nextAttemptAt: base + 100 },
            { id: d20.id, nextAttemptAt: base + 200 }
          ])
          expect(yield* s.duePendingDeliveries(base + 1_000, 0)).toStrictEqual([])
        }))
    })

    describe("attempts", () => {
      it.effect("recordAttempts writes the attempts and the delivery states, in one batch", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [e1, e2] = yield* insertEndpoints(fx, 2)
          const { deliveries: [d1, d2] } = yield* publish(fx, [e1, e2])
          const r1 = fx.result(d1, {
            responseStatus: null,
            responseBody: null,
            errorKind: "timeout",
            errorMessage: "5 s"
          })
          const r2 = fx.result(d2, { responseStatus: 204, responseBody: "" })
          const delivered: DeliveryRecord = { ...r2.delivery, status: "delivered", nextAttemptAt: null }
          yield* s.recordAttempts([r1, { attempt: r2.attempt, delivery: delivered }])
          expect(yield* s.getDelivery(fx.tenant, d1.id)).toStrictEqual(r1.delivery)
          expect(yield* s.getDelivery(fx.tenant, d2.id)).toStrictEqual(delivered)
          const listed = yield* s.listAttempts(fx.tenant, { limit: 10 })
          expect(listed).toStrictEqual({ items: [r1.attempt, r2.attempt], nextCursor: null })

          // A second attempt on d1, then success.
          const again = fx.result(r1.delivery, { trigger: "manual", responseStatus: 200, responseBody: "ok" })
          yield* s.recordAttempts([{ attempt: again.attempt, delivery: { ...again.delivery, status: "delivered" } }])
          expect((yield* s.getDelivery(fx.tenant, d1.id))?.attempts).toBe(2)
          const forD1 = yield* s.listAttempts(fx.tenant, { limit: 10, deliveryId: d1.id })
          expect(forD1.items).toStrictEqual([r1.attempt, again.attempt])
          expect(yield* s.recordAttempts([])).toBeUndefined()
        }))

      it.effect("recordAttempts keeps the status of a delivery that is no longer pending, but records the attempt", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [e1] = yield* insertEndpoints(fx, 1)
          const { deliveries: [d1] } = yield* publish(fx, [e1])
          // Cancelled (e.g. a 410 seen by another attempt) while this attempt was in flight.
          const cancelled = yield* s.transitionDelivery(fx.tenant, d1.id, ["pending"], {
            status: "cancelled",
            nextAttemptAt: null,
            now: Date.now()
          })
          const late = fx.result(d1, { responseStatus: 204, responseBody: "" })
          yield* s.recordAttempts([{ attempt: late.attempt, delivery: { ...late.delivery, status: "delivered" } }])
          expect(yield* s.getDelivery(fx.tenant, d1.id)).toStrictEqual(cancelled)
          const listed = yield* s.listAttempts(fx.tenant, { limit: 10, deliveryId: d1.id })
          expect(listed.items).toStrictEqual([late.attempt])
        }))

      it.effect("duePendingDeliveries pages after a (nextAttemptAt, id) position, ties included", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const base = 86_400_000 + Math.floor(Math.random() * 9_000) * 86_400_000 + 3_600_000
          const endpoints = yield* insertEndpoints(fx, 7)
          const message = fx.message()
          const at = [base + 1, base + 2, base + 2, base + 2, base + 3, base + 3, base + 4]
          const deliveries = endpoints.map((endpoint, i) => fx.delivery(message, endpoint, { nextAttemptAt: at[i] }))
          yield* s.insertMessage(message, deliveries)
          const own = new Set(ids(deliveries))
          const expected = deliveries
            .map((d) => ({ id: d.id, nextAttemptAt: d.nextAttemptAt! }))
            .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1))
          // Page through in pages of 2, starting within this test's window.
          const seen: Array<{ id: string; nextAttemptAt: number | null }> = []
          let after: { nextAttemptAt: number | null; id: string } | undefined = { nextAttemptAt: base, id: "" }
          for (let i = 0; i < 20; i++) {
            const page: ReadonlyArray<{ readonly id: string; readonly nextAttemptAt: number | null }> = yield* s
              .duePendingDeliveries(base + 10, 2, after)
            if (page.length === 0) break
            expect(page.length).toBeLessThanOrEqual(2)
            seen.push(...page.filter((item) => own.has(item.id)))
            after = page[page.length - 1]
          }
          expect(seen).toStrictEqual(expected)
        }))

      it.effect("duePendingDeliveries returns pending deliveries without a next attempt time first, once not updated since `before`", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          // Rows as older versions wrote them: pending, no next attempt time. Updated in a window of time no other
          // test uses, so that no other test's rows take part in the pages.
          const base = 86_400_000 + Math.floor(Math.random() * 9_000) * 86_400_000 + 7_200_000
          const endpoints = yield* insertEndpoints(fx, 4)
          const message = fx.message()
          const [u1, u2, late, timed] = [
            fx.delivery(message, endpoints[0], { nextAttemptAt: null, updatedAt: base + 5 }),
            fx.delivery(message, endpoints[1], { nextAttemptAt: null, updatedAt: base + 6 }),
            fx.delivery(message, endpoints[2], { nextAttemptAt: null, updatedAt: base + 500 }),
            fx.delivery(message, endpoints[3], { nextAttemptAt: base + 1 })
          ]
          yield* s.insertMessage(message, [u1, u2, late, timed])
          const own = new Set(ids([u1, u2, late, timed]))
          const ownOf = (items: ReadonlyArray<{ readonly id: string; readonly nextAttemptAt: number | null }>) =>
            items.filter((item) => own.has(item.id))
          const untimed = [u1, u2].map((d) => ({ id: d.id, nextAttemptAt: null })).sort((a, b) => a.id < b.id ? -1 : 1)

          // `late` was updated at or after `before`: not yet (a write may be in progress).
          expect(ownOf(yield* s.duePendingDeliveries(base + 100, 1_000))).toStrictEqual([
            ...untimed,
            { id: timed.id, nextAttemptAt: base + 1 }
          ])
          // Pages: the ones without a time, by id, then the timed ones; a position may be either kind.
          const seen: Array<{ readonly id: string; readonly nextAttemptAt: number | null }> = []
          let after: { readonly nextAttemptAt: number | null; readonly id: string } | undefined
          for (let i = 0; i < 1_000; i++) {
            const page = yield* s.duePendingDeliveries(base + 100, 1, after)
            if (page.length === 0) break
            seen.push(...ownOf(page))
            after = page[0]
          }
          expect(seen).toStrictEqual([...untimed, { id: timed.id, nextAttemptAt: base + 1 }])
          const all = ownOf(yield* s.duePendingDeliveries(base + 1_000, 1_000))
          expect(all.slice(0, 3).map((item) => item.nextAttemptAt)).toStrictEqual([null, null, null])
          expect(new Set(ids(all))).toStrictEqual(own)
          // Given a time, it is due like any other.
          const now = Date.now()
          yield* s.transitionDelivery(fx.tenant, u1.id, ["pending"], {
            status: "pending",
            nextAttemptAt: base + 2,
            now
          })
          expect(ownOf(yield* s.duePendingDeliveries(base + 100, 1_000))).toStrictEqual([
            { id: u2.id, nextAttemptAt: null },
            { id: timed.id, nextAttemptAt: base + 1 },
            { id: u1.id, nextAttemptAt: base + 2 }
          ])
        }))

      it.effect("listAttempts filters by delivery, endpoint, message and [since, until), in cursor pages", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const [e1, e2] = yield* insertEndpoints(fx, 2)
          const a = yield* publish(fx, [e1, e2])
          const b = yield* publish(fx, [e1])
          // Five rounds of attempts: a×e1, a×e2, b×e1 each time.
          let current = [...a.deliveries, ...b.deliveries]
          const recorded: Array<AttemptRecord> = []
          for (let round = 0; round < 5; round++) {
            const results = current.map((d) => fx.result(d))
            yield* s.recordAttempts(results)
            recorded.push(...results.map((r) => r.attempt))
            current = results.map((r) => r.delivery)
          }
          const list = (filter: Omit<Parameters<typeof s.listAttempts>[1], "limit" | "cursor">, limit = 4) =>
            Effect.map(
              drain(limit, (cursor) => s.listAttempts(fx.tenant, { ...filter, limit, cursor })),
              ({ items }) => items
            )
          const where = (p: (attempt: AttemptRecord) => boolean) => recorded.filter(p)

          expect(yield* list({})).toStrictEqual(recorded)
          expect(yield* list({ deliveryId: a.deliveries[1].id }, 2)).toStrictEqual(
            where((x) => x.deliveryId === a.deliveries[1].id)
          )
          expect(yield* list({ endpointId: e1.id }, 3)).toStrictEqual(where((x) => x.endpointId === e1.id))
          expect(yield* list({ messageId: a.message.id })).toStrictEqual(where((x) => x.messageId === a.message.id))
          expect(yield* list({ messageId: b.message.id, endpointId: e2.id })).toStrictEqual([])
          const since = recorded[4].startedAt
          const until = recorded[10].startedAt
          expect(yield* list({ since, until }, 5)).toStrictEqual(recorded.slice(4, 10))
          expect(yield* list({ endpointId: e1.id, since, until }, 1)).toStrictEqual(
            recorded.slice(4, 10).filter((x) => x.endpointId === e1.id)
          )
          expect(yield* list({ deliveryId: fx.next("dlv").id })).toStrictEqual([])
        }))
    })

    describe("tenant isolation", () => {
      it.effect("another tenant can neither see nor touch endpoints", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const a = fixture()
          const b = fixture()
          const [endpoint] = yield* insertEndpoints(a, 1)
          const { deliveries: [pending] } = yield* publish(a, [endpoint])

          expect(yield* s.getEndpoint(b.tenant, endpoint.id)).toBeUndefined()
          expect(yield* s.listEndpoints(b.tenant, { limit: 10 })).toStrictEqual({ items: [], nextCursor: null })
          expect(yield* s.enabledEndpoints(b.tenant)).toStrictEqual([])
          expect(yield* s.countEndpoints(b.tenant)).toBe(0)
          expect(yield* s.updateEndpoint({ ...endpoint, tenant: b.tenant, url: "https://evil.example.com" })).toBe(
            false
          )
          expect(yield* s.deleteEndpoint(b.tenant, endpoint.id, Date.now())).toBe(false)
          // Inserting A's id under B fails and does not take A's record over.
          const error = yield* Effect.flip(s.insertEndpoint({ ...endpoint, tenant: b.tenant }))
          expect(error.code).toBe("conflict")
          yield* Effect.flip(s.insertEndpointWithin({ ...endpoint, tenant: b.tenant }, 100))
          expect(yield* s.getEndpoint(b.tenant, endpoint.id)).toBeUndefined()
          expect(yield* s.countEndpoints(b.tenant)).toBe(0)

          expect(yield* s.getEndpoint(a.tenant, endpoint.id)).toStrictEqual(endpoint)
          expect(yield* s.getDelivery(a.tenant, pending.id)).toStrictEqual(pending)
          expect(yield* s.countEndpoints(a.tenant)).toBe(1)
          // A's limit is not B's: B filling its quota does not stop A, and lists never mix.
          const bs = yield* insertEndpoints(b, 3)
          const a2 = a.endpoint()
          expect(yield* s.insertEndpointWithin(a2, 2)).toBe(true)
          expect(ids((yield* s.listEndpoints(a.tenant, { limit: 10 })).items)).toStrictEqual(
            sorted([endpoint.id, a2.id])
          )
          expect(ids((yield* s.listEndpoints(b.tenant, { limit: 10 })).items)).toStrictEqual(sorted(ids(bs)))
          expect(sorted(ids(yield* s.enabledEndpoints(b.tenant)))).toStrictEqual(sorted(ids(bs)))
        }))

      it.effect("another tenant can neither see nor touch messages, deliveries or attempts", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const a = fixture()
          const b = fixture()
          const [endpoint] = yield* insertEndpoints(a, 1)
          const { deliveries: [delivery], message } = yield* publish(a, [endpoint], { idempotencyKey: "k" })
          const result = a.result(delivery)
          yield* s.recordAttempts([result])
          const stored = result.delivery

          expect(yield* s.getMessage(b.tenant, message.id)).toBeUndefined()
          expect(yield* s.listMessages(b.tenant, { limit: 10 })).toStrictEqual({ items: [], nextCursor: null })
          expect(yield* s.getDelivery(b.tenant, delivery.id)).toBeUndefined()
          for (
            const filter of [{}, { endpointId: endpoint.id }, { messageId: message.id }, { status: "pending" as const }]
          ) {
            expect(yield* s.listDeliveries(b.tenant, { limit: 10, ...filter })).toStrictEqual({
              items: [],
              nextCursor: null
            })
          }
          for (
            const filter of [{}, { deliveryId: delivery.id }, { endpointId: endpoint.id }, { messageId: message.id }]
          ) {
            expect(yield* s.listAttempts(b.tenant, { limit: 10, ...filter })).toStrictEqual({
              items: [],
              nextCursor: null
            })
          }
          const now = Date.now()
          expect(
            yield* s.transitionDelivery(b.tenant, delivery.id, ["pending"], {
              status: "cancelled",
              nextAttemptAt: null,
              now
            })
          ).toBeUndefined()
          expect(
            yield* s.transitionEndpointDeliveries(b.tenant, endpoint.id, {
              from: ["pending"],
              to: "cancelled",
              since: 0,
              nextAttemptAt: null,
              now
            })
          ).toStrictEqual([])
          // B's idempotency key "k" is its own.
          const mine = b.message({ idempotencyKey: "k" })
          expect(plain(yield* s.insertMessage(mine, []))).toStrictEqual({
            message: mine,
            created: true,
            deliveries: []
          })
          // A message id is global: B cannot reuse A's.
          const clash = yield* Effect.flip(s.insertMessage({ ...b.message(), id: message.id }, []))
          expect(clash.code).toBe("conflict")

          expect(yield* s.getMessage(a.tenant, message.id)).toStrictEqual(message)
          expect(yield* s.getDelivery(a.tenant, delivery.id)).toStrictEqual(stored)
          expect((yield* s.listAttempts(a.tenant, { limit: 10 })).items).toStrictEqual([result.attempt])
          expect((yield* s.listDeliveries(a.tenant, { limit: 10 })).items).toStrictEqual([stored])
        }))
    })

    describe("tenant isolation for every accepted tenant string", () => {
      it.effect("no two distinct tenants that core accepts see each other's records", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const base = newTenant()
          // Strings a store could fold together (case, Unicode normalization, surrogate pairs sharing a high half, LIKE
          // wildcards, escapes, padding, length), each accepted by core's own tenant check.
          const variants = [
            "",
            "a",
            "A",
            " ",
            "a ",
            "\u00e9",
            "e\u0301",
            "\u00df",
            "ss",
            "\uff41",
            "\uD83D\uDE00",
            "\uD83D\uDE01",
            "\uD800\uDC00",
            "\uFFFD",
            "%",
            "_",
            "\\",
            "'",
            "\"",
            ":",
            "*",
            "\u0130",
            "i\u0307",
            "x".repeat(256 - base.length - 1) + "y",
            "x".repeat(256 - base.length - 1) + "z"
          ]
          const tenants = variants.map((v) => base + v)
          expect(new Set(tenants).size).toBe(tenants.length)
          for (const tenant of tenants) expect(checkTenant(tenant)).toBe(tenant)
          // What a store cannot keep apart is refused before any adapter sees it.
          for (const bad of ["\uD800", "\uDC00", "\u0000", "\n"]) {
            expect(checkTenant(base + bad)).toMatchObject({ _tag: "ValidationError", field: "tenant" })
          }

          const own = new Map<string, { endpoint: EndpointRecord; message: MessageRecord; delivery: DeliveryRecord }>()
          for (const tenant of tenants) {
            const fx = fixture(tenant)
            const [endpoint] = yield* insertEndpoints(fx, 1)
            // The same idempotency key in every tenant: each is its own.
            const { deliveries: [delivery], message } = yield* publish(fx, [endpoint], { idempotencyKey: "same-key" })
            yield* s.recordAttempts([fx.result(delivery)])
            own.set(tenant, { endpoint, message, delivery })
          }
          for (const tenant of tenants) {
            const mine = own.get(tenant)!
            expect(ids((yield* s.listEndpoints(tenant, { limit: 100 })).items)).toStrictEqual([mine.endpoint.id])
            expect(ids(yield* s.enabledEndpoints(tenant))).toStrictEqual([mine.endpoint.id])
            expect(yield* s.countEndpoints(tenant)).toBe(1)
            expect(ids((yield* s.listMessages(tenant, { limit: 100 })).items)).toStrictEqual([mine.message.id])
            expect(ids((yield* s.listDeliveries(tenant, { limit: 100 })).items)).toStrictEqual([mine.delivery.id])
            expect((yield* s.listAttempts(tenant, { limit: 100 })).items.map((a) => a.deliveryId)).toStrictEqual([
              mine.delivery.id
            ])
            for (const other of tenants) {
              if (other === tenant) continue
              const theirs = own.get(other)!
              expect(yield* s.getEndpoint(tenant, theirs.endpoint.id)).toBeUndefined()
              expect(yield* s.getMessage(tenant, theirs.message.id)).toBeUndefined()
              expect(yield* s.getDelivery(tenant, theirs.delivery.id)).toBeUndefined()
            }
          }
        }), 60_000)
    })

    describe("large batches", () => {
      it.effect("insertMessage with 10,000 deliveries, then pages and loads them all", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const endpoints = yield* insertEndpoints(fx, 10_000)
          const message = fx.message()
          const deliveries = endpoints.map((endpoint) => fx.delivery(message, endpoint))
          const result = yield* s.insertMessage(message, deliveries)
          expect(result.created).toBe(true)
          expect(result.deliveries.length).toBe(10_000)

          const { items, sizes } = yield* drain(1_000, (cursor) =>
            s.listDeliveries(fx.tenant, { limit: 1_000, cursor, messageId: message.id }))
          expect(sizes.length).toBe(10)
          expect(ids(items)).toStrictEqual(ids(deliveries))
          expect(items[9_999]).toStrictEqual(deliveries[9_999])

          const loaded = yield* s.loadForDispatch(ids(deliveries))
          expect(loaded.length).toBe(10_000)
          expect(
            new Set(loaded.map((c) =>
              c.delivery.id
            )).size
          ).toBe(10_000)

          const results = deliveries.slice(0, 1_000).map((d) => fx.result(d))
          yield* s.recordAttempts(results)
          const attempts = yield* s.listAttempts(fx.tenant, { limit: 2_000, messageId: message.id })
          expect(attempts.items.length).toBe(1_000)
          expect(yield* s.getDelivery(fx.tenant, deliveries[999].id)).toStrictEqual(results[999].delivery)
          expect(yield* s.getDelivery(fx.tenant, deliveries[1_000].id)).toStrictEqual(deliveries[1_000])
        }), 60_000)
    })

    describe("status values", () => {
      it.effect("every delivery status round-trips", () =>
        Effect.gen(function*() {
          const s = yield* storage
          const fx = fixture()
          const statuses: ReadonlyArray<DeliveryStatus> = ["pending", "delivered", "failed", "cancelled"]
          const endpoints = yield* insertEndpoints(fx, statuses.length)
          const message = fx.message()
          const deliveries = statuses.map((status, i) =>
            fx.delivery(message, endpoints[i], {
              status,
              ...(status === "pending" ? {} : { nextAttemptAt: null }),
              attempts: i,
              lastAttemptAt: i === 0 ? null : 1_700_000_000_000 + i,
              lastResponseStatus: i === 0 ? null : 500 + i,
              lastError: i === 3 ? "blocked" : null
            })
          )
          yield* s.insertMessage(message, deliveries)
          for (const delivery of deliveries) {
            expect(yield* s.getDelivery(fx.tenant, delivery.id)).toStrictEqual(delivery)
          }
        }))
    })

    managementTests(it)
  })
