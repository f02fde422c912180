/**
 * The portal's client types stay the engine's: the error kinds an attempt or a delivery can carry are core's
 * `TransportErrorKind`, exactly. Adding a kind in core (or the portal) without the other fails `pnpm check` (this
 * file is type-checked with the portal's sources) and this test.
 */
import type { TransportErrorKind } from "@hookwire/core/Model"
import { describe, expectTypeOf, it } from "vitest"
import type { Attempt, Delivery, ErrorKind } from "../src/client/types.js"

describe("client types", () => {
  it("ErrorKind is core's TransportErrorKind, both ways", () => {
    expectTypeOf<ErrorKind>().toEqualTypeOf<TransportErrorKind>()
    expectTypeOf<Attempt["errorKind"]>().toEqualTypeOf<TransportErrorKind | null>()
    expectTypeOf<Delivery["lastError"]>().toEqualTypeOf<TransportErrorKind | null>()
  })
})
