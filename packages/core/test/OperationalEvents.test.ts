import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { ValidationError } from "../src/Errors.js"
import * as OperationalEvents from "../src/OperationalEvents.js"

const at = new Date(0)
const succeeded = (i: number): OperationalEvents.OperationalEvent => ({
  type: "delivery.succeeded",
  tenant: "t",
  deliveryId: `dlv_${i}`,
  messageId: `msg_${i}`,
  endpointId: "ep_1",
  attempts: 1,
  at
})

describe("OperationalEvents", () => {
  it.scoped("a subscriber that falls behind loses old delivery.succeeded events, never a rare one", () =>
    Effect.gen(function*() {
      const events = yield* OperationalEvents.OperationalEvents
      const stream = yield* events.subscribe
      yield* events.publish({ type: "endpoint.disabled", tenant: "t", endpointId: "ep_1", reason: "410", at })
      yield* events.publishAll(Array.from({ length: 50 }, (_, i) => succeeded(i)))
      yield* events.publish({ type: "endpoint.recovered", tenant: "t", endpointId: "ep_1", reason: "enabled", at })
      const taken = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(stream, 2 + 8)))
      // Rare events first, in order; then the newest 8 successes (the buffer's size), oldest first.
      expect(taken.map((e) => e.type)).toStrictEqual([
        "endpoint.disabled",
        "endpoint.recovered",
        ...Array.from({ length: 8 }, () => "delivery.succeeded")
      ])
      expect(taken.slice(2).map((e) => (e as { deliveryId: string }).deliveryId)).toStrictEqual(
        Array.from({ length: 8 }, (_, i) => `dlv_${42 + i}`)
      )
    }).pipe(Effect.provide(OperationalEvents.layer({ bufferSize: 8 }))))

  it.effect("a bufferSize that is not a whole number of at least 1 fails the layer with invalid_option", () =>
    Effect.gen(function*() {
      for (const bufferSize of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const exit = yield* Effect.exit(Layer.build(OperationalEvents.layer({ bufferSize })).pipe(Effect.scoped))
        expect(Exit.isFailure(exit), `bufferSize ${bufferSize}`).toBe(true)
        if (Exit.isFailure(exit)) {
          const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
          expect(error, `bufferSize ${bufferSize}`).toBeInstanceOf(ValidationError)
          expect(error).toMatchObject({ code: "invalid_option", field: "bufferSize" })
          expect(error?.message).toContain(`got ${bufferSize}`)
        }
      }
      // The default, and a good value, build.
      yield* Layer.build(OperationalEvents.layer()).pipe(Effect.scoped)
      yield* Layer.build(OperationalEvents.layer({ bufferSize: 1 })).pipe(Effect.scoped)
    }))
})
