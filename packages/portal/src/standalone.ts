/**
 * Where the standalone build lives, for the management API's mount (`managementApi(hookwire, { portal: true })`) or
 * any static file server: `index.html` at the folder's root, assets under `assets/` with relative URLs. Node only.
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The package root: the nearest folder above this module with a package.json (src/ in the repo, dist/src/ published). */
const packageRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "package.json"))) return dir
    dir = dirname(dir)
  }
  throw new Error("@hookwire/portal: could not find the package's folder from " + import.meta.url)
}

/**
 * The absolute path of the built standalone portal (`dist/standalone`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const standaloneDir: string = join(packageRoot(), "dist", "standalone")

/**
 * Whether the standalone build exists (in the repository it is made by `pnpm --filter @hookwire/portal build`; a
 * published package ships it).
 *
 * @since 0.1.0
 * @category guards
 */
export const isStandaloneBuilt = (): boolean => existsSync(join(standaloneDir, "index.html"))
