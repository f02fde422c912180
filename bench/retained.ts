/**
 * `pnpm bench retained` — what the memory store keeps per message, on the V8 heap: the Storage's records are the
 * live set that V8 sizes its heap from (see the memory README and bench/README.md, "#22 eighth session: RSS"), and
 * unlike peak RSS this figure does not depend on when collections happen. In this process: Hookwire on `memory()`
 * (the built packages, as the contenders load them), a fleet-shaped store — `--endpoints` endpoints, one tenant
 * each, 1 KiB messages published in batches of 100, each delivered once to a receiver answering 204 at once
 * (`lib/receiver-process.ts`) — then, with every delivery recorded, full collections and `process.memoryUsage()`
 * against the same after setup. Prints `retained_bytes_per_msg` (V8 heap) and `external_bytes_per_msg`.
 *
 * Flags: --messages=N (20000), --endpoints=N (1000), --concurrency=N (2000), --timeout=S (300), --heap-snapshot=FILE
 * (writes a heap snapshot there once every delivery is recorded, to see what the store keeps).
 */
import { register } from "node:module"
import { setFlagsFromString, writeHeapSnapshot } from "node:v8"
import { runInNewContext } from "node:vm"
import { ensureBuilt } from "./lib/build.js"
import type { RunConfig } from "./lib/contender.js"
import { newSecret, numberFlag } from "./lib/payload.js"
import { withReceiver } from "./lib/receiver.js"
import { report } from "./lib/report.js"
import type { BenchArgs } from "./run.js"

/** Full collections until the heap stops shrinking (at most 5), then the process's memory. */
const settled = (gc: () => void): NodeJS.MemoryUsage => {
  let last = process.memoryUsage()
  for (let i = 0; i < 5; i++) {
    gc()
    const now = process.memoryUsage()
    if (now.heapUsed >= last.heapUsed) return now
    last = now
  }
  return last
}

export default async function retained(args: BenchArgs): Promise<void> {
  const messages = numberFlag("messages", args.flags.messages, 20_000, 1, 1_000_000)
  const endpoints = numberFlag("endpoints", args.flags.endpoints, 1_000, 1, 10_000)
  const concurrency = numberFlag("concurrency", args.flags.concurrency, 2_000, 1, 10_000)
  const runTimeoutMs = numberFlag("timeout", args.flags.timeout, 300, 1, 3600) * 1000
  setFlagsFromString("--expose-gc")
  const gc = runInNewContext("gc") as () => void
  await ensureBuilt()
  register(new URL("./lib/built-packages.ts", import.meta.url))
  const { hookwire } = await import("./lib/contenders/hookwire.js")
  const result = await withReceiver(async (receiver) => {
    await receiver.configure({ secret: null, record: false })
    const config: RunConfig = {
      urls: Array.from({ length: endpoints }, (_, i) => `${receiver.url}/${i}`),
      secret: newSecret(),
      messages,
      concurrency,
      perEndpointConcurrency: undefined,
      bodyBytes: 1024,
      batch: 100,
      publishers: 4,
      api: "effect",
      runTimeoutMs
    }
    const prepared = await hookwire("memory")(config)
    try {
      const before = settled(gc)
      await prepared.run()
      const after = settled(gc)
      if (typeof args.flags["heap-snapshot"] === "string") writeHeapSnapshot(args.flags["heap-snapshot"])
      return {
        retained_bytes_per_msg: Math.round((after.heapUsed - before.heapUsed) / messages),
        external_bytes_per_msg: Math.round((after.external - before.external) / messages),
        heap_used_mib: Math.round(after.heapUsed / 2 ** 20),
        messages,
        endpoints
      }
    } finally {
      await prepared.close()
    }
  })
  const file = report("retained", [result])
  console.log(`(${file})`)
}
