/**
 * `pnpm bench deliver-memory` — end-to-end deliveries/s of Hookwire on the memory adapter against a raw undici loop
 * that signs and posts the same messages, side by side in one run (see lib/deliver.ts for what each side does and
 * what the window covers). 20,000 messages of 1 KiB, concurrency 64, one receiver process answering 204.
 * Bar (DESIGN.md §8): ratio ≥ 0.6.
 */
import { runDeliver } from "./lib/deliver.js"
import type { BenchArgs } from "./run.js"

export default async function deliverMemory(args: BenchArgs): Promise<void> {
  await runDeliver(args, "memory")
}
