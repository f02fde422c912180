import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("..", import.meta.url))
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>

const sources = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : []
  })

const specifiers = (source: string): Array<string> =>
  [...source.matchAll(/(?:import|export)\s[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
    (m) => m[1] ?? m[2]
  )

describe("package hygiene", () => {
  it("has zero runtime dependencies", () => {
    expect(Object.keys((manifest.dependencies ?? {}) as object)).toEqual([])
    expect(Object.keys((manifest.peerDependencies ?? {}) as object)).toEqual([])
  })

  it("src never imports effect, and imports nothing but itself and node: built-ins", () => {
    const files = sources(join(root, "src"))
    expect(files.length).toBeGreaterThan(5)
    for (const file of files) {
      const imports = specifiers(readFileSync(file, "utf8"))
      for (const specifier of imports) {
        expect(specifier, `${file} imports ${specifier}`).not.toMatch(/^(effect|@effect\/)/)
        expect(specifier.startsWith(".") || specifier.startsWith("node:") || specifier === "#crypto").toBe(true)
      }
    }
    // The scanner itself must see imports, or the assertions above prove nothing.
    expect(specifiers("import * as Effect from \"effect/Effect\"")).toEqual(["effect/Effect"])
  })

  it("only the node:crypto implementation imports node: modules, so the web build stays portable", () => {
    for (const file of sources(join(root, "src"))) {
      if (file.endsWith("crypto.node.ts")) continue
      expect(specifiers(readFileSync(file, "utf8")).filter((s) => s.startsWith("node:")), file).toEqual([])
    }
  })

  it("maps #crypto per runtime, with Web Crypto as the default", () => {
    const imports = manifest.imports as Record<string, Record<string, string>>
    expect(imports["#crypto"].node).toBe("./src/internal/crypto.node.ts")
    expect(imports["#crypto"].default).toBe("./src/internal/crypto.web.ts")
    expect(Object.keys(imports["#crypto"]).at(-1)).toBe("default")
  })
})
