/**
 * A private `nats-server` with JetStream for the tests that kill a broker mid-run: never the shared one on 4222. Its
 * own loopback port and JetStream store directory; `start` starts it (again, on the same store) and resolves once
 * JetStream answers; `kill` SIGKILLs it and resolves once its port refuses; `remove` kills it if it runs and deletes
 * the store. Without `nats-server` on PATH the tests that need one are skipped loudly, or fail under
 * HOOKWIRE_REQUIRE_SERVICES=1.
 */
import { reachable, waitFor } from "@hookwire/testing/services"
import { type ChildProcess, spawn } from "node:child_process"
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { jetStreamReady } from "./brokers.js"
import { accepts, freePort } from "./ports.js"

const installed = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "").some((dir) => {
  try {
    accessSync(join(dir, "nats-server"), constants.X_OK)
    return true
  } catch {
    return false
  }
})

export const natsServerInstalled = await reachable({
  name: "nats-server",
  url: "PATH",
  probe: async () => {
    if (!installed) throw new Error("not installed: no nats-server on PATH")
  },
  start: "apt-get install nats-server",
  env: "PATH",
  skipping: "the NATS restart test (it starts a private nats-server)"
})

export interface NatsNode {
  readonly port: number
  /** `127.0.0.1:<port>`, for `connect({ servers })`. */
  readonly servers: string
  /** Starts the server on its store; resolves once JetStream answers (at most `timeoutMs`). */
  readonly start: (timeoutMs?: number) => Promise<void>
  /** SIGKILLs the server; resolves once it is gone and its port refuses connections. */
  readonly kill: () => Promise<void>
  /** Kills the server if it runs and deletes its store. */
  readonly remove: () => Promise<void>
}

/** A private nats-server (not started yet): see the module comment. */
export const privateNats = async (): Promise<NatsNode> => {
  const port = await freePort()
  const store = mkdtempSync(join(tmpdir(), "hookwire-nats-"))
  const servers = `127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  const killIt = () => {
    if (running()) child?.kill("SIGKILL")
  }
  process.once("exit", killIt)

  const start = async (timeoutMs = 30_000) => {
    if (running()) throw new Error(`nats-server on ${port} is already running`)
    child = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], { stdio: "ignore" })
    const started = child
    await waitFor(`nats-server on ${port}`, async () => {
      if (started.exitCode !== null || started.signalCode !== null) throw new Error(`nats-server on ${port} exited`)
      return accepts(port)
    }, timeoutMs)
    await jetStreamReady(servers, timeoutMs)
  }

  const kill = async () => {
    if (!running()) throw new Error(`nats-server on ${port} is not running`)
    killIt()
    await waitFor(`nats-server on ${port} to exit`, () => !running(), 30_000)
    await waitFor(`127.0.0.1:${port} to refuse connections`, async () => !(await accepts(port)), 30_000)
  }

  const remove = async () => {
    process.removeListener("exit", killIt)
    if (running()) {
      killIt()
      await waitFor(`nats-server on ${port} to exit`, () => !running(), 30_000)
    }
    rmSync(store, { recursive: true, force: true })
  }

  return { port, servers, start, kill, remove }
}
