#!/usr/bin/env node
// Type-checks every TypeScript / JavaScript code block of every README.md in the repository against the workspace
// packages, with the repository's strict compiler settings (tsconfig.base.json), so an example that no longer matches
// the code fails CI with its README path and line.
//
// Blocks are compiled as they are written: each ```ts / ```typescript / ```tsx / ```js block is one module of its
// own, placed in scripts/readme-blocks/ (a private workspace package that depends on everything a README imports,
// as a user's app would). Two markers, on a block's first line and visible to readers, change that:
//
//   // fragment: hookwire, tenant, id     the block continues an earlier example: the listed names are in scope,
//                                          typed by scripts/readme-blocks/scope/<README's directory>.ts (or
//                                          default.ts); a parenthesised note after a name is ignored
//   // not compiled: <reason>             the block is not checked (say why; keep this for what cannot compile)
//
// Usage: node scripts/readme-blocks.mjs [--keep] [file.md ...]
//   --keep leaves the generated files in scripts/readme-blocks/.blocks; files given: check those instead of every README
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const host = join(root, "scripts/readme-blocks")
const out = join(host, ".blocks")
const keep = process.argv.includes("--keep")
const given = process.argv.slice(2).filter((arg) => !arg.startsWith("--"))

const languages = new Map([
  ["ts", "ts"],
  ["typescript", "ts"],
  ["tsx", "tsx"],
  ["js", "js"],
  ["javascript", "js"],
  ["mjs", "js"]
])
const fragmentMarker = /^\/\/\s*fragment:\s*(.+)$/
const skipMarker = /^\/\/\s*not compiled:\s*\S/

/** Every README.md git knows about (tracked or new), the changeset tool's own excepted. */
const readmes = () =>
  execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*README.md"], {
    cwd: root,
    encoding: "utf8"
  })
    .split("\n")
    .filter((path) => path.endsWith("README.md") && !path.startsWith(".changeset/"))
    .filter((path) => existsSync(join(root, path)))
    .sort()

/** The code blocks of one README: language, the fence's line (1-based) and the code with the fence's indent removed. */
const blocksOf = (readme) => {
  const lines = readFileSync(join(root, readme), "utf8").split("\n")
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i])
    if (open === null) continue
    const [, indent, fence, info] = open
    let end = i + 1
    while (end < lines.length && !(lines[end].trimStart().startsWith(fence) && lines[end].trim() === lines[end].trim().replace(/[^`~]/g, ""))) end++
    const language = languages.get(info.toLowerCase())
    if (language !== undefined) {
      const code = lines.slice(i + 1, end).map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
      blocks.push({ readme, line: i + 1, language, code })
    }
    i = end
  }
  return blocks
}

const slug = (readme) => (readme === "README.md" ? "root" : dirname(readme).replace(/[/\\]/g, "-"))

/** Turns a block into a file: the fragment's names imported from its README's scope, a module in every case. */
const fileOf = (block, index) => {
  const first = block.code.find((line) => line.trim() !== "")?.trim() ?? ""
  if (skipMarker.test(first)) return { ...block, skipped: true }
  const prelude = []
  const fragment = fragmentMarker.exec(first)
  if (fragment !== null) {
    // Names, comma-separated; a parenthesised note after one is for the reader: "verifyWebhook (the function above)".
    const names = fragment[1].replace(/\([^)]*\)/g, "").split(/[\s,]+/).filter((name) => name !== "")
    const scoped = join(host, "scope", `${slug(block.readme)}.ts`)
    const scope = existsSync(scoped) ? `${slug(block.readme)}.js` : "default.js"
    prelude.push(`import { ${names.join(", ")} } from "../scope/${scope}"`)
  }
  const commonJs = block.language === "js" && block.code.some((line) => /\brequire\(/.test(line))
  const extension = block.language === "tsx" ? "tsx" : block.language === "js" ? (commonJs ? "cjs" : "mjs") : "ts"
  const path = join(out, `${slug(block.readme)}-${String(index).padStart(2, "0")}-L${block.line}.${extension}`)
  const text = [...prelude, ...block.code, commonJs ? "" : "export {}", ""].join("\n")
  return { ...block, path, text, fragment: fragment !== null, offset: prelude.length }
}

const compilerOptions = () => {
  const base = ts.readConfigFile(join(root, "tsconfig.base.json"), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, host)
  return {
    ...parsed.options,
    // The strict settings stay (strict, exactOptionalPropertyTypes, ...). Off: a README may show a value it does not
    // use (`const { id, secret } = ...`), and nothing is emitted or built.
    noUnusedLocals: false,
    noUnusedParameters: false,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    incremental: false,
    tsBuildInfoFile: undefined,
    rootDir: undefined,
    outDir: undefined,
    allowJs: true,
    checkJs: true,
    jsx: ts.JsxEmit.ReactJSX
  }
}

const main = () => {
  const paths = given.length > 0 ? given.map((path) => relative(root, resolve(path))) : readmes()
  const blocks = paths.flatMap(blocksOf).map(fileOf)
  const files = blocks.filter((block) => !block.skipped)
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  for (const file of files) writeFileSync(file.path, file.text)
  const byPath = new Map(files.map((file) => [resolve(file.path), file]))

  const program = ts.createProgram(files.map((file) => file.path), compilerOptions())
  const failures = []
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n  ")
    const source = diagnostic.file
    const file = source === undefined ? undefined : byPath.get(resolve(source.fileName))
    if (source === undefined) {
      failures.push(`(global): TS${diagnostic.code} ${message}`)
    } else if (file === undefined) {
      // An error outside a block (a scope file, or a package's source a block pulled in).
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      failures.push(`${relative(root, source.fileName)}:${line + 1}: TS${diagnostic.code} ${message}`)
    } else {
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      const inBlock = line - file.offset
      const at = inBlock < 0 ? `${file.line + 1} (fragment marker)` : `${file.line + 1 + inBlock}`
      failures.push(`${file.readme}:${at}: TS${diagnostic.code} ${message}`)
    }
  }
  if (!keep) rmSync(out, { recursive: true, force: true })

  const fragments = files.filter((file) => file.fragment).length
  const skipped = blocks.filter((block) => block.skipped)
  for (const failure of failures) console.log(failure)
  // The marker's own line and text: "README.md:12: not compiled: <reason>".
  for (const block of skipped) console.log(`${block.readme}:${block.line + 1}: ${block.code[0].trim().slice(2).trim()}`)
  console.log(
    `README code blocks: ${files.length} type-checked (${fragments} fragments), ${skipped.length} not compiled, ` +
      `${failures.length} error${failures.length === 1 ? "" : "s"}`
  )
  process.exitCode = failures.length === 0 ? 0 : 1
}

main()
