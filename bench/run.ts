/**
 * Benchmark dispatcher: `pnpm bench <name> [--flag[=value] …]` imports `bench/<name>.ts` and calls its default
 * export with the parsed arguments. Adding a bench means adding a file; nothing here changes.
 */
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

/** What a bench's default export receives. */
export interface BenchArgs {
  /** The bench name, e.g. "verify". */
  readonly name: string
  /** `--key=value` and `--key value` as strings, bare `--flag` as `true`. */
  readonly flags: Readonly<Record<string, string | boolean>>
  /** Arguments that are not flags. */
  readonly positional: ReadonlyArray<string>
}

/** The shape of a bench module. */
export type Bench = (args: BenchArgs) => void | Promise<void>

const here = dirname(fileURLToPath(import.meta.url))

const available = (): Array<string> =>
  readdirSync(here)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "run.ts")
    .map((f) => f.slice(0, -3))
    .sort()

export const parseArgs = (
  argv: ReadonlyArray<string>
): { flags: Record<string, string | boolean>; positional: Array<string> } => {
  const flags: Record<string, string | boolean> = {}
  const positional: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === "--") continue
    if (!arg.startsWith("--")) {
      positional.push(arg)
      continue
    }
    const eq = arg.indexOf("=")
    if (eq !== -1) {
      flags[arg.slice(2, eq)] = arg.slice(eq + 1)
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
      flags[arg.slice(2)] = argv[++i]
    } else {
      flags[arg.slice(2)] = true
    }
  }
  return { flags, positional }
}

const main = async (): Promise<void> => {
  const [name, ...rest] = process.argv.slice(2).filter((a) => a !== "--")
  const benches = available()
  if (name === undefined || !benches.includes(name)) {
    console.error(
      `${name === undefined ? "no bench given" : `unknown bench "${name}"`}; available: ${benches.join(", ")}`
    )
    console.error("usage: pnpm bench <name> [--flag[=value] ...]")
    process.exit(1)
  }
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { readonly default?: unknown }
  if (typeof mod.default !== "function") {
    console.error(`bench/${name}.ts has no default export function`)
    process.exit(1)
  }
  const { flags, positional } = parseArgs(rest)
  await (mod.default as Bench)({ name, flags, positional })
}

await main()
