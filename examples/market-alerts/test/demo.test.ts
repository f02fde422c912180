import { describe, expect, it } from "vitest"
import { runDemo } from "../src/main.js"

describe("pnpm --filter ./examples/market-alerts start", () => {
  it("delivers the watched events (one after a retry) and nothing for unwatched symbols", async () => {
    const lines: Array<string> = []
    const { deliveries, received } = await runDemo((line) => lines.push(line))
    expect(deliveries.map((d) => d.status)).toEqual(["delivered", "delivered", "delivered"])
    expect(deliveries.map((d) => d.attempts).sort()).toEqual([1, 1, 2])
    expect(received.map((e) => e.type).sort()).toEqual(["news.published", "price.alert", "quote.update"])
    expect(lines.some((l) => l.includes("screener.match → 0"))).toBe(true)
    expect(lines.some((l) => l.includes("HTTP 500"))).toBe(true)
  })
})
