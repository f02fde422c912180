/**
 * Module resolve hooks (`module.register`) that load Hookwire's workspace packages from their built JavaScript, as a
 * user who installed them runs them, instead of the TypeScript sources their development `exports` point at (which
 * tsx would compile at load, keeping sources and source maps in the process: ≈ 70 MiB more RSS before any work).
 *
 * A `@hookwire/*` import resolves as usual (the package's `exports`: `./src/X.ts`), then maps to what the published
 * package's `publishConfig.exports` give for the same subpath: `./dist/src/X.js` (the `tsc -b` output `pnpm pack`
 * ships). The built files' own imports of other `@hookwire/*` packages go through here too, and so do package
`imports` (`#crypto` of verify), whose `publishConfig.imports` map the same way. `ensureBuilt`
 * (`build.ts`) runs `tsc -b` first, so the output is never older than the sources.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const SOURCE = /\/packages\/([^/]+)\/src\/(.+)\.ts$/

interface Resolved {
  readonly url: string
  readonly format?: string | null
}

type NextResolve = (specifier: string, context: unknown) => Promise<Resolved>

export const resolve = async (specifier: string, context: unknown, next: NextResolve): Promise<Resolved> => {
  const resolved = await next(specifier, context)
  const ours = specifier.startsWith("@hookwire/") || specifier.startsWith("#")
  if (!ours || !SOURCE.test(resolved.url)) return resolved
  const url = resolved.url.replace(SOURCE, "/packages/$1/dist/src/$2.js")
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`${specifier}: ${fileURLToPath(url)} is not built; run \`pnpm build\` (or use --source)`)
  }
  return { url, format: "module" }
}
