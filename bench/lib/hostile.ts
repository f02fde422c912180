/**
 * Starts and stops the benches' hostile receiver (`hostile-process.ts`) in its own process, so its sockets and
 * timers do not compete with the bench's event loop. `withHostileServer` always kills the process.
 */
import { sibling, withChild } from "./child.js"

export type HostileMode = "never" | "slowloris"

export const HOSTILE_MODES: ReadonlyArray<HostileMode> = ["never", "slowloris"]

export interface HostileStats {
  /** Connections accepted since the last reset. */
  readonly accepted: number
  /** Connections that carried a request since the last reset. */
  readonly requests: number
  /** Connections open now. */
  readonly open: number
}

export interface HostileServer {
  /** `http://127.0.0.1:<port>/webhooks` */
  readonly url: string
  readonly pid: number
  readonly mode: HostileMode
  readonly stats: () => Promise<HostileStats>
  readonly reset: () => Promise<void>
}

const SCRIPT = sibling(import.meta.url, "hostile-process")

/** Runs `f` with a hostile server process in `mode`, and kills the process afterwards (also when `f` throws). */
export const withHostileServer = <A>(mode: HostileMode, f: (server: HostileServer) => Promise<A>): Promise<A> =>
  withChild(SCRIPT, [mode], (child) =>
    f({
      url: `http://127.0.0.1:${child.ready.port as number}/webhooks`,
      pid: child.pid,
      mode,
      stats: async () => {
        const answer = await child.command({ type: "stats" }, "stats")
        return {
          accepted: answer.accepted as number,
          requests: answer.requests as number,
          open: answer.open as number
        }
      },
      reset: async () => {
        await child.command({ type: "reset" }, "reset")
      }
    }))
