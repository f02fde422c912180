import { describe, expect, it } from "vitest"
import { main } from "../src/main.js"

describe("receiver demo", () => {
  it("delivers the genuine event once and turns away the tampered, replayed and stale requests", async () => {
    const lines: Array<string> = []
    const result = await main((line) => lines.push(line))

    expect(result.attempts.map(({ label, status }) => [label, status])).toEqual([
      ["genuine event", 202],
      ["tampered body (total 1)", 400],
      ["replay of the genuine event", 200],
      ["signed an hour ago", 400]
    ])
    expect(result.attempts.map((attempt) => attempt.body)).toMatchObject([
      { received: "msg_demo_1" },
      { error: "no_matching_signature" },
      { duplicate: true },
      { error: "timestamp_too_old" }
    ])
    expect(result.delivered).toHaveLength(1)
    expect(result.delivered[0]).toMatchObject({
      id: "msg_demo_1",
      type: "order.created",
      payload: { data: { orderId: "ord_1042", total: 4200 } }
    })
    expect(result.ok).toBe(true)
    expect(lines.at(-1)).toBe("summary: 1 delivered, 3 turned away as expected")
  })
})
