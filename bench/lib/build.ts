/**
 * Builds the Hookwire packages the benches load (`tsc -b`, the same output `pnpm pack` ships: `dist/src/*.js`), once
 * per bench process, before a contender process loads them through `built-packages.ts`. Incremental: a few seconds
 * when nothing changed, about a minute from a fresh clone.
 */
import { execFile } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
/** What the contenders import (their references, verify and testing, are built with them). */
const PACKAGES = ["core", "memory", "postgres", "redis"].map((name) => join(ROOT, "packages", name))

let built: Promise<void> | undefined

export const ensureBuilt = (): Promise<void> => {
  built ??= new Promise<void>((resolve, reject) => {
    const tsc = createRequire(join(ROOT, "package.json")).resolve("typescript/bin/tsc")
    execFile(process.execPath, [tsc, "-b", ...PACKAGES], { cwd: ROOT, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error === null) return resolve()
      reject(
        new Error(
          `building the Hookwire packages for the bench failed (\`pnpm build\` shows why; --source runs the ` +
            `TypeScript sources instead):\n${stdout}${stderr}`
        )
      )
    })
  })
  return built
}
