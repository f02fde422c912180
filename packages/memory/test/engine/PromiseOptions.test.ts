/**
 * The Promise API's options as a JavaScript caller gives them: an unknown key is a typed error naming the key it
 * probably meant (never silently ignored), and `createHookwire` reads the same HOOKWIRE_* environment as
 * `Settings.layerConfig`, master keys first.
 */
import { createHookwire, Errors } from "@hookwire/core"
import type { Hookwire } from "@hookwire/core"
import { randomBytes } from "node:crypto"
import { afterEach, describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"
import { catalog } from "./harness.js"

const open: Array<{ close: () => Promise<void> }> = []
const saved = { ...process.env }
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
  for (const name of Object.keys(process.env)) {
    if (name.startsWith("HOOKWIRE_") && !(name in saved)) delete process.env[name]
  }
})

const make = (options: Record<string, unknown> = {}) => {
  const hookwire = createHookwire({ adapter: memory(), catalog, ...options } as Hookwire.Options<any>)
  open.push(hookwire)
  return hookwire
}

const rejection = (promise: Promise<unknown>) => promise.then(() => expect.fail("expected a rejection"), (e) => e)

const expectUnknown = (error: unknown, key: string, meant: string | undefined) => {
  expect(error).toBeInstanceOf(Errors.ValidationError)
  expect(error).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: key })
  if (meant !== undefined) expect((error as Error).message).toContain(`did you mean "${meant}"?`)
}

describe("Promise API: unknown option keys", () => {
  it("endpoints.create with `events` is refused, not an endpoint subscribed to everything", async () => {
    const hookwire = make()
    const error = await rejection(
      hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook", events: ["invoice.paid"] } as never)
    )
    expectUnknown(error, "events", "eventTypes")
    expect((await hookwire.endpoints.list({ tenant: "t" })).items).toHaveLength(0)
  })

  it("publish with `idempotencyKy` is refused, so a retry cannot publish twice", async () => {
    const hookwire = make()
    await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    const input = { tenant: "t", type: "customer.created", data: { id: "c1" }, idempotencyKy: "k1" } as never
    expectUnknown(await rejection(hookwire.publish(input)), "idempotencyKy", "idempotencyKey")
    expect((await hookwire.messages.list({ tenant: "t" })).items).toHaveLength(0)
  })

  it("publishMany names the message whose key is unknown and publishes none", async () => {
    const hookwire = make()
    const error = await rejection(hookwire.publishMany([
      { tenant: "t", type: "customer.created", data: { id: "c1" } },
      { tenant: "t", type: "customer.created", data: { id: "c2" }, chanels: ["a"] } as never
    ]))
    expectUnknown(error, "chanels", "channels")
    expect((error as Error).message).toContain("publishMany messages[1]")
    expect((await hookwire.messages.list({ tenant: "t" })).items).toHaveLength(0)
  })

  it("every list and lookup checks its keys (deliveries.list with `endpoint`)", async () => {
    const hookwire = make()
    expectUnknown(
      await rejection(hookwire.deliveries.list({ tenant: "t", endpoint: "ep_1" } as never)),
      "endpoint",
      "endpointId"
    )
    expectUnknown(
      await rejection(hookwire.messages.get({ tenant: "t", messageId: "m" } as never)),
      "messageId",
      undefined
    )
  })

  it("createHookwire throws for an unknown option, also inside http and dispatcher", () => {
    expect(() => make({ allowHTTP: true })).toThrow(
      /Unknown option "allowHTTP" in createHookwire: did you mean "allowHttp"\?/
    )
    const thrown = (() => {
      try {
        make({ http: { allowPrivateNetwork: true } })
      } catch (error) {
        return error
      }
    })()
    expectUnknown(thrown, "allowPrivateNetwork", "allowPrivateNetworks")
    expect(() => make({ dispatcher: { concurency: 4 } })).toThrow(/did you mean "concurrency"\?/)
  })

  it("known keys with undefined values are fine", async () => {
    const hookwire = make({ logger: undefined })
    const endpoint = await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook", name: undefined })
    expect(endpoint.id).toMatch(/^ep_/)
  })
})

describe("createHookwire reads the HOOKWIRE_* environment", () => {
  const collect = () => {
    const lines: Array<string> = []
    return { lines, logger: (entry: Hookwire.LogEntry) => lines.push(`${entry.level} ${entry.message}`) }
  }

  it("HOOKWIRE_MASTER_KEYS seals secrets (it used to be ignored, with a warning telling users to set it)", async () => {
    process.env.HOOKWIRE_MASTER_KEYS = `k1:${randomBytes(32).toString("base64")}`
    const sealed = collect()
    const hookwire = make({ logger: sealed.logger })
    await hookwire.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    expect(await hookwire.maintenance.resealSecrets()).toMatchObject({ scanned: 1, resealed: 0 })
    expect(sealed.lines.filter((line) => line.includes("No master key"))).toStrictEqual([])

    delete process.env.HOOKWIRE_MASTER_KEYS
    const plain = collect()
    const without = make({ logger: plain.logger })
    await without.endpoints.create({ tenant: "t", url: "https://r.example/hook" })
    expect(plain.lines.some((line) => line.startsWith("warn No master key configured"))).toBe(true)
    expect(await rejection(without.maintenance.resealSecrets())).toMatchObject({ _tag: "ValidationError" })
  })

  it("HOOKWIRE_ALLOW_HTTP and HOOKWIRE_TIMEOUT apply; options given in code win", async () => {
    process.env.HOOKWIRE_ALLOW_HTTP = "true"
    const hookwire = make({ logger: false })
    expect((await hookwire.endpoints.create({ tenant: "t", url: "http://r.example/hook" })).url).toBe(
      "http://r.example/hook"
    )
    const strict = make({ logger: false, allowHttp: false })
    expect(await rejection(strict.endpoints.create({ tenant: "t", url: "http://r.example/hook" }))).toMatchObject({
      code: "insecure_url"
    })
    // Out of range: a ValidationError naming the variable and the accepted range (it used to be an untyped Error).
    process.env.HOOKWIRE_TIMEOUT = "100 minutes"
    expect(() => make()).toThrow(Errors.ValidationError)
    expect(() => make()).toThrow(/HOOKWIRE_TIMEOUT.*between 1ms and 1m/)
  })

  it("a malformed variable is a ValidationError at construction", () => {
    process.env.HOOKWIRE_TIMEOUT = "soon"
    expect(() => make()).toThrow(Errors.ValidationError)
    expect(() => make()).toThrow(/HOOKWIRE_TIMEOUT/)
  })
})
