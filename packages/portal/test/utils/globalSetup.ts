/** Builds the standalone portal before the tests (skipped when dist/standalone is current). */
import { ensureBuilt } from "../../scripts/builder.js"

export default async function setup(): Promise<void> {
  await ensureBuilt()
}
