/**
 * Builds the standalone portal with Vite and measures it: `dist/standalone` (index.html + hashed assets with
 * relative URLs) and `dist/standalone/build.json` with the gzipped size and a hash of the sources it was built from.
 * `ensureBuilt` rebuilds only when the sources changed, under a lock, so every test project that needs the build can
 * call it (vitest globalSetup) without two builds racing.
 */
import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build, type InlineConfig } from "vite"

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
export const standaloneOut = join(packageDir, "dist", "standalone")
/** The bundle budget from DESIGN.md §10. */
export const BUDGET_GZIP_BYTES = 150 * 1024

export interface BuildInfo {
  readonly sourceHash: string
  /** Gzipped bytes of every JS and CSS file the page loads. */
  readonly gzipBytes: number
  readonly files: ReadonlyArray<{ readonly file: string; readonly bytes: number; readonly gzipBytes: number }>
}

const walk = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })

/** A hash of everything the build reads: sources, this script, the package manifest. */
export const sourceHash = (extra: ReadonlyArray<string> = []): string => {
  const hash = createHash("sha256")
  const files = [
    ...walk(join(packageDir, "src")),
    join(packageDir, "scripts", "builder.ts"),
    join(packageDir, "package.json"),
    ...extra
  ].sort()
  for (const file of files) hash.update(relative(packageDir, file)).update(readFileSync(file))
  return hash.digest("hex")
}

const viteConfig = (root: string, outDir: string): InlineConfig => ({
  configFile: false,
  root,
  base: "./",
  logLevel: "warn",
  // JSX without a plugin: esbuild's automatic runtime is all the build needs (no fast refresh in a library build).
  mode: "production",
  esbuild: { jsx: "automatic", jsxDev: false },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: { outDir, emptyOutDir: true, target: "es2022", reportCompressedSize: false, sourcemap: false }
})

/** Builds the standalone page and writes build.json. */
export const buildStandalone = async (): Promise<BuildInfo> => {
  const hash = sourceHash()
  await build(viteConfig(join(packageDir, "src", "standalone"), standaloneOut))
  const files = walk(standaloneOut)
    .filter((f) => f.endsWith(".js") || f.endsWith(".css"))
    .map((file) => {
      const bytes = readFileSync(file)
      return {
        file: relative(standaloneOut, file),
        bytes: bytes.length,
        gzipBytes: gzipSync(bytes, { level: 9 }).length
      }
    })
  const info: BuildInfo = { sourceHash: hash, gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0), files }
  writeFileSync(join(standaloneOut, "build.json"), JSON.stringify(info, null, 2))
  return info
}

/** Builds an app (an index.html folder) that imports the package's sources, e.g. the host-like test app. */
export const buildApp = async (root: string, outDir: string): Promise<void> => {
  await build(viteConfig(root, outDir))
}

export const readBuildInfo = (): BuildInfo | undefined => {
  try {
    return JSON.parse(readFileSync(join(standaloneOut, "build.json"), "utf8")) as BuildInfo
  } catch {
    return undefined
  }
}

const LOCK = join(packageDir, "dist", ".build-lock")

/** Builds unless dist/standalone was built from the current sources; concurrent callers wait for one build. */
export const ensureBuilt = async (timeoutMs = 180_000): Promise<BuildInfo> => {
  mkdirSync(join(packageDir, "dist"), { recursive: true })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const current = readBuildInfo()
    if (current !== undefined && current.sourceHash === sourceHash()) return current
    try {
      mkdirSync(LOCK)
    } catch {
      // Another process is building; a lock older than the timeout is a crashed build's.
      const age = Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs
      if (age > timeoutMs) rmSync(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error("timed out waiting for another build of @hookwire/portal")
      await new Promise((resolve) => setTimeout(resolve, 250))
      continue
    }
    try {
      return await buildStandalone()
    } finally {
      rmSync(LOCK, { recursive: true, force: true })
    }
  }
}
