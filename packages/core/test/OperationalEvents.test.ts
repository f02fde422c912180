import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
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
})
