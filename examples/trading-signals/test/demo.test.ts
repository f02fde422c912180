import { describe, expect, it } from "vitest"
import { runDemo } from "../src/main.js"

describe("pnpm --filter ./examples/trading-signals start", () => {
  it("ends with every delivery final: delivered, failed with 500 and body, failed with connect", async () => {
    const lines: Array<string> = []
    const { log, received } = await runDemo((line) => lines.push(line))
    const rows = log.map((e) => [e.event, e.status, e.response_code, e.error]).sort((a, b) =>
      String(a).localeCompare(String(b))
    )
    expect(rows).toEqual([
      ["backtest.run", "failed", null, "connect"],
      ["signal.buy", "delivered", 200, null],
      ["signal.buy", "failed", 500, null],
      ["signal.sell", "failed", 500, null]
    ])
    expect(received.map((e) => e.event)).toEqual(["signal.buy"])
    expect(lines.some((l) => l.includes("EndpointLimitExceeded"))).toBe(true)
    expect(lines.some((l) => l.includes("pending"))).toBe(true)
    expect(lines.some((l) => l.includes("discord rate limit reached"))).toBe(true)
  })
})
