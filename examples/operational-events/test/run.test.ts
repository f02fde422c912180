import { describe, expect, it } from "vitest"
import { run } from "../src/main.js"

describe("forwarding operational events as webhooks", () => {
  it("a 410 from the order endpoint reaches the customer's ops endpoint as two signed notices", async () => {
    const lines: Array<string> = []
    const { orderEndpoint, received } = await run((line) => lines.push(line))
    expect(orderEndpoint.disabled).toBe(true)
    expect(orderEndpoint.disabledReason).toContain("410")
    expect(received.map((n) => n.type).sort()).toEqual(["ops.delivery_failed", "ops.endpoint_disabled"])
    for (const notice of received) expect(notice.data.endpointId).toBe(orderEndpoint.id)
    expect(lines.some((l) => l.includes("publishing ops.endpoint_disabled"))).toBe(true)
  }, 20_000)
})
