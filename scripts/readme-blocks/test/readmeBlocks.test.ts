import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const script = fileURLToPath(new URL("../../readme-blocks.mjs", import.meta.url))
const fixture = fileURLToPath(new URL("fixture.md", import.meta.url))
const run = promisify(execFile)

describe("scripts/readme-blocks.mjs", () => {
  it("fails with the README path and line of every block that does not compile, and only those", async () => {
    const outcome = await run(process.execPath, [script, fixture]).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout })
    )
    const lines = outcome.stdout.trim().split("\n")
    const at = (line: number) => lines.filter((l) => l.startsWith(`scripts/readme-blocks/test/fixture.md:${line}`))
    expect(outcome.code).toBe(1)
    // The whole block: its line 3 is the README's line 8.
    expect(at(8)).toEqual([expect.stringContaining("TS2322")])
    // The fragment that compiles has no line; the one that does not points at its own line, not the prelude.
    expect(at(15)).toEqual([])
    expect(at(22)).toEqual([expect.stringContaining("TS2322")])
    // A name no scope defines: reported at the fragment marker.
    expect(at(28).join("\n")).toMatch(/\(fragment marker\): TS2305 .*'nowhere'/)
    // The block marked "not compiled" is listed, not checked; JavaScript is checked.
    expect(lines).toContain("scripts/readme-blocks/test/fixture.md:35: not compiled: pseudo-code")
    expect(at(43)).toEqual([expect.stringContaining("TS2339")])
    expect(lines.at(-1)).toBe("README code blocks: 5 type-checked (3 fragments), 1 not compiled, 4 errors")
  }, 120_000)
})
