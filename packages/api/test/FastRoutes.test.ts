/**
 * The plain router in front of HttpApi (internal/fastRoutes.ts) answers its two read routes byte for byte as HttpApi
 * alone does — status, every header and the body, successes and failures (refused credentials, another tenant's id,
 * bad queries, ids it leaves to HttpApi) — with access tokens and with the host's `authenticate`. The reference is
 * the platform's own `HttpApiBuilder.toWebHandler` over the same `Server.layer`, which has no fast router.
 */
import { HttpApiBuilder, HttpServer } from "@effect/platform"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as QueryString from "find-my-way-ts/QueryString"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import * as AccessToken from "../src/AccessToken.js"
import { managementApi, type Mounted } from "../src/Mount.js"
import * as Server from "../src/Server.js"
import { type Engine, kinds, startEngine } from "./utils/engine.js"

// The fast router parses a query through this module (the platform's router through its own copy inside
// find-my-way-ts): its calls count the requests the fast router answered.
vi.mock("find-my-way-ts/QueryString", async (original) => {
  const actual = await original<typeof import("find-my-way-ts/QueryString")>()
  return { ...actual, parse: vi.fn(actual.parse) }
})

const tokens = AccessToken.make({ keys: "f".repeat(40) })
const a = tokens.create({ tenant: "tenant-a", scope: "read", ttl: "1 hour" })
const b = tokens.create({ tenant: "tenant-b", scope: "manage", ttl: "1 hour" })
const tampered = `${a.slice(0, -2)}${a.endsWith("A") ? "B" : "A"}`

const hostAuthenticate: Server.Options["authenticate"] = (request) => {
  const key = request.headers.get("x-api-key")
  return key === "k-a" ? { tenant: "tenant-a", scope: "read" } : key === "k-b" ? { tenant: "tenant-b" } : null
}

interface Answer {
  readonly status: number
  readonly headers: Array<[string, string]>
  readonly body: string
}

const read = async (response: Response): Promise<Answer> => {
  const headers: Array<[string, string]> = []
  response.headers.forEach((value, name) => headers.push([name, value]))
  return {
    status: response.status,
    headers: headers.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    body: await response.text()
  }
}

describe.each(kinds)("the fast router on %s", (kind) => {
  let engine: Engine
  let endpoint: string
  let other: string
  const mounts: Array<{ readonly fast: Mounted; readonly plain: ReturnType<typeof HttpApiBuilder.toWebHandler> }> = []

  beforeAll(async () => {
    engine = await startEngine(kind)
    const hookwire = engine.hookwire
    endpoint = (await hookwire.endpoints.create({ tenant: "tenant-a", url: "https://r.example/a" })).id
    other = (await hookwire.endpoints.create({ tenant: "tenant-b", url: "https://r.example/b" })).id
    for (let i = 0; i < 3; i++) {
      await hookwire.endpoints.test({ tenant: "tenant-a", id: endpoint, type: "invoice.paid" })
    }
    const engineLayer = Layer.unwrapEffect(
      Effect.map(Effect.promise(() => hookwire.runtime.runtime()), (runtime) => Layer.succeedContext(runtime.context))
    )
    for (const options of [{ tokens }, { authenticate: hostAuthenticate }]) {
      mounts.push({
        fast: managementApi(hookwire, options),
        plain: HttpApiBuilder.toWebHandler(
          Layer.mergeAll(Server.layer(options).pipe(Layer.provide(engineLayer)), HttpServer.layerContext)
        )
      })
    }
  })
  afterAll(async () => {
    vi.useRealTimers()
    for (const mount of mounts) {
      await mount.fast.dispose()
      await mount.plain.dispose()
    }
    await engine?.close()
  })

  /** The same request to both: the answers, and how many of them were the fast router's own. */
  const both = async (
    mount: (typeof mounts)[number],
    method: string,
    path: string,
    headers: Record<string, string>
  ) => {
    const request = () => new Request(`http://api.test${path}`, { method, headers })
    return [await read(await mount.fast.handler(request())), await read(await mount.plain.handler(request()))]
  }

  it("answers as HttpApi does, byte for byte, with access tokens and with the host's authenticate", async () => {
    // Statistics count windows back from now: both answer at the same instant.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() })
    const paths = [
      `/deliveries?endpointId=${endpoint}&limit=50`,
      `/deliveries?endpointId=${endpoint}&limit=1`,
      `/deliveries?endpointId=${endpoint}&status=delivered&since=2020-01-01T00:00:00.000Z&until=2999-01-01T00:00:00Z`,
      `/deliveries?endpointId=${other}`,
      "/deliveries",
      "/deliveries?",
      "/deliveries?limit=0",
      "/deliveries?limit=abc",
      "/deliveries?limit=1&limit=2",
      "/deliveries?status=bogus&since=yesterday",
      "/deliveries?cursor=not-a-cursor",
      "/deliveries?unknown=1&&=x&flag",
      "/deliveries?endpointId=a%20b+c",
      `/endpoints/${endpoint}/stats`,
      `/endpoints/${other}/stats`,
      "/endpoints/ep_missing/stats",
      `/endpoints/${endpoint}/stats?limit=x`,
      `/endpoints/${encodeURIComponent(endpoint).replace("_", "%5F")}/stats`,
      `/endpoints/${"x".repeat(101)}/stats`
    ]
    const credentials: Array<[number, Record<string, string>]> = [
      [0, { authorization: `Bearer ${a}` }],
      [0, { authorization: `Bearer ${b}` }],
      [0, { authorization: `Bearer ${tampered}` }],
      [0, { authorization: "Basic abc" }],
      [0, {}],
      [1, { "x-api-key": "k-a" }],
      [1, { "x-api-key": "k-b" }],
      [1, { "x-api-key": "nope" }]
    ]
    const statuses = new Set<number>()
    vi.mocked(QueryString.parse).mockClear()
    for (const [index, headers] of credentials) {
      for (const path of paths) {
        for (const method of ["GET", "HEAD"]) {
          const [fast, plain] = await both(mounts[index]!, method, path, headers)
          expect({ method, path, sent: headers, ...fast }).toStrictEqual({ method, path, sent: headers, ...plain })
          statuses.add(fast!.status)
        }
      }
    }
    // The fast router took every GET /deliveries of the fast mount (HEAD is HttpApi's).
    const deliveryPaths = paths.filter((path) => path.startsWith("/deliveries")).length
    expect(vi.mocked(QueryString.parse)).toHaveBeenCalledTimes(credentials.length * deliveryPaths)
    // Every kind of answer was compared: pages and stats, bad queries, refused credentials, unknown ids.
    expect([...statuses].sort()).toStrictEqual([200, 400, 401, 404])
    const page = await both(mounts[0]!, "GET", `/deliveries?endpointId=${endpoint}&limit=2`, {
      authorization: `Bearer ${a}`
    })
    expect(JSON.parse(page[0]!.body).data).toHaveLength(2)
  })
})
