/**
 * A private RabbitMQ node for the tests that stop a broker mid-run: never the shared one on 5672, which other users of
 * this machine rely on. Its own node name, AMQP and distribution ports on 127.0.0.1, Erlang cookie (a `HOME` of its
 * own), data, log and config files in a temporary directory, no plugins, no `/etc/rabbitmq` settings. `start` starts
 * it (again, on the same data: durable queues and their persistent messages survive) and resolves once it accepts AMQP
 * connections; `stop` sends its process group SIGTERM — RabbitMQ shuts down, closing its listener and every
 * connection, and the process exits — and resolves once it is gone and the port refuses; `kill` SIGKILLs its process
 * group (a crash: nothing is flushed or closed) and resolves the same way; `remove` SIGKILLs it if it still runs and
 * deletes the directory. Processes are signalled by their group's pid only.
 *
 * The scripts come from `HOOKWIRE_TEST_RABBITMQ_BIN` when it is set, else Debian's `/usr/lib/rabbitmq/bin` (its `/usr/sbin`
 * wrappers would switch to the rabbitmq user), else `rabbitmq-server` on PATH. Without them the tests that need a node
 * are skipped loudly, or fail under HOOKWIRE_REQUIRE_SERVICES=1.
 */
import { reachable, waitFor } from "@hookwire/testing/services"
import * as amqp from "amqplib"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import {
  accessSync,
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { promisify } from "node:util"
import { accepts, freePort } from "./ports.js"

const run = promisify(execFile)

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const hasScripts = (dir: string): boolean =>
  executable(join(dir, "rabbitmq-server")) && executable(join(dir, "rabbitmqctl"))

/** The directory holding `rabbitmq-server` and `rabbitmqctl`, or undefined when RabbitMQ is not installed. */
const findBin = (): string | undefined => {
  const given = process.env.HOOKWIRE_TEST_RABBITMQ_BIN
  if (given !== undefined && given !== "") return hasScripts(given) ? given : undefined
  const onPath = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "")
    .map((dir) => join(dir, "rabbitmq-server"))
    .filter(executable)
    .map((script) => dirname(realpathSync(script)))
  return ["/usr/lib/rabbitmq/bin", ...onPath].find(hasScripts)
}

const bin = findBin()

export const rabbitmqInstalled = await reachable({
  name: "RabbitMQ's rabbitmq-server",
  url: process.env.HOOKWIRE_TEST_RABBITMQ_BIN ?? "/usr/lib/rabbitmq/bin or PATH",
  probe: async () => {
    if (bin === undefined) throw new Error("not installed: no rabbitmq-server and rabbitmqctl there")
  },
  start: "apt-get install rabbitmq-server",
  env: "HOOKWIRE_TEST_RABBITMQ_BIN (the directory of rabbitmq-server and rabbitmqctl)",
  skipping: "the RabbitMQ restart test (it starts a private RabbitMQ node)"
})

export interface RabbitNode {
  /** The Erlang node name, e.g. `hookwire-test-4242-1a2b3c@localhost`. */
  readonly name: string
  /** Its AMQP port on 127.0.0.1. */
  readonly port: number
  /** `amqp://guest:guest@127.0.0.1:<port>`. */
  readonly url: string
  /** Starts the node on its data directory; resolves once it accepts AMQP connections (at most `timeoutMs`). */
  readonly start: (timeoutMs?: number) => Promise<void>
  /** Stops the node (SIGTERM to its process group); resolves once it has exited and its port refuses connections. */
  readonly stop: () => Promise<void>
  /** Kills the node (SIGKILL to its process group); resolves once it has exited and its port refuses connections. */
  readonly kill: () => Promise<void>
  /** `rabbitmqctl -n <name> ...args`: its standard output. */
  readonly ctl: (args: ReadonlyArray<string>) => Promise<string>
  /** Kills the node if it runs and deletes its directory. */
  readonly remove: () => Promise<void>
}

/** Two distinct free loopback ports. */
const freePorts = async (): Promise<[number, number]> => {
  for (let i = 0; i < 20; i++) {
    const [a, b] = [await freePort(), await freePort()]
    if (a !== b) return [a, b]
  }
  throw new Error("no two distinct free loopback ports")
}

/** Whether an AMQP connection to `url` opens (and closes it). */
const connects = async (url: string): Promise<boolean> => {
  try {
    const connection = await amqp.connect(url, { timeout: 2_000 })
    await connection.close()
    return true
  } catch {
    return false
  }
}

/** A private RabbitMQ node (not started yet): see the module comment. */
export const privateRabbit = async (): Promise<RabbitNode> => {
  if (bin === undefined) throw new Error("RabbitMQ is not installed (rabbitmq-server and rabbitmqctl not found)")
  const dir = mkdtempSync(join(tmpdir(), "hookwire-rabbit-"))
  const [port, distPort] = await freePorts()
  const name = `hookwire-test-${process.pid}-${randomBytes(3).toString("hex")}@localhost`
  const url = `amqp://guest:guest@127.0.0.1:${port}`
  writeFileSync(join(dir, ".erlang.cookie"), randomBytes(20).toString("hex").toUpperCase(), { mode: 0o600 })
  writeFileSync(join(dir, "enabled_plugins"), "")
  writeFileSync(join(dir, "rabbitmq-env.conf"), "")
  writeFileSync(
    join(dir, "rabbitmq.conf"),
    [
      "log.console = false",
      // A nearly full temporary disk must not block the test's publishers (the default limit is 50 MB).
      "disk_free_limit.absolute = 1MB",
      ""
    ].join("\n")
  )
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("RABBITMQ_") && key !== "NOTIFY_SOCKET" && key !== "ERL_FLAGS") env[key] = value
  }
  Object.assign(env, {
    // The CLI and the node read the cookie from $HOME/.erlang.cookie.
    HOME: dir,
    RABBITMQ_NODENAME: name,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, "advanced.config"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
    // Erlang distribution (the node's and rabbitmqctl's) and an epmd it may start listen on loopback only.
    ERL_EPMD_ADDRESS: "127.0.0.1",
    ERL_FLAGS: "-kernel inet_dist_use_interface {127,0,0,1}"
  })
  const output = join(dir, "server.out")
  let child: ChildProcess | undefined
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child?.pid !== undefined && running()) {
      try {
        process.kill(-child.pid, signal)
      } catch {
        // Already gone.
      }
    }
  }
  const killGroup = () => signalGroup("SIGKILL")
  // Should the test process end without afterAll (a crash), the node must not outlive it.
  process.once("exit", killGroup)

  const tail = () => {
    try {
      return readFileSync(output, "utf8").slice(-2_000)
    } catch {
      return ""
    }
  }

  const start = async (timeoutMs = 120_000) => {
    if (running()) throw new Error(`the RabbitMQ node ${name} is already running`)
    const fd = openSync(output, "a")
    try {
      // detached: the script and the Erlang VM it starts form a process group of their own, killed as one.
      child = spawn(join(bin, "rabbitmq-server"), [], { env, cwd: dir, detached: true, stdio: ["ignore", fd, fd] })
    } finally {
      closeSync(fd)
    }
    const started = child
    await waitFor(
      `the RabbitMQ node ${name} to accept AMQP on 127.0.0.1:${port}`,
      async () => {
        if (started.exitCode !== null || started.signalCode !== null) {
          throw new Error(`the RabbitMQ node ${name} exited while starting:\n${tail()}`)
        }
        return connects(url)
      },
      timeoutMs,
      200
    )
  }

  const down = async (signal: NodeJS.Signals) => {
    if (!running()) throw new Error(`the RabbitMQ node ${name} is not running`)
    signalGroup(signal)
    await waitFor(`the RabbitMQ node ${name} to exit after ${signal}`, () => !running(), 90_000)
    await waitFor(`127.0.0.1:${port} to refuse connections`, async () => !(await accepts(port)), 30_000)
  }

  const ctl = async (args: ReadonlyArray<string>) =>
    (await run(join(bin, "rabbitmqctl"), ["-n", name, ...args], { env, cwd: dir, timeout: 60_000 })).stdout

  const remove = async () => {
    process.removeListener("exit", killGroup)
    if (running()) {
      killGroup()
      await waitFor(`the RabbitMQ node ${name} to exit`, () => !running(), 30_000)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  return { name, port, url, start, stop: () => down("SIGTERM"), kill: () => down("SIGKILL"), ctl, remove }
}
