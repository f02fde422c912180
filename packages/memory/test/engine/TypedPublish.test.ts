/**
 * The Effect API's `publish` and `publishMany` typed by the catalog, as the Promise API's are (`Webhooks.typed`): the
 * `// @ts-expect-error` lines below are compile errors only while the typing holds, and `pnpm check` compiles this
 * file, so losing the typing fails the check. At run time, `typed` hands back the engine's service, and refuses a
 * catalog the engine was not built with.
 */
import { expect, it } from "@effect/vitest"
import { Catalog, type Errors, type Hookwire, Webhooks } from "@hookwire/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { describe, expectTypeOf } from "vitest"
import { catalog, engine } from "./harness.js"

type Events = { readonly "invoice.paid": { readonly invoiceId: string; readonly amount: number } }

describe("Webhooks.typed: compile-time checks", () => {
  it("types publish's type and data, and publishMany's items, by the catalog", () => {
    // Type-level only: these programs are built, never run.
    const program = Effect.gen(function*() {
      const webhooks = yield* Webhooks.typed(catalog)
      yield* webhooks.publish({ tenant: "t", type: "invoice.paid", data: { invoiceId: "in_1", amount: 4200 } })
      yield* webhooks.publish({ tenant: "t", type: "invoice.voided", data: { invoiceId: "in_1" } })
      // @ts-expect-error an event type the catalog does not have
      yield* webhooks.publish({ tenant: "t", type: "invoice.lost", data: {} })
      // @ts-expect-error the data of another event type
      yield* webhooks.publish({ tenant: "t", type: "invoice.paid", data: { invoiceId: "in_1" } })
      // @ts-expect-error a field of the wrong type
      yield* webhooks.publish({ tenant: "t", type: "customer.created", data: { id: 1 } })
      yield* webhooks.publishMany([
        { tenant: "t", type: "invoice.voided", data: { invoiceId: "in_1" } },
        { tenant: "t", type: "customer.created", data: { id: "c1" } }
      ])
      yield* webhooks.publishMany([
        // @ts-expect-error each item's data is checked against its own type
        { tenant: "t", type: "customer.created", data: { invoiceId: "in_1" } }
      ])
    })
    expectTypeOf(program).toEqualTypeOf<
      Effect.Effect<void, Webhooks.WebhooksError | Errors.EventTypeError, Webhooks.Webhooks>
    >()
    expect(Effect.isEffect(program)).toBe(true)
  })

  it("gives the same input type as the Promise API, and leaves the Tag's service untyped", () => {
    expectTypeOf<Webhooks.PublishInput<Events, "invoice.paid">>().toEqualTypeOf<
      Hookwire.PublishInput<Events, "invoice.paid">
    >()
    expectTypeOf<Webhooks.PublishInput<Events, "invoice.paid">["data"]>().toEqualTypeOf<
      { readonly invoiceId: string; readonly amount: number }
    >()
    expectTypeOf<Parameters<Webhooks.Webhooks["Type"]["publish"]>[0]["type"]>().toEqualTypeOf<string>()
    expectTypeOf<Parameters<Webhooks.Webhooks["Type"]["publish"]>[0]["data"]>().toEqualTypeOf<unknown>()
  })
})

describe("Webhooks.typed at run time", () => {
  it.effect("is the engine's service: a typed publish delivers like any other", () =>
    Effect.gen(function*() {
      const webhooks = yield* Webhooks.typed(catalog)
      expect(webhooks).toBe(yield* Webhooks.Webhooks)
      yield* webhooks.endpoints.create({ tenant: "t", url: "https://receiver.example/hooks" })
      const result = yield* webhooks.publish({
        tenant: "t",
        type: "invoice.paid",
        data: { invoiceId: "in_1", amount: 4200 }
      })
      expect(result).toMatchObject({ deliveries: 1, duplicate: false })
      // The types are an aid: what is published is still checked against the engine's catalog.
      const wrong = yield* Effect.flip(webhooks.publish({ tenant: "t", type: "invoice.paid", data: null as never }))
      expect(wrong).toMatchObject({ _tag: "EventTypeError", code: "invalid_event_data" })
    }).pipe(Effect.provide(engine({ dispatcher: false }))))

  it.effect("refuses a catalog the engine was not built with (its types would not be what publish checks)", () =>
    Effect.gen(function*() {
      const other = Catalog.make({ "invoice.paid": Schema.Struct({ id: Schema.String }) })
      const error = yield* Effect.flip(Webhooks.typed(other))
      expect(error).toMatchObject({ _tag: "ValidationError", code: "invalid_option", field: "catalog" })
      expect(error.message).toContain("another catalog")
    }).pipe(Effect.provide(engine({ dispatcher: false }))))

  it.effect("takes any catalog for a service it did not build (a test double has no engine catalog)", () =>
    Effect.gen(function*() {
      const real = yield* Webhooks.Webhooks
      const double: Webhooks.Service = { ...real }
      const webhooks = yield* Webhooks.typed(catalog).pipe(Effect.provide(Layer.succeed(Webhooks.Webhooks, double)))
      expect(webhooks).toBe(double)
    }).pipe(Effect.provide(engine({ dispatcher: false }))))
})
