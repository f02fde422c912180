import { describe, expect, it } from "vitest"
import { runDemo } from "../src/main.js"

describe("pnpm demo", () => {
  it("delivers to the healthy and the flaky receiver and fails the one that is down", async () => {
    const lines: Array<string> = []
    const deliveries = await runDemo((line) => lines.push(line))
    expect(deliveries).toHaveLength(6)
    const byStatus = (status: string) => deliveries.filter((d) => d.status === status)
    // ok: 2 delivered at the first attempt; flaky: delivered at its 3rd call overall; down: 2 failed after 4 attempts.
    expect(byStatus("delivered")).toHaveLength(4)
    expect(byStatus("failed")).toHaveLength(2)
    for (const d of byStatus("failed")) {
      expect(d.attempts).toBe(4)
      expect(d.lastResponseStatus).toBe(500)
    }
    expect(lines.some((l) => l.includes("HTTP 204"))).toBe(true)
    // Clean output: no negative times, the engine's warnings once each as notes, and each delivery's "failed for good"
    // after its last attempt row (the down receiver's #4).
    expect(lines.filter((l) => /^-\d/.test(l))).toStrictEqual([])
    expect(lines.filter((l) => l.startsWith("note: endpoint URL uses http"))).toHaveLength(1)
    const failed = lines.flatMap((l, i) => (l.includes("failed for good") ? [i] : []))
    expect(failed).toHaveLength(2)
    failed.forEach((at, n) => {
      const lastRows = lines.slice(0, at).filter((l) => /\bdown\s+#4\b/.test(l))
      expect(lastRows.length).toBeGreaterThanOrEqual(n + 1)
    })
  }, 30_000)
})
