/**
 * Starts and stops the benches' receiver (`receiver-process.ts`) in a separate process, so the receiver's work
 * does not share the sender's event loop. `withReceiver` always kills the process, whatever happens; should the bench
 * process itself die, the receiver sees its IPC channel close and exits.
 */
import { type ChildProcess, fork } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

// Next to this file, with this file's extension (".ts" under tsx, ".js" when run compiled from dist/).
const here = fileURLToPath(import.meta.url)
const SCRIPT = join(dirname(here), `receiver-process${here.slice(here.lastIndexOf("."))}`)
const READY_TIMEOUT_MS = 15_000
const COMMAND_TIMEOUT_MS = 15_000

/** What the receiver counted since the last `reset`. */
export interface ReceiverStats {
  readonly requests: number
  /** Signatures checked (a sample) and how many of them did not verify. */
  readonly checked: number
  readonly badSignatures: number
  /** `webhook-id` → arrival time (epoch ms, sub-millisecond), when recording. */
  readonly arrivals: ReadonlyMap<string, number>
}

export interface Receiver {
  /** `http://127.0.0.1:<port>/webhooks` */
  readonly url: string
  readonly pid: number
  /** The secret to check a sample of signatures with (null: none); whether to record arrival times. */
  readonly configure: (options: { readonly secret: string | null; readonly record: boolean }) => Promise<void>
  readonly reset: () => Promise<void>
  readonly stats: () => Promise<ReceiverStats>
  /**
   * How far the receiver's clock (`performance.timeOrigin + performance.now()`) is ahead of this process's, in ms:
   * the median over `pings` IPC round trips of `theirs - (sent + received) / 2`, with the median round trip.
   */
  readonly clockOffset: (pings?: number) => Promise<{ readonly offsetMs: number; readonly roundTripMs: number }>
}

type Reply = { readonly type: string } & Record<string, unknown>

/** The child inherits tsx's loader flags (to run TypeScript) but not profiling flags meant for this process. */
const childExecArgv = (): Array<string> => process.execArgv.filter((arg) => !/^--(cpu-prof|heap-prof|prof)/.test(arg))

const waitFor = (child: ChildProcess, type: string, timeoutMs: number): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer)
      child.off("message", onMessage)
      child.off("exit", onExit)
    }
    const onMessage = (message: Reply) => {
      if (message.type !== type) return
      cleanup()
      resolve(message)
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(new Error(`the receiver exited (code ${code}, signal ${signal}) while waiting for "${type}"`))
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`the receiver did not answer "${type}" within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on("message", onMessage)
    child.on("exit", onExit)
  })

const stop = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  child.kill("SIGKILL")
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
}

/** Runs `f` with a receiver process, and kills the process afterwards (also when `f` throws). */
export const withReceiver = async <A>(f: (receiver: Receiver) => Promise<A>): Promise<A> => {
  const child = fork(SCRIPT, [], { execArgv: childExecArgv(), stdio: ["ignore", "inherit", "inherit", "ipc"] })
  // Last resort: this process exits without reaching `finally` (process.exit elsewhere).
  const onExit = () => child.kill("SIGKILL")
  process.once("exit", onExit)
  try {
    const ready = await waitFor(child, "ready", READY_TIMEOUT_MS)
    const command = async (message: Reply, reply: string) => {
      const answer = waitFor(child, reply, COMMAND_TIMEOUT_MS)
      child.send(message)
      return answer
    }
    const receiver: Receiver = {
      url: `http://127.0.0.1:${ready.port as number}/webhooks`,
      pid: child.pid!,
      configure: async ({ record, secret }) => {
        await command({ type: "configure", secret, record }, "configured")
      },
      reset: async () => {
        await command({ type: "reset" }, "reset")
      },
      stats: async () => {
        const answer = await command({ type: "stats" }, "stats")
        return {
          requests: answer.requests as number,
          checked: answer.checked as number,
          badSignatures: answer.badSignatures as number,
          arrivals: new Map(answer.arrivals as Array<[string, number]>)
        }
      },
      clockOffset: async (pings = 21) => {
        const offsets: Array<number> = []
        const trips: Array<number> = []
        for (let i = 0; i < pings; i++) {
          const sent = performance.timeOrigin + performance.now()
          const answer = await command({ type: "now" }, "now")
          const received = performance.timeOrigin + performance.now()
          offsets.push((answer.now as number) - (sent + received) / 2)
          trips.push(received - sent)
        }
        const mid = (values: Array<number>) => values.sort((a, b) => a - b)[values.length >> 1]
        return { offsetMs: mid(offsets), roundTripMs: mid(trips) }
      }
    }
    return await f(receiver)
  } finally {
    process.off("exit", onExit)
    await stop(child)
  }
}
