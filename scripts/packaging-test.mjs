#!/usr/bin/env node
/**
 * The packaging test (`.ci/run` runs it before the tests; `node scripts/packaging-test.mjs` by hand).
 *
 * Installs the packages the way a user gets them: packs every publishable (non-private) package under packages/
 * with `pnpm pack` (whose `prepack` builds dist/), installs the tarballs into fresh npm 10, pnpm and yarn projects in a
 * temporary folder outside the workspace (no workspace links; the internal `@hookwire/*` dependencies are pointed at
 * the tarballs with the package manager's own `overrides`), with the peer dependencies at the ranges the packages
 * declare, and runs the programs in scripts/packaging/ there: JavaScript as ES modules and through `require`,
 * strict TypeScript (`skipLibCheck: false`), every package's entry point, the migrate binary, and Effect 4 installed
 * beside Effect 3 (its values must be refused with `IncompatibleEffect`). Needs the registry and PostgreSQL
 * (HOOKWIRE_TEST_DATABASE_URL). Prints `packaging: N passed, N failed` and exits 1 when a check failed.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const programs = join(root, "scripts", "packaging")
const started = Date.now()
const results = { passed: 0, failed: 0 }
const keep = process.argv.includes("--keep")
// `--only=yarn` (or npm, pnpm) while working on one package manager; CI runs all three.
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length)
const want = (manager) => only === undefined || only === manager

const log = (line) => console.log(`[packaging ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}`)

/** Runs a command; returns its output, or throws with its output when it fails. Bounded in time. */
const run = (command, args, options = {}) => {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    timeout: options.timeout ?? 300_000,
    ...options,
    env: { ...process.env, ...options.env }
  })
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
  if (result.status !== 0) {
    const why = result.error ? String(result.error) : `exit ${result.status ?? result.signal}`
    throw new Error(`${command} ${args.join(" ")} (in ${options.cwd ?? "."}) failed: ${why}\n${output.slice(-6000)}`)
  }
  return output
}

const check = (name, f) => {
  try {
    const detail = f()
    results.passed++
    log(`PASS ${name}${detail ? `: ${detail}` : ""}`)
    return true
  } catch (error) {
    results.failed++
    log(`FAIL ${name}\n${error instanceof Error ? error.message : error}`)
    return false
  }
}

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"))

// The temporary folder must not sit inside a pnpm workspace, or pnpm would link the workspace's packages.
const work = mkdtempSync(join(tmpdir(), "hookwire-packaging-"))
for (let dir = work; dir !== dirname(dir); dir = dirname(dir)) {
  if (existsSync(join(dir, "pnpm-workspace.yaml"))) throw new Error(`${work} is inside the workspace at ${dir}`)
}
const tarballs = join(work, "tarballs")
mkdirSync(tarballs)

// 1. Pack every publishable package (prepack builds it).
const packages = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name))
  .filter((dir) => existsSync(join(dir, "package.json")) && readJson(join(dir, "package.json")).private !== true)
  .map((dir) => ({ dir, manifest: readJson(join(dir, "package.json")) }))
log(`packing ${packages.map((p) => p.manifest.name).join(", ")} into ${tarballs}`)

const packed = []
for (const { dir, manifest } of packages) {
  check(`pack ${manifest.name}`, () => {
    run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: dir })
    const file = join(tarballs, `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`)
    if (!existsSync(file)) throw new Error(`pnpm pack made no ${file}`)
    const files = new Set(run("tar", ["tzf", file]).split("\n").filter(Boolean).map((f) => f.replace(/^package\//, "")))
    const published = JSON.parse(run("tar", ["xzf", file, "-O", "package/package.json"]))
    const missing = targetsOf(published).filter((target) => !hasTarget(files, target))
    if (missing.length > 0) throw new Error(`the tarball lacks ${missing.join(", ")} (is dist/ built by prepack?)`)
    const workspaceLinks = Object.entries({ ...published.dependencies, ...published.peerDependencies })
      .filter(([, range]) => String(range).startsWith("workspace:"))
    if (workspaceLinks.length > 0) throw new Error(`unresolved workspace ranges: ${JSON.stringify(workspaceLinks)}`)
    packed.push({ name: published.name, file, manifest: published })
    return `${files.size} files, every export and bin present`
  })
}

/** Every file the published manifest points at: exports (wildcards as patterns), bin, imports. */
function targetsOf(manifest) {
  const out = []
  const walk = (value) => {
    if (typeof value === "string") out.push(value.replace(/^\.\//, ""))
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk)
  }
  walk(manifest.exports)
  walk(manifest.bin)
  walk(manifest.imports)
  return out
}

function hasTarget(files, target) {
  if (!target.includes("*")) return files.has(target)
  const [prefix, suffix] = target.split("*")
  return [...files].some((f) => f.startsWith(prefix) && f.endsWith(suffix))
}

// 2. The projects' dependencies: the tarballs, every peer at its declared range, and what the programs use.
const hookwire = Object.fromEntries(packed.map((p) => [p.name, `file:${p.file}`]))
const peers = {}
for (const { manifest } of packed) {
  for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
    if (!(name in hookwire) && manifest.peerDependenciesMeta?.[name]?.optional !== true) peers[name] ??= range
    // A TypeScript user of a package installs the types of its peers (e.g. @types/express, @types/react).
    const types = `@types/${name.replace(/^@(.*)\//, "$1__")}`
    if (manifest.devDependencies?.[types] !== undefined) peers[types] ??= manifest.devDependencies[types]
  }
}
const dependencies = {
  ...hookwire,
  ...peers,
  pg: "^8.16.3",
  "@types/pg": "^8.16.0",
  typescript: "^5.9.3",
  "@types/node": "^20.19.43",
  // Effect 4 elsewhere in the tree: the programs take a Schema and a Layer from it and expect a clear refusal.
  effect4: "npm:effect@^4.1.5"
}

const writeProject = (name, extra) => {
  const dir = join(work, name)
  mkdirSync(dir)
  for (const file of readdirSync(programs)) cpSync(join(programs, file), join(dir, file))
  // Every package's entry point, for the type check and the runtime import.
  const entries = packed.map((p, i) => `import * as P${i} from "${p.name}"`).join("\n")
  writeFileSync(
    join(dir, "all-packages.ts"),
    `${entries}\nexport const loaded: ReadonlyArray<object> = [${packed.map((_, i) => `P${i}`).join(", ")}]\n`
  )
  writeFileSync(
    join(dir, "all-packages.mjs"),
    `${entries}\nfor (const m of [${packed.map((_, i) => `P${i}`).join(", ")}]) if (Object.keys(m).length === 0) ` +
      `throw new Error("an entry point exports nothing")\nconsole.log("ok ${packed.length} entry points load")\n`
  )
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `hookwire-packaging-${name}`, private: true, type: "module", ...extra }, null, 2)
  )
  return dir
}

const database = process.env.HOOKWIRE_TEST_DATABASE_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/postgres"

const runPrograms = (manager, dir) => {
  const env = { HOOKWIRE_TEST_DATABASE_URL: database }
  check(`${manager}: every entry point loads`, () => run("node", ["all-packages.mjs"], { cwd: dir, env }).trim())
  check(`${manager}: JavaScript ESM smoke (memory and Postgres)`, () => run("node", ["smoke.mjs"], { cwd: dir, env }))
  check(`${manager}: JavaScript require() smoke`, () => run("node", ["smoke.cjs"], { cwd: dir, env }).trim())
  check(`${manager}: strict TypeScript (skipLibCheck: false) compiles and runs`, () => {
    run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], { cwd: dir })
    return run("node", ["out/smoke.js"], { cwd: dir, env })
  })
  check(`${manager}: Effect 4 beside Effect 3 is refused clearly`, () => run("node", ["effect4.mjs"], { cwd: dir }))
  if (hookwire["@hookwire/core"]) {
    check(`${manager}: the contract suites' record builders import from the published core`, () =>
      run("node", [
        "--input-type=module",
        "-e",
        `import * as Records from "@hookwire/core/test/contract/Records"
        if (typeof Records.endpointRecord !== "function") throw new Error("no endpointRecord")
        console.log("ok @hookwire/core/test/contract/Records")`
      ], { cwd: dir }).trim())
  }
  if (hookwire["@hookwire/postgres"]) {
    check(`${manager}: the migrate binary's --help`, () => {
      const help = run(join(dir, "node_modules", ".bin", "hookwire-postgres-migrate"), ["--help"], { cwd: dir })
      if (!help.includes("HOOKWIRE_DATABASE_URL")) throw new Error(`--help does not name its variables:\n${help}`)
      return help.split("\n")[0]
    })
    check(`${manager}: the migrate binary`, () => {
      const schema = `hw_pack_bin_${manager}_${process.pid}`
      try {
        return run(join(dir, "node_modules", ".bin", "hookwire-postgres-migrate"), [], {
          cwd: dir,
          env: { HOOKWIRE_DATABASE_URL: database, HOOKWIRE_DATABASE_SCHEMA: schema }
        }).trim().split("\n").at(-1)
      } finally {
        execFileSync("node", ["-e", dropSchema, database, schema], { cwd: dir, stdio: "ignore" })
      }
    })
  }
}
const dropSchema = `const pg = require("pg"); const c = new pg.Client({ connectionString: process.argv[1] });
c.connect().then(() => c.query("drop schema if exists " + process.argv[2] + " cascade")).finally(() => c.end())`

// 3. npm 10: the internal dependencies point at the tarballs through overrides ("$name" = the direct dependency).
const npmDir = writeProject("npm", {
  dependencies,
  overrides: Object.fromEntries(packed.map((p) => [p.name, `$${p.name}`]))
})
const npmInstall = () => {
  const output = run("npx", ["--yes", "npm@10", "install", "--no-audit", "--no-fund"], { cwd: npmDir })
  return output.split("\n").filter((line) => /warn|added/.test(line)).slice(0, 8).join("\n")
}
if (want("npm") && check("npm 10 install", npmInstall)) {
  runPrograms("npm", npmDir)
}

// 4. pnpm: first the core README's line (core, memory, effect, the receivers: no native builds, no flags), then
// everything with the flag the Postgres README gives for msgpackr-extract's build script.
const overrides = packed.map((p) => `  "${p.name}": "file:${p.file}"`).join("\n")
const pnpmDir = writeProject("pnpm", {
  dependencies: Object.fromEntries(
    ["@hookwire/core", "@hookwire/memory", "@hookwire/express", "@hookwire/verify", "effect", "express"]
      .filter((name) => name in dependencies)
      .map((name) => [name, dependencies[name]])
  )
})
writeFileSync(join(pnpmDir, "pnpm-workspace.yaml"), `overrides:\n${overrides}\n`)
const pnpmInstall = (args) => run("pnpm", ["install", "--no-frozen-lockfile", ...args], { cwd: pnpmDir })
if (want("pnpm") && check("pnpm: core + memory + express installs with no flags", () => pnpmInstall([]).trim().split("\n").at(-1))) {
  writeFileSync(join(pnpmDir, "package.json"), JSON.stringify({ ...readJson(join(pnpmDir, "package.json")), dependencies }, null, 2))
  if (check("pnpm: everything installs with --allow-build=!msgpackr-extract", () => pnpmInstall(["--allow-build=!msgpackr-extract"]).trim().split("\n").at(-1))) {
    runPrograms("pnpm", pnpmDir)
  }
}

// 5. yarn (classic, the one `npx yarn` gives): the internal dependencies point at the tarballs through resolutions.
// --ignore-engines: fastify 5's tree (light-my-request -> cookie@2) declares node >= 22, which yarn 1 alone treats
// as an error on Node 20 whatever Hookwire does (npm and pnpm warn).
// One spelling for each tarball (yarn rewrites absolute file: paths to relative ones, and two spellings of one
// package make it keep a stale copy nested), and a cache of its own (yarn 1 caches file: tarballs by name).
const yarnTarballs = Object.fromEntries(packed.map((p) => [p.name, `file:../tarballs/${basename(p.file)}`]))
const yarnDir = writeProject("yarn", { dependencies: { ...dependencies, ...yarnTarballs }, resolutions: yarnTarballs })
if (want("yarn") && check("yarn install", () => run("npx", ["--yes", "yarn@1.22.22", "install", "--non-interactive", "--no-progress", "--ignore-engines", "--cache-folder", join(work, "yarn-cache")], { cwd: yarnDir }).trim().split("\n").at(-1))) {
  runPrograms("yarn", yarnDir)
}

if (!keep) rmSync(work, { recursive: true, force: true })
else log(`kept ${work}`)
log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`)
console.log(`packaging: ${results.passed} passed, ${results.failed} failed`)
process.exit(results.failed === 0 && results.passed > 0 ? 0 : 1)
