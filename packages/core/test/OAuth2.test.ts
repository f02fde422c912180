/**
 * The OAuth2 token cache and the token endpoint's answers: one fetch at a time per endpoint however many fibers ask,
 * refreshed ahead of expiry (TestClock), dropped after a 401; answers parsed without echoing anything secret.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { TransportError } from "../src/Errors.js"
import * as OAuth2 from "../src/internal/oauth2.js"

describe("OAuth2 token cache", () => {
  it.effect("20 fibers asking at once share one fetch; a failed fetch is shared too, then retried", () =>
    Effect.gen(function*() {
      const cache = new OAuth2.TokenCache()
      let fetches = 0
      const gate = yield* Deferred.make<void>()
      const fetch = Effect.suspend(() => {
        fetches++
        return Effect.as(Deferred.await(gate), { accessToken: `t${fetches}`, refreshAt: 60_000 })
      })
      const fibers = yield* Effect.forEach(
        Array.from({ length: 20 }),
        () => Effect.fork(cache.get("ep", fetch)),
        { concurrency: "unbounded" }
      )
      yield* Effect.yieldNow()
      yield* Deferred.succeed(gate, undefined)
      const tokens = yield* Fiber.joinAll(fibers)
      expect(fetches).toBe(1)
      expect(new Set(tokens.map((t) => t.accessToken))).toStrictEqual(new Set(["t1"]))

      // Another endpoint has its own token; a failure reaches every waiter and is not cached.
      let failures = 0
      const failing = Effect.suspend(() => {
        failures++
        return Effect.fail(new TransportError({ code: "oauth_token", message: "the token endpoint answered 503" }))
      })
      const results = yield* Effect.all(
        Array.from({ length: 5 }, () => Effect.either(cache.get("other", failing))),
        { concurrency: "unbounded" }
      )
      expect(results.every((r) => r._tag === "Left")).toBe(true)
      expect(failures).toBe(1)
      yield* Effect.either(cache.get("other", failing))
      expect(failures).toBe(2)
    }))

  it.effect("a token is refreshed ahead of expiry, and dropped after a 401", () =>
    Effect.gen(function*() {
      const cache = new OAuth2.TokenCache()
      let fetches = 0
      const fetch = Effect.map(Clock.currentTimeMillis, (now) => {
        fetches++
        return OAuth2.parse(200, JSON.stringify({ access_token: `t${fetches}`, expires_in: 3600 }), now)
      }).pipe(Effect.flatMap((t) => (t instanceof TransportError ? Effect.fail(t) : Effect.succeed(t))))
      const first = yield* cache.get("ep", fetch)
      expect(first.refreshAt).toBe(3_600_000 - 60_000)
      yield* TestClock.setTime(3_600_000 - 60_001)
      expect((yield* cache.get("ep", fetch)).accessToken).toBe("t1")
      yield* TestClock.setTime(3_600_000 - 60_000)
      expect((yield* cache.get("ep", fetch)).accessToken).toBe("t2")
      const current = yield* cache.get("ep", fetch)
      cache.invalidate("ep", first) // an older token: the newer one stays
      expect((yield* cache.get("ep", fetch)).accessToken).toBe("t2")
      cache.invalidate("ep", current)
      expect((yield* cache.get("ep", fetch)).accessToken).toBe("t3")
    }))
})

describe("OAuth2 token answers", () => {
  it("takes a Bearer token and its lifetime; a short life is refreshed a tenth early", () => {
    expect(OAuth2.parse(200, "{\"access_token\":\"abc\",\"token_type\":\"bearer\",\"expires_in\":100}", 1_000))
      .toStrictEqual(
        { accessToken: "abc", refreshAt: 1_000 + 100_000 - 10_000 }
      )
    expect(OAuth2.parse(200, "{\"access_token\":\"abc\"}", 0)).toStrictEqual({ accessToken: "abc", refreshAt: 270_000 })
  })

  it("refusals name the status and OAuth error code only; odd answers say what was wrong", () => {
    const refused = OAuth2.parse(401, "{\"error\":\"invalid_client\",\"error_description\":\"secret s3cr3t wrong\"}", 0)
    expect(refused).toMatchObject({ code: "oauth_token", message: "the token endpoint answered 401 (invalid_client)" })
    expect(OAuth2.parse(500, "<html>", 0)).toMatchObject({ message: "the token endpoint answered 500" })
    expect(OAuth2.parse(200, "not json", 0)).toMatchObject({ message: expect.stringContaining("not a JSON object") })
    expect(OAuth2.parse(200, "{\"access_token\":\"\"}", 0)).toMatchObject({
      message: expect.stringContaining("access_token")
    })
    expect(OAuth2.parse(200, "{\"access_token\":\"a\",\"token_type\":\"mac\"}", 0)).toMatchObject({
      message: expect.stringContaining("only Bearer")
    })
  })

  it("the token request authenticates with Basic (form-encoded) or in the body", () => {
    const client = {
      tokenUrl: "https://auth.example/token",
      clientId: "id:1",
      clientSecret: "p&ss w",
      scopes: ["a", "b:c"],
      clientAuth: "basic" as const
    }
    const basic = OAuth2.request(client, { timeoutMs: 1000, proxy: undefined })
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from("id%3A1:p%26ss+w").toString("base64")}`)
    expect(basic.body).toBe("grant_type=client_credentials&scope=a+b%3Ac")
    const body = OAuth2.request({ ...client, clientAuth: "body", scopes: [] }, { timeoutMs: 1000, proxy: undefined })
    expect(body.headers.authorization).toBeUndefined()
    expect(body.body).toBe("grant_type=client_credentials&client_id=id%3A1&client_secret=p%26ss+w")
  })
})
