/**
 * Runs a helper process of the benches (a receiver, a hostile server) beside the bench, so its work does not share
 * the sender's event loop: forks the script under the same loader (tsx), waits for its `{ type: "ready" }`, sends
 * IPC commands with a deadline, and always kills it afterwards. A helper must exit when its IPC channel closes, so
 * it never outlives a bench that dies. `receiver.ts` and the hostile server are built on it.
 */
import { type ChildProcess, fork } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const READY_TIMEOUT_MS = 15_000
const COMMAND_TIMEOUT_MS = 15_000

export type Message = { readonly type: string } & Record<string, unknown>

export interface Child {
  readonly pid: number
  /** The `ready` message the helper sent once listening. */
  readonly ready: Message
  /** Resolves when the helper has exited (for helpers that are asked to exit on their own, e.g. to write a profile). */
  readonly exited: Promise<void>
  /** Sends `message` and resolves with the helper's first message of type `reply` (within 15 s unless told). */
  readonly command: (message: Message, reply: string, timeoutMs?: number) => Promise<Message>
}

/** The path of `name` next to the module `metaUrl`, with that module's extension (".ts" under tsx, ".js" in dist). */
export const sibling = (metaUrl: string, name: string): string => {
  const here = fileURLToPath(metaUrl)
  return join(dirname(here), `${name}${here.slice(here.lastIndexOf("."))}`)
}

/** The child inherits tsx's loader flags (to run TypeScript) but not profiling flags meant for this process. */
const childExecArgv = (): Array<string> => process.execArgv.filter((arg) => !/^--(cpu-prof|heap-prof|prof)/.test(arg))

const waitFor = (child: ChildProcess, type: string, timeoutMs: number): Promise<Message> =>
  new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer)
      child.off("message", onMessage)
      child.off("exit", onExit)
    }
    const onMessage = (message: Message) => {
      if (message.type !== type) return
      cleanup()
      resolve(message)
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(new Error(`the helper exited (code ${code}, signal ${signal}) while waiting for "${type}"`))
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`the helper did not answer "${type}" within ${timeoutMs} ms`))
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

/**
 * Runs `f` with the helper `script` (given `args`), and kills the helper afterwards, also when `f` throws.
 * `execArgv` adds Node flags for the helper (e.g. `--cpu-prof` to profile a contender in its own process).
 */
export const withChild = async <A>(
  script: string,
  args: ReadonlyArray<string>,
  f: (child: Child) => Promise<A>,
  execArgv: ReadonlyArray<string> = []
): Promise<A> => {
  const child = fork(script, [...args], {
    execArgv: [...childExecArgv(), ...execArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  // Last resort: this process exits without reaching `finally` (process.exit elsewhere).
  const onExit = () => child.kill("SIGKILL")
  process.once("exit", onExit)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  try {
    const ready = await waitFor(child, "ready", READY_TIMEOUT_MS)
    return await f({
      pid: child.pid!,
      ready,
      exited,
      command: (message, reply, timeoutMs = COMMAND_TIMEOUT_MS) => {
        const answer = waitFor(child, reply, timeoutMs)
        child.send(message)
        return answer
      }
    })
  } finally {
    process.off("exit", onExit)
    await stop(child)
  }
}
