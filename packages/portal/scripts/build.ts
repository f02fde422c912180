/** `pnpm --filter @hookwire/portal build`: the standalone portal in dist/standalone, with its gzipped size. */
import { BUDGET_GZIP_BYTES, buildStandalone } from "./builder.js"

const info = await buildStandalone()
const kib = (n: number) => (n / 1024).toFixed(1)
for (const f of info.files) console.log(`  ${f.file}  ${kib(f.bytes)} KiB, ${kib(f.gzipBytes)} KiB gzipped`)
console.log(`standalone portal: ${kib(info.gzipBytes)} KiB gzipped (budget ${kib(BUDGET_GZIP_BYTES)} KiB)`)
if (info.gzipBytes > BUDGET_GZIP_BYTES) {
  console.error("over budget: the standalone bundle must stay under 150 KiB gzipped")
  process.exit(1)
}
