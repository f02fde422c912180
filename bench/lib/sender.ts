/**
 * Runs one contender in its own process (`sender-process.ts`), so each contender's peak RSS, CPU and allocations are
 * its own and none shares another's event loop or heap. `withSender` keeps the process for every round (warm, as a
 * long-running worker would be) and always kills it afterwards.
 */
import { ensureBuilt } from "./build.js"
import { sibling, withChild } from "./child.js"
import type { ContenderName, Outcome, RunConfig } from "./contender.js"
import type { WindowStats } from "./process-stats.js"
import type { ServerCpu } from "./server-cpu.js"

const SCRIPT = sibling(import.meta.url, "sender-process")
/** Setting up a store (a schema, migrations, 1,000 endpoints) and dropping it take a while on a loaded machine. */
const SETUP_TIMEOUT_MS = 300_000
const EXIT_TIMEOUT_MS = 10_000

export interface RunStats extends WindowStats, Outcome {
  /** CPU µs each measured server spent from just before the run to just after it, by server. */
  readonly serverCpuUs: Readonly<Record<string, number>>
}

export interface Sender {
  readonly name: ContenderName
  /** How the bench reports it (the name unless told otherwise). */
  readonly label: string
  readonly pid: number
  /** The process's RSS once its modules were loaded, before any work (bytes). */
  readonly loadedRssBytes: number
  /**
   * A fresh store and engine or worker (untimed), the timed run, then cleanup (untimed). The servers' CPU is read
   * just before the run and just after it.
   */
  readonly round: (config: RunConfig, servers: ReadonlyArray<ServerCpu>) => Promise<RunStats>
}

const check = (answer: Record<string, unknown>, name: string, what: string): void => {
  if (typeof answer.error === "string") throw new Error(`${name} (${what}): ${answer.error}`)
}

/**
 * Runs `f` with a process for contender `name`, killed afterwards (also when `f` throws). `execArgv`: extra Node
 * flags for it (profiling). Hookwire loads its packages' built JavaScript (built first, `build.ts`), as a user runs
 * them; `source: true` loads their TypeScript sources through tsx instead (what the benches measured before #22's
 * seventh session). `label`: how the bench reports it.
 */
export const withSender = async <A>(
  name: ContenderName,
  f: (sender: Sender) => Promise<A>,
  execArgv: ReadonlyArray<string> = [],
  source = false,
  label: string = name
): Promise<A> => {
  const hookwire = name.startsWith("hookwire")
  if (hookwire && !source) await ensureBuilt()
  return withChild(SCRIPT, [name, source ? "source" : "built"], async ({ command, exited, pid, ready }) => {
    const result = await f({
      name,
      label,
      pid,
      loadedRssBytes: ready.loadedRssBytes as number,
      round: async (config, servers) => {
        check(await command({ type: "prepare", config }, "prepared", SETUP_TIMEOUT_MS), name, "prepare")
        try {
          const before = servers.map((s) => s.sampleUs())
          const result = await command({ type: "run" }, "result", config.runTimeoutMs + 30_000)
          const serverCpuUs = Object.fromEntries(servers.map((s, i) => [s.server, s.sampleUs() - before[i]]))
          check(result, name, "run")
          return { ...(result as unknown as WindowStats & Outcome), serverCpuUs }
        } finally {
          check(await command({ type: "close" }, "closed", SETUP_TIMEOUT_MS), name, "close")
        }
      }
    })
    // Let it exit on its own (a profiling run writes its profile then); it is killed anyway if it does not.
    command({ type: "exit" }, "never").catch(() => {})
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, EXIT_TIMEOUT_MS).unref())])
    return result
  }, execArgv)
}
