/**
 * Bad input to the public functions (issue 16.5): every function of both faces answers any value with a typed error
 * and changes nothing; secrets, header values and ids are checked per rule; the `logger` option gets each line's cause.
 * The property test feeds arbitrary values (fast-check, the version Effect ships as `effect/FastCheck`) to every
 * function of the Promise API.
 */
import { createHookwire, Storage, Webhooks } from "@hookwire/core"
import type { Hookwire } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Layer from "effect/Layer"
import { afterEach, describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"
import { catalog } from "./harness.js"

const open: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

const make = (options: Partial<Parameters<typeof createHookwire>[0]> = {}) => {
  const hookwire = createHookwire({ adapter: memory(), catalog, logger: false, ...options })
  open.push(hookwire)
  return hookwire
}

const tenant = "acme"
const url = "https://receiver.example/webhooks"
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error)

/** The errors a bad input may get: typed, with a `_tag` a host can switch on. */
const INPUT_ERRORS = new Set(["ValidationError", "EventTypeError", "NotFound", "InvalidState", "EndpointLimitExceeded"])

const throwing = (key: string, base: Record<string, unknown> = {}) =>
  Object.defineProperty({ ...base }, key, {
    enumerable: true,
    get() {
      throw new Error(`getter ${key} threw`)
    }
  })

describe("secrets a host brings", () => {
  it("are refused when the standard scheme's 24 to 64 bytes, or another scheme's 16 characters, are not met", async () => {
    const hookwire = make()
    const secret = (bytes: number) => "whsec_" + Buffer.alloc(bytes, 7).toString("base64")
    for (const bytes of [1, 5, 23, 65]) {
      const error = await rejection(hookwire.endpoints.create({ tenant, url, secret: secret(bytes) }))
      expect(error, `${bytes} bytes`).toMatchObject({ _tag: "ValidationError", code: "invalid_secret" })
      expect((error as Error).message).toContain("24 to 64")
      expect((error as Error).message).not.toContain(secret(bytes))
    }
    for (const bytes of [24, 64]) {
      const created = await hookwire.endpoints.create({ tenant, url, secret: secret(bytes) })
      expect(created.secret).toBe(secret(bytes))
    }
    const endpoint = await hookwire.endpoints.create({ tenant, url })
    const rotated = await rejection(hookwire.endpoints.rotateSecret({ tenant, id: endpoint.id, secret: secret(5) }))
    expect(rotated).toMatchObject({ _tag: "ValidationError", code: "invalid_secret" })
  })

  it("for a raw-secret scheme (GitHub) need 16 characters", async () => {
    const { github } = await import("@hookwire/verify")
    const hookwire = make({ scheme: github })
    expect(await rejection(hookwire.endpoints.create({ tenant, url, secret: "short" }))).toMatchObject({
      _tag: "ValidationError",
      code: "invalid_secret"
    })
    expect((await hookwire.endpoints.create({ tenant, url, secret: "It's a Secret to Everybody" })).secret).toBe(
      "It's a Secret to Everybody"
    )
  })
})

describe("custom header values", () => {
  it("outside Latin-1 are refused at create and update, before any delivery", async () => {
    const hookwire = make()
    for (const value of ["caf\u00e9 \u20ac", "\u65e5\u672c", "\uD83D\uDE00"]) {
      const error = await rejection(hookwire.endpoints.create({ tenant, url, headers: { "x-note": value } }))
      expect(error, value).toMatchObject({ _tag: "ValidationError", code: "invalid_header", field: "headers" })
    }
    const endpoint = await hookwire.endpoints.create({ tenant, url, headers: { "x-note": "caf\u00e9" } })
    expect(endpoint.headers).toStrictEqual({ "x-note": "caf\u00e9" })
    const error = await rejection(
      hookwire.endpoints.update({ tenant, id: endpoint.id, headers: { "x-note": "\u20ac" } })
    )
    expect(error).toMatchObject({ _tag: "ValidationError", code: "invalid_header" })
  })
})

describe("inputs of the wrong shape", () => {
  it("get typed errors from the Promise API: null inputs, non-string ids, throwing getters", async () => {
    const hookwire = make()
    const endpoint = await hookwire.endpoints.create({ tenant, url })
    const cases: ReadonlyArray<readonly [string, () => Promise<unknown>, Record<string, unknown>]> = [
      ["create(null)", () => hookwire.endpoints.create(null as never), { field: "input" }],
      ["list(null)", () => hookwire.endpoints.list(null as never), { field: "input" }],
      ["list(42)", () => hookwire.endpoints.list(42 as never), { field: "input" }],
      ["get, numeric id", () => hookwire.endpoints.get({ tenant, id: 42 as never }), { code: "invalid_id" }],
      ["get, object id", () => hookwire.endpoints.get({ tenant, id: {} as never }), { field: "id" }],
      ["messages.get, id null", () => hookwire.messages.get({ tenant, id: null as never }), { field: "id" }],
      ["retry, no id", () => hookwire.deliveries.retry({ tenant } as never), { field: "id" }],
      ["recover, no endpoint", () => hookwire.deliveries.recover({ tenant, since: 0 } as never), {
        field: "endpointId"
      }],
      ["rotateSecret(null)", () => hookwire.endpoints.rotateSecret(null as never), { field: "input" }],
      ["disable, reason", () => hookwire.endpoints.disable({ tenant, id: endpoint.id, reason: 7 as never }), {
        field: "reason"
      }],
      [
        "publish, data getter",
        () => hookwire.publish(throwing("data", { tenant, type: "invoice.paid" }) as never),
        { field: "data" }
      ],
      ["create, tenant getter", () => hookwire.endpoints.create(throwing("tenant", { url }) as never), {
        field: "tenant"
      }],
      [
        "publishMany, getter",
        () => hookwire.publishMany([throwing("type", { tenant }) as never]),
        { field: "messages[0].type" }
      ],
      [
        "publish, type object",
        () => hookwire.publish({ tenant, type: { toString: null } as never, data: {} as never }),
        {
          _tag: "EventTypeError"
        }
      ],
      ["deliveries.list, status", () => hookwire.deliveries.list({ tenant, status: "bogus" as never }), {
        field: "status"
      }],
      ["messages.list, type", () => hookwire.messages.list({ tenant, type: "\u0000" }), { field: "type" }],
      ["resealSecrets(7)", () => hookwire.maintenance.resealSecrets(7 as never), { field: "options" }]
    ]
    for (const [name, call, expected] of cases) {
      const error = await rejection(call())
      expect(error, name).toBeInstanceOf(Error)
      expect(INPUT_ERRORS.has((error as { _tag: string })._tag), `${name}: ${String(error)}`).toBe(true)
      expect(error, name).toMatchObject(expected)
    }
    expect((await hookwire.endpoints.list({ tenant })).items.map((e) => e.id)).toStrictEqual([endpoint.id])
  })

  it("get the same typed errors from the Effect API", async () => {
    const hookwire = make()
    const run = <A, E>(f: (w: Webhooks.Webhooks["Type"]) => Effect.Effect<A, E>) =>
      hookwire.runtime.runPromise(Effect.flip(Effect.flatMap(Webhooks.Webhooks, f)))
    expect(await run((w) => w.endpoints.create(null as never))).toMatchObject({
      _tag: "ValidationError",
      field: "input"
    })
    expect(await run((w) => w.endpoints.get({ tenant, id: 1 as never }))).toMatchObject({ code: "invalid_id" })
    expect(await run((w) => w.publish(throwing("data", { tenant, type: "invoice.paid" }) as never))).toMatchObject({
      field: "data"
    })
    expect(await run((w) => w.endpoints.list({ tenant: "x\uD800" }))).toMatchObject({ code: "invalid_tenant" })
  })
})

describe("the logger option", () => {
  it("passes each line's cause through, rendered without secrets", async () => {
    const entries: Array<{ message: string; cause?: string | undefined }> = []
    const secret = "whsec_" + Buffer.alloc(24, 3).toString("base64")
    let failures = 3
    const base = memory()
    const adapter = {
      layer: Layer.effect(
        Storage.Storage,
        Effect.map(Storage.Storage, (storage) => ({
          ...storage,
          loadForDispatch: (ids: ReadonlyArray<string>) =>
            failures-- > 0
              ? Effect.die(new Error(`connection to postgres://hookwire:hunter2@db.internal/app lost (${secret})`))
              : storage.loadForDispatch(ids)
        }))
      ).pipe(Layer.provideMerge(base.layer))
    }
    const hookwire = make({ adapter, logger: (entry) => entries.push(entry) })
    await hookwire.endpoints.create({ tenant, url })
    await hookwire.publish({ tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } })
    await hookwire.start()
    const deadline = Date.now() + 10_000
    while (!entries.some((e) => e.cause?.includes("lost") === true) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const withCause = entries.find((e) => e.cause?.includes("lost") === true)
    expect(withCause?.message).toMatch(/failed/)
    expect(withCause?.cause).toContain("connection to postgres://hookwire:[redacted]@db.internal/app lost")
    expect(withCause?.cause).not.toContain("hunter2")
    expect(withCause?.cause).not.toContain(secret.slice(6))
    expect(withCause?.cause).toContain("whsec_[redacted]")
  })
})

// ---------------------------------------------------------------------------------------------------------------------
// Property: arbitrary values to every public function of the Promise API
// ---------------------------------------------------------------------------------------------------------------------

/** Every function of the Promise API that takes input, by path (`endpoints.create`), found by walking the object. */
const publicFunctions = (
  hookwire: Hookwire.Hookwire<any>
): ReadonlyArray<readonly [string, (input: unknown) => unknown]> => {
  const out: Array<readonly [string, (input: unknown) => unknown]> = []
  const walk = (value: Record<string, unknown>, path: string) => {
    for (const [key, member] of Object.entries(value)) {
      const name = path === "" ? key : `${path}.${key}`
      // Lifecycle and introspection: no input to check.
      if (["start", "close", "runtime", "eventTypes"].includes(name)) continue
      if (typeof member === "function") out.push([name, member as (input: unknown) => unknown])
      else if (typeof member === "object" && member !== null) walk(member as Record<string, unknown>, name)
    }
  }
  walk(hookwire as unknown as Record<string, unknown>, "")
  return out
}

const nasty = fc.constantFrom(
  "",
  "\u0000",
  "\uD800",
  "x\uDC00",
  "a".repeat(300),
  "ep_01J00000000000000000000000",
  "__proto__",
  "constructor",
  "https://user:pw@example.com/",
  "http://[::ffff:0:7f00:1]/"
)
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true }),
  nasty,
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(null, undefined, NaN, -1, 1e300, Symbol("s"))
)
const fields = [
  "tenant",
  "id",
  "url",
  "type",
  "data",
  "limit",
  "cursor",
  "since",
  "until",
  "endpointId",
  "messageId",
  "deliveryId",
  "status",
  "headers",
  "metadata",
  "secret",
  "grace",
  "reason",
  "channels",
  "idempotencyKey",
  "eventTypes",
  "name",
  "batchSize"
] as const
const record = fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] })
const input: fc.Arbitrary<unknown> = fc.oneof(
  value,
  record,
  record.map((r) => ({ ...r, tenant })),
  fc.tuple(record, fc.constantFrom(...fields)).map(([r, key]) => throwing(key, r)),
  fc.array(fc.oneof(record, value), { maxLength: 3 })
)

describe("any value, to every function of the Promise API", () => {
  it("gets a typed error (or a read-only answer) and leaves stored state unchanged", async () => {
    const hookwire = make()
    const endpoint = await hookwire.endpoints.create({ tenant, url })
    await hookwire.publish({ tenant, type: "invoice.paid", data: { invoiceId: "in_1", amount: 1 } })
    const state = () =>
      hookwire.runtime.runPromise(
        Effect.gen(function*() {
          const storage = yield* Storage.Storage
          return JSON.stringify({
            endpoints: yield* storage.scanEndpoints(undefined, 1000),
            messages: yield* storage.listMessages(tenant, { limit: 1000 }),
            deliveries: yield* storage.listDeliveries(tenant, { limit: 1000 })
          })
        })
      )
    const before = await state()
    const functions = publicFunctions(hookwire)
    expect(functions.map(([name]) => name)).toEqual(expect.arrayContaining(["endpoints.create", "publishMany"]))
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...functions), input, async ([name, f], arg) => {
        let outcome: unknown
        try {
          outcome = await rejection(Promise.resolve(f(arg)))
        } catch (thrown) {
          // A synchronous throw is as bad as an untyped rejection.
          outcome = thrown
        }
        if (outcome === undefined) return
        const tag = (outcome as { _tag?: unknown })._tag
        if (typeof tag !== "string" || !INPUT_ERRORS.has(tag)) {
          throw new Error(`${name} answered ${String(outcome)} (${typeof tag === "string" ? tag : "untyped"})`)
        }
      }),
      { numRuns: 600 }
    )
    expect(await state()).toBe(before)
    expect((await hookwire.endpoints.get({ tenant, id: endpoint.id })).id).toBe(endpoint.id)
  }, 60_000)
})
