/** Builds the standalone portal the demo serves (skipped when it is current). */
import { ensureBuilt } from "@hookwire/portal/build"

export default async function setup(): Promise<void> {
  await ensureBuilt()
}
