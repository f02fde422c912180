/**
 * One error discriminator: every error class that crosses a boundary carries `code` (never `reason`), a union of
 * snake_case literals, like the management API's problem+json `code` and the stored attempt error kinds.
 */
import * as EffectVersion from "@hookwire/core/EffectVersion"
import * as Errors from "@hookwire/core/Errors"
import * as RateLimiter from "@hookwire/core/RateLimiter"
import * as Views from "@hookwire/core/Views"
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"

// Every export of Errors is an error class, except its two helpers for layers' options.
const { checkOptions: _checkOptions, invalidOption: _invalidOption, ...errorClasses } = Errors

const classes = {
  ...errorClasses,
  RateLimiterError: RateLimiter.RateLimiterError,
  IncompatibleEffect: EffectVersion.IncompatibleEffect
}

describe("error discriminators", () => {
  it("every error has `code`, no `reason`, and only snake_case codes", () => {
    expect(Object.keys(classes).length).toBeGreaterThanOrEqual(10)
    for (const [name, cls] of Object.entries(classes)) {
      const fields = (cls as unknown as { readonly fields: Record<string, Schema.Schema.Any> }).fields
      expect(Object.keys(fields), name).toContain("code")
      expect(Object.keys(fields), name).not.toContain("reason")
      const code = fields.code as unknown as { readonly literals: ReadonlyArray<string> }
      for (const literal of code.literals) expect(literal, name).toMatch(/^[a-z]+(_[a-z]+)*$/)
    }
  })

  it("a TransportError's code is one of the error kinds an attempt stores", () => {
    const code = Errors.TransportError.fields.code as unknown as { readonly literals: ReadonlyArray<string> }
    expect(Views.TransportErrorKind.literals).toEqual(expect.arrayContaining([...code.literals]))
  })
})
