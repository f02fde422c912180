/**
 * The standalone build as the API mount serves it: under the 150 KiB gzipped budget, free of Effect, with relative
 * asset URLs (it is served under any mount path) and a page that sends no Referer.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { BUDGET_GZIP_BYTES, readBuildInfo, sourceHash } from "../scripts/builder.js"
import { isStandaloneBuilt, standaloneDir } from "../src/standalone.js"

describe("standalone build", () => {
  const info = readBuildInfo()!

  it("is current, and where @hookwire/portal/standalone says", () => {
    expect(isStandaloneBuilt()).toBe(true)
    expect(standaloneDir.endsWith(join("packages", "portal", "dist", "standalone"))).toBe(true)
    expect(info.sourceHash).toBe(sourceHash())
  })

  it(`stays under ${BUDGET_GZIP_BYTES / 1024} KiB gzipped`, () => {
    console.log(`standalone portal: ${(info.gzipBytes / 1024).toFixed(1)} KiB gzipped`)
    expect(info.gzipBytes).toBeGreaterThan(10 * 1024) // React is in it: a near-empty bundle means a broken build
    expect(info.gzipBytes).toBeLessThan(BUDGET_GZIP_BYTES)
  })

  it("bundles no Effect", () => {
    for (const f of info.files) {
      const text = readFileSync(join(standaloneDir, f.file), "utf8")
      expect(text).not.toContain("effect/Effect")
      expect(text).not.toContain("@effect/")
    }
  })

  it("loads its assets by relative URL and sends no Referer", () => {
    const html = readFileSync(join(standaloneDir, "index.html"), "utf8")
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(sources.length).toBeGreaterThanOrEqual(2)
    for (const s of sources) expect(s.startsWith("./assets/")).toBe(true)
    expect(html).toContain(`<meta name="referrer" content="no-referrer"`)
  })
})
