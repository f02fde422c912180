/**
 * The OpenAPI document: valid OpenAPI 3.1 per an independent validator, every route of the definition in it with
 * bearer security, and every response schema compilable (the route tests check real answers against them).
 */
import { Validator } from "@seriousme/openapi-schema-validator"
import { describe, expect, it } from "vitest"
import { openApi } from "../src/Mount.js"
import { responseChecker } from "./utils/openapi.js"

const routes = [
  ["get", "/session"],
  ["get", "/config"],
  ["get", "/event-types"],
  ["get", "/endpoints"],
  ["post", "/endpoints"],
  ["get", "/endpoints/{id}"],
  ["patch", "/endpoints/{id}"],
  ["delete", "/endpoints/{id}"],
  ["post", "/endpoints/{id}/enable"],
  ["post", "/endpoints/{id}/disable"],
  ["post", "/endpoints/{id}/rotate-secret"],
  ["post", "/endpoints/{id}/test"],
  ["get", "/endpoints/{id}/stats"],
  ["post", "/endpoints/{id}/recover"],
  ["post", "/endpoints/test-filter"],
  ["get", "/messages"],
  ["get", "/messages/{id}"],
  ["post", "/messages/{id}/resend"],
  ["get", "/deliveries"],
  ["get", "/deliveries/{id}"],
  ["post", "/deliveries/{id}/retry"],
  ["get", "/attempts"]
] as const

describe("OpenAPI document", () => {
  const spec = openApi("/webhooks") as Record<string, any>

  it("is valid OpenAPI 3.1 per @seriousme/openapi-schema-validator", async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(spec))
    expect(result.errors ?? []).toStrictEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe("3.1")
  })

  it("holds exactly the routes of the definition, each requiring the bearer credential", () => {
    const found = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`)
    )
    expect(found.sort()).toStrictEqual(routes.map(([method, path]) => `${method} ${path}`).sort())
    expect(spec.security).toStrictEqual([{ bearer: [] }])
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" })
    expect(spec.servers).toStrictEqual([{ url: "/webhooks" }])
    for (const [method, path] of routes) {
      const op = spec.paths[path][method]
      expect(op.security, `${method} ${path}`).toBeUndefined()
      for (const status of ["400", "401", "403", "404", "409", "413", "500"]) {
        expect(Object.keys(op.responses[status].content), `${method} ${path} ${status}`).toStrictEqual([
          "application/problem+json"
        ])
      }
    }
  })

  it("describes problems as RFC 9457 documents and rejects what does not match", () => {
    const check = responseChecker(spec)
    const problem = { type: "urn:hookwire:problem:x", title: "Not Found", status: 404, detail: "d", code: "x" }
    expect(() => check("GET", "/endpoints/{id}", 404, "application/problem+json", problem)).not.toThrow()
    expect(() => check("GET", "/endpoints/{id}", 404, "application/problem+json", { status: 404 })).toThrow(
      /does not match/
    )
    expect(() => check("GET", "/endpoints/{id}", 418, "application/json", {})).toThrow(/does not declare/)
    expect(() => check("GET", "/endpoints", 200, "application/json", { data: [{ id: 1 }], nextCursor: null }))
      .toThrow(/does not match/)
  })
})
