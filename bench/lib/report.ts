/**
 * Benchmark output, the same for every bench (DESIGN.md §8): one `BENCH <name> key=value …` line per result on
 * stdout, and the whole run as JSON in `bench/results/<name>.json` for tooling and history.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** One measured result: flat keys and values, printed in insertion order. */
export type Result = Record<string, string | number>

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results")

const format = (value: string | number): string =>
  typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(3)) : value.replace(/\s+/g, "_")

/**
 * Prints `BENCH <name> k=v …` per result and writes `bench/results/<name>.json` (with `details`, e.g. every round's
 * numbers, which are not printed); returns the file path.
 */
export const report = (name: string, results: Array<Result>, details?: Record<string, unknown>): string => {
  for (const result of results) {
    const fields = Object.entries(result).map(([key, value]) => `${key}=${format(value)}`)
    console.log(["BENCH", name, ...fields].join(" "))
  }
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${name}.json`)
  // The load average says how shared the machine was while the bench ran (other processes' CPU time skews results).
  const machine = {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus().length,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100)
  }
  writeFileSync(
    file,
    JSON.stringify({ name, date: new Date().toISOString(), machine, results, ...(details ?? {}) }, null, 2) + "\n"
  )
  return file
}

/** Median of a non-empty list. */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) throw new Error("median of nothing")
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
