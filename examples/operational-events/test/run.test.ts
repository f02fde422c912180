import { describe, expect, it } from "vitest"
import { run } from "../src/main.js"

describe("durable operational webhooks", () => {
  it("a 410 from the order endpoint reaches the host's notifier for that customer as two signed notices", async () => {
    const lines: Array<string> = []
    const { orderEndpoint, received } = await run((line) => lines.push(line))
    expect(orderEndpoint.disabled).toBe(true)
    expect(orderEndpoint.disabledReason).toContain("410")
    expect(received.map((n) => n.type).sort()).toEqual(["hookwire.delivery.failed", "hookwire.endpoint.disabled"])
    for (const notice of received) expect(notice.data).toMatchObject({ tenant: "acme", endpointId: orderEndpoint.id })
    expect(lines.some((l) => l.includes("notifier received hookwire.endpoint.disabled"))).toBe(true)
  }, 20_000)
})
