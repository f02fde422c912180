/**
 * `pnpm bench deliver-postgres` — end-to-end deliveries/s of Hookwire with PostgreSQL storage and queue (attempt log
 * persisted) against a raw undici loop that signs and posts the same messages, side by side in one run (see
 * lib/deliver.ts). 20,000 messages of 1 KiB, concurrency 64, one receiver process answering 204. Bar (DESIGN.md §8):
 * ratio ≥ 0.35.
 */
import { runDeliver } from "./lib/deliver.js"
import type { BenchArgs } from "./run.js"

export default async function deliverPostgres(args: BenchArgs): Promise<void> {
  await runDeliver(args, "postgres")
}
