/** The portal's pure logic: the token hand-off, the form's checks (same messages as the engine), the event picker. */
import { Catalog, createHookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { afterAll, describe, expect, it } from "vitest"
import { filterMatches, groupEventTypes, selectedBy } from "../src/internal/catalog.js"
import { endpointState, relativeTime, successRate } from "../src/internal/format.js"
import { apiBaseFromLocation, takeTokenFromLocation } from "../src/internal/token.js"
import { channelsProblem, parseChannels, urlProblem } from "../src/internal/validate.js"

const history = () => {
  const calls: Array<string | undefined> = []
  return {
    calls,
    state: { s: 1 },
    replaceState: (_: unknown, __: string, url?: string | URL | null) => calls.push(String(url))
  }
}

describe("token hand-off", () => {
  it("reads the token from the fragment and removes it from the address bar, keeping other parameters", () => {
    const h = history()
    const token = takeTokenFromLocation({
      hash: "#token=hwt_abc.def&theme=dark",
      pathname: "/webhooks/portal/",
      search: "?x=1"
    }, h)
    expect(token).toBe("hwt_abc.def")
    expect(h.calls).toEqual(["/webhooks/portal/?x=1#theme=dark"])
  })

  it("leaves a page without a token alone", () => {
    const h = history()
    expect(takeTokenFromLocation({ hash: "", pathname: "/p/", search: "" }, h)).toBeNull()
    expect(h.calls).toEqual([])
  })

  it("finds the API's mount root from the portal's address", () => {
    expect(apiBaseFromLocation("https://a.example/webhooks/portal/#token=x")).toBe("https://a.example/webhooks/")
    expect(apiBaseFromLocation("http://127.0.0.1:3000/api/v1/hooks/portal/index.html")).toBe(
      "http://127.0.0.1:3000/api/v1/hooks/"
    )
    expect(apiBaseFromLocation("http://127.0.0.1:3000/portal/")).toBe("http://127.0.0.1:3000/")
  })
})

describe("endpoint form checks", () => {
  // The engine itself, not a copy of its rules: the form must say exactly what create would say.
  const engine = createHookwire({
    adapter: memory(),
    catalog: Catalog.make({}),
    allowHttp: true,
    http: { allowPrivateNetworks: true }
  })
  afterAll(() => engine.close())
  const engineMessage = (url: string) =>
    engine.endpoints.create({ tenant: "t", url }).then(() => undefined, (e: Error) => e.message)

  it.each([
    "",
    "not a url",
    "ftp://example.com/x",
    "https://user:pw@example.com/hook",
    `https://example.com/${"a".repeat(2100)}`,
    "https://example.com/webhooks",
    "http://127.0.0.1:4000/hook"
  ])("gives the engine's own message for %j", async (value) => {
    expect(urlProblem(value)).toBe(await engineMessage(value))
  })

  it("splits channels on commas and spaces and flags invalid ones as the engine does", () => {
    expect(parseChannels("AAPL, MSFT\nGOOG,,AAPL")).toEqual(["AAPL", "MSFT", "GOOG"])
    expect(channelsProblem(["AAPL", "bad channel!"])).toMatch(/channel "bad channel!" is invalid/)
    expect(channelsProblem(["eu/fr:paris_1"])).toBeUndefined()
  })
})

describe("event picker", () => {
  const type = (name: string) => ({ name, description: "", deprecated: false, schema: {}, examples: [] })
  const types = ["invoice.paid", "invoice.voided", "customer.created", "quote.update.fast", "quote.update.slow"].map(
    type
  )

  it("offers a wildcard group for each prefix shared by at least two types", () => {
    expect(groupEventTypes(types).map((g) => [g.wildcard, g.types.length])).toEqual([
      ["invoice.*", 2],
      ["quote.*", 2],
      ["quote.update.*", 2]
    ])
  })

  it("matches filters as the engine does: exact names, prefix wildcards, empty = everything", () => {
    expect(filterMatches("invoice.*", "invoice.paid")).toBe(true)
    expect(filterMatches("invoice.*", "invoices.paid")).toBe(false)
    expect(selectedBy([], "anything")).toBe(true)
    expect(selectedBy(["customer.created"], "invoice.paid")).toBe(false)
  })
})

describe("display", () => {
  const endpoint = (patch: object) =>
    ({
      disabled: false,
      disabledReason: null,
      health: {
        failingSince: null,
        consecutiveFailures: 0,
        circuit: { state: "closed", openedAt: null, retryAt: null }
      },
      ...patch
    }) as never

  it("shows disabled with its reason before anything else, then an open circuit, then failures", () => {
    expect(endpointState(endpoint({ disabled: true, disabledReason: "moved" })).label).toBe("Disabled: moved")
    expect(
      endpointState(endpoint({
        health: {
          failingSince: null,
          consecutiveFailures: 9,
          circuit: { state: "open", openedAt: null, retryAt: null }
        }
      })).state
    ).toBe("circuit-open")
    expect(
      endpointState(endpoint({
        health: {
          failingSince: null,
          consecutiveFailures: 2,
          circuit: { state: "closed", openedAt: null, retryAt: null }
        }
      })).label
    ).toBe("Failing (2 in a row)")
    expect(endpointState(endpoint({})).state).toBe("enabled")
  })

  it("computes the day's success rate from attempts, null without attempts", () => {
    const window = (total: number, succeeded: number) => ({
      attempts: { total, succeeded, failed: total - succeeded },
      deliveries: { pending: 0, delivered: 0, failed: 0, cancelled: 0 }
    })
    const stats = (day: ReturnType<typeof window>) => ({
      windows: { hour: day, day, week: day },
      lastAttempt: null,
      disabled: false,
      disabledReason: null
    })
    expect(successRate(stats(window(3, 2)))).toBe(66.7)
    expect(successRate(stats(window(0, 0)))).toBeNull()
  })

  it("says times relative to now", () => {
    const now = Date.parse("2026-12-06T12:00:00Z")
    expect(relativeTime("2026-12-06T11:58:00Z", now)).toBe("2 min ago")
    expect(relativeTime("2026-12-06T12:00:30Z", now)).toBe("in 30 s")
    expect(relativeTime(null, now)).toBe("—")
  })
})
