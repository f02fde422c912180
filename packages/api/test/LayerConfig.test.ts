/**
 * The API's settings read from `Config`: `Server.layerConfig` takes the access tokens' signing keys from
 * `HOOKWIRE_TOKEN_KEYS` (Redacted, never shown in an error), their longest ttl and whether channels are used; a bad
 * value is a `ConfigError` naming the variable. `AccessToken.make` refuses a short key with a `ValidationError`.
 */
import { HttpApiBuilder, HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Catalog, Hookwire, RecordingTransport } from "@hookwire/core"
import { ValidationError } from "@hookwire/core/Errors"
import { configError } from "@hookwire/core/test/contract/LayerFailures"
import { memory } from "@hookwire/memory"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessToken from "../src/AccessToken.js"
import * as Server from "../src/Server.js"

const key = "k".repeat(40)
const engine = Hookwire.layer({
  catalog: Catalog.make({ "invoice.paid": {} }),
  transport: RecordingTransport.layer(() => ({ status: 204 }))
}).pipe(Layer.provideMerge(memory().layer))

const api = (env: Record<string, string>) =>
  Server.layerConfig().pipe(
    Layer.provide(engine),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
  )

describe("AccessToken.make", () => {
  it("a short key or a bad maxTtl is a ValidationError naming the option, never showing the key", () => {
    const short = (() => {
      try {
        AccessToken.make({ keys: ["x".repeat(40), "short-secret"] })
      } catch (error) {
        return error
      }
    })()
    expect(short).toBeInstanceOf(ValidationError)
    expect((short as ValidationError).field).toBe("keys")
    expect((short as ValidationError).message).toMatch(/signing key 1 is 12 bytes/)
    expect((short as ValidationError).message).not.toContain("short-secret")
    expect(() => AccessToken.make({ keys: key, maxTtl: "forever" as never })).toThrow(/maxTtl/)
  })
})

describe("Server.layerConfig", () => {
  it.effect("a short signing key or a bad ttl names its variable and never shows a key", () =>
    Effect.gen(function*() {
      const text = yield* configError(api({ HOOKWIRE_TOKEN_KEYS: `${key},too-short-key` }))
      expect(text).toMatch(/HOOKWIRE_TOKEN_KEYS.*signing key 1 is 13 bytes/)
      expect(text).not.toContain("too-short-key")
      expect(text).not.toContain(key)
      expect(yield* configError(api({ HOOKWIRE_TOKEN_MAX_TTL: "a while" }))).toContain("HOOKWIRE_TOKEN_MAX_TTL")
      expect(yield* configError(api({ HOOKWIRE_API_CHANNELS: "perhaps" }))).toContain("HOOKWIRE_API_CHANNELS")
    }))

  it("the keys from the environment check tokens: one minted with them is accepted, another refused", async () => {
    const { dispose, handler } = HttpApiBuilder.toWebHandler(
      Layer.mergeAll(api({ HOOKWIRE_TOKEN_KEYS: ` ${key} , ${"n".repeat(40)}` }), HttpServer.layerContext)
    )
    try {
      const get = (token: string) =>
        handler(new Request("http://host/endpoints", { headers: { authorization: `Bearer ${token}` } }))
      const mint = (keys: string) => AccessToken.make({ keys }).create({ tenant: "acme", scope: "read", ttl: "1 hour" })
      expect((await get(mint(key))).status).toBe(200)
      // The second key verifies too (rotation); a key not in the list does not.
      expect((await get(mint("n".repeat(40)))).status).toBe(200)
      expect((await get(mint("z".repeat(40)))).status).toBe(401)
    } finally {
      await dispose()
    }
  })
})
