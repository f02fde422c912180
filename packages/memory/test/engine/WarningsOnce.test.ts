/**
 * Expected warnings are logged once per engine, not once per endpoint: an engine that allows http and registers many
 * http endpoints says so at `warn` once (later endpoints at `debug`), and the missing master key once.
 */
import { createHookwire } from "@hookwire/core"
import type { Hookwire } from "@hookwire/core"
import { afterEach, describe, expect, it } from "vitest"
import { memory } from "../../src/index.js"
import { catalog } from "./harness.js"

const open: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()))
})

describe("expected warnings", () => {
  it("http endpoints: one warn line per engine, then debug; the missing master key once", async () => {
    const entries: Array<Hookwire.LogEntry> = []
    const hookwire = createHookwire({
      adapter: memory(),
      catalog,
      allowHttp: true,
      logLevel: "debug",
      logger: (entry) => entries.push(entry)
    })
    open.push(hookwire)
    for (let i = 0; i < 3; i++) await hookwire.endpoints.create({ tenant: "t", url: `http://r${i}.example/hook` })
    const http = entries.filter((e) => e.message.includes("uses http"))
    expect(http.map((e) => e.level)).toStrictEqual(["warn", "debug", "debug"])
    expect(http[0].message).toContain("allowHttp")
    expect(http.map((e) => e.annotations.url)).toStrictEqual([
      "http://r0.example/hook",
      "http://r1.example/hook",
      "http://r2.example/hook"
    ])
    expect(entries.filter((e) => e.message.startsWith("No master key")).map((e) => e.level)).toStrictEqual(["warn"])
  })

  it("a second engine warns again (once per engine, not once per process)", async () => {
    const levels = async () => {
      const entries: Array<Hookwire.LogEntry> = []
      const hookwire = createHookwire({ adapter: memory(), catalog, allowHttp: true, logger: (e) => entries.push(e) })
      open.push(hookwire)
      await hookwire.endpoints.create({ tenant: "t", url: "http://r.example/hook" })
      await hookwire.endpoints.create({ tenant: "t", url: "http://s.example/hook" })
      return entries.filter((e) => e.message.includes("uses http")).map((e) => e.level)
    }
    expect(await levels()).toStrictEqual(["warn"])
    expect(await levels()).toStrictEqual(["warn"])
  })
})
