/**
 * The read routes answer with bodies encoded by their success Schema compiled once (src/internal/encoder.ts), not
 * walked by `HttpApiBuilder` per request: for generated values of every route's success Schema, the compiled encoder
 * gives exactly what `Schema.encodeSync` gives (same JSON, keys the Schema does not declare dropped).
 */
import * as Arbitrary from "effect/Arbitrary"
import * as FastCheck from "effect/FastCheck"
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import { ManagementApi } from "../src/Api.js"
import * as encoder from "../src/internal/encoder.js"

type Endpoints = Record<string, { readonly successSchema: Schema.Schema<any, any> }>
const groups = ManagementApi.groups as unknown as Record<string, { readonly endpoints: Endpoints }>

const routes = Object.entries(groups).flatMap(([group, { endpoints }]) =>
  Object.entries(endpoints).map(([name, endpoint]) => [`${group}.${name}`, endpoint.successSchema] as const)
)

describe("compiled response encoders", () => {
  it("cover every route of the API", () => {
    expect(routes.length).toBeGreaterThanOrEqual(20)
  })

  for (const [route, schema] of routes) {
    it(`${route}: the same JSON as Schema.encodeSync`, () => {
      const { encode } = encoder.make(schema)
      const reference = Schema.encodeSync(schema)
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(Schema.typeSchema(schema)), (value) => {
          expect(JSON.stringify(encode(value))).toBe(JSON.stringify(reference(value)))
        }),
        { numRuns: 50 }
      )
    })
  }

  it("drops keys the Schema does not declare, as Schema does (an engine view's tenant)", () => {
    const page = groups.deliveries.endpoints.list.successSchema
    const at = new Date(0)
    const delivery = {
      id: "dlv_1",
      tenant: "acme",
      messageId: "msg_1",
      endpointId: "ep_1",
      status: "delivered",
      attempts: 1,
      nextAttemptAt: null,
      lastAttemptAt: at,
      lastResponseStatus: 200,
      lastError: null,
      createdAt: at,
      updatedAt: at
    }
    const encoded = encoder.make(page).encode({ data: [delivery], nextCursor: null }) as any
    expect(encoded.data[0]).not.toHaveProperty("tenant")
    expect(encoded.data[0].createdAt).toBe("1970-01-01T00:00:00.000Z")
  })
})
