/**
 * One contender's process, run by `sender.ts` (never imported): it imports only the module of the contender named by
 * its first argument (so a BullMQ process never loads Effect), and answers its parent's IPC commands:
 *
 * - `{ type: "prepare", config }` — a fresh store and engine or worker (untimed) → `{ type: "prepared" }`.
 * - `{ type: "run" }` — the timed part, measured (`process-stats.ts`) → `{ type: "result", ms, engine?, cpuUs,
 *   allocatedBytes, collections, maxRssBytes, peakSockets }`.
 * - `{ type: "close" }` — stop and drop the store → `{ type: "closed" }`.
 * - `{ type: "exit" }` — exit normally (so `--cpu-prof` writes its profile).
 *
 * It says `{ type: "ready", loadedRssBytes }` once its modules are loaded. A failure answers the same type with
 * `error`. The process exits when its parent goes away. A second argument `built` loads Hookwire's packages from
 * their built JavaScript (`built-packages.ts`), as a user runs them; `source` from their TypeScript, through tsx.
 */
import { register } from "node:module"
import { pathToFileURL } from "node:url"
import type { AdapterName } from "./adapters.js"
import { sibling } from "./child.js"
import type { Contender, ContenderName, Prepared, RunConfig } from "./contender.js"
import { measureWindow } from "./process-stats.js"

// Hookwire with its adapter's modules loaded (`adapters.ts` imports them only when asked, so that a process
// loads one adapter's code, and its loaded RSS still counts it).
const hookwire = async (adapter: AdapterName): Promise<Contender> => {
  const [contenders, adapters] = await Promise.all([import("./contenders/hookwire.js"), import("./adapters.js")])
  await adapters.loadAdapter(adapter)
  return contenders.hookwire(adapter)
}

const loaders: Record<ContenderName, () => Promise<Contender>> = {
  raw: async () => (await import("./contenders/raw.js")).default,
  "hookwire-memory": () => hookwire("memory"),
  "hookwire-postgres": () => hookwire("postgres"),
  "hookwire-redis": () => hookwire("redis"),
  "graphile-worker": async () => (await import("./contenders/graphile-worker.js")).default,
  "pg-boss": async () => (await import("./contenders/pg-boss.js")).default,
  bullmq: async () => (await import("./contenders/bullmq.js")).default
}

type Command =
  | { readonly type: "prepare"; readonly config: RunConfig }
  | { readonly type: "run" }
  | { readonly type: "close" }
  | { readonly type: "exit" }

const name = process.argv[2] as ContenderName
if (!(name in loaders)) throw new Error(`sender-process: unknown contender "${name}"`)
if (process.argv[3] === "built") register(pathToFileURL(sibling(import.meta.url, "built-packages")))
// tsx turns Node's source maps on (for this harness's TypeScript), and with them on Node keeps the source map of every
// module loaded afterwards. An application running the contenders' JavaScript with plain `node` has them off: so off
// here, before the contender loads (Effect ships a map per module: 4.6 MiB of Hookwire's live heap once loaded, which
// V8 multiplies while it works; 0.5–1 MiB of graphile-worker's and BullMQ's).
process.setSourceMapsEnabled(false)
const contender = await loaders[name]()
let prepared: Prepared | undefined

const send = (message: unknown): void => {
  process.send?.(message)
}

const answer = async (reply: string, f: () => Promise<Record<string, unknown>>): Promise<void> => {
  try {
    send({ type: reply, ...(await f()) })
  } catch (error) {
    send({ type: reply, error: error instanceof Error ? error.stack ?? error.message : String(error) })
  }
}

process.on("message", (command: Command) => {
  switch (command.type) {
    case "prepare":
      void answer("prepared", async () => {
        prepared = await contender(command.config)
        return {}
      })
      break
    case "run":
      void answer("result", async () => {
        if (prepared === undefined) throw new Error("run before prepare")
        const end = measureWindow()
        const outcome = await prepared.run()
        return { ...outcome, ...end() }
      })
      break
    case "close":
      void answer("closed", async () => {
        const current = prepared
        prepared = undefined
        await current?.close()
        return {}
      })
      break
    case "exit":
      process.exit(0)
  }
})

// The parent went away (finished, crashed or killed): never outlive it.
process.on("disconnect", () => process.exit(0))

// Its RSS once its modules are loaded, before any work: what every process of this contender starts from.
send({ type: "ready", loadedRssBytes: process.memoryUsage.rss() })
