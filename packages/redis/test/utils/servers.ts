/**
 * Private Redis servers for the topology tests, on loopback ports of their own: a three-master Redis Cluster, and a
 * master watched by a Sentinel. Each is a scoped resource: processes and their directory go when the scope closes.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Cluster, Redis } from "ioredis"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** Whether `redis-server` can be started here. */
export const serverBinary = ((): string | undefined => {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" })
    return "redis-server"
  } catch {
    return undefined
  }
})()

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const ask = async (port: number, ...command: [string, ...Array<string>]): Promise<unknown> => {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null
  })
  client.on("error", () => {})
  try {
    await client.connect()
    return await client.call(...command)
  } finally {
    client.disconnect()
  }
}

/** A temporary directory and the server processes in it, removed and killed when the scope closes. */
const workspace = Effect.acquireRelease(
  Effect.sync(() => ({ dir: mkdtempSync(join(tmpdir(), "hookwire-redis-")), children: [] as Array<ChildProcess> })),
  ({ children, dir }) =>
    Effect.promise(async () => {
      await Promise.all(children.map((child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once("exit", () => resolve())
          child.kill("SIGKILL")
        })
      ))
      rmSync(dir, { recursive: true, force: true })
    })
)

const start = (space: { dir: string; children: Array<ChildProcess> }, args: ReadonlyArray<string>) => {
  const child = spawn(serverBinary!, [...args, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    cwd: space.dir,
    stdio: "ignore"
  })
  space.children.push(child)
  return child
}

/** A Redis Cluster of three masters (all 16,384 slots assigned), and a connected ioredis `Cluster`. */
export const cluster: Effect.Effect<Cluster, Error, Scope.Scope> = Effect.gen(function*() {
  const space = yield* workspace
  const ports = yield* Effect.promise(() => Promise.all([freePort(), freePort(), freePort()]))
  for (const port of ports) {
    start(space, ["--port", String(port), "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`])
  }
  yield* Effect.tryPromise({
    try: async () => {
      for (const port of ports) await until(`redis-server on ${port}`, async () => (await ask(port, "PING")) === "PONG")
      // Slots split three ways, then the nodes meet: what `redis-cli --cluster create` does.
      const ranges = [[0, 5460], [5461, 10922], [10923, 16383]]
      for (const [i, port] of ports.entries()) {
        await ask(port, "CLUSTER", "ADDSLOTSRANGE", String(ranges[i][0]), String(ranges[i][1]))
      }
      for (const port of ports.slice(1)) await ask(ports[0], "CLUSTER", "MEET", "127.0.0.1", String(port))
      for (const port of ports) {
        await until(
          `cluster_state:ok on ${port}`,
          async () => String(await ask(port, "CLUSTER", "INFO")).includes("cluster_state:ok")
        )
      }
    },
    catch: (cause) => new Error(`starting a Redis Cluster failed: ${String(cause)}`)
  })
  return yield* Effect.acquireRelease(
    Effect.sync(() => new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })))),
    (client) => Effect.sync(() => client.disconnect())
  )
})

/** A master and a Sentinel watching it as `mymaster`; returns the Sentinel's port. */
export const sentinel: Effect.Effect<
  { readonly sentinelPort: number; readonly masterPort: number },
  Error,
  Scope.Scope
> = Effect.gen(function*() {
  const space = yield* workspace
  const [masterPort, sentinelPort] = yield* Effect.promise(() => Promise.all([freePort(), freePort()]))
  start(space, ["--port", String(masterPort)])
  const config = join(space.dir, "sentinel.conf")
  writeFileSync(
    config,
    [
      `port ${sentinelPort}`,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds mymaster 5000`,
      ""
    ].join("\n")
  )
  yield* Effect.tryPromise({
    try: async () => {
      await until("the master", async () => (await ask(masterPort, "PING")) === "PONG")
      start(space, [config, "--sentinel"])
      await until(
        "the sentinel to know the master",
        async () => {
          const reply = await ask(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
          return Array.isArray(reply) && reply[1] === String(masterPort)
        }
      )
    },
    catch: (cause) => new Error(`starting Redis with a Sentinel failed: ${String(cause)}`)
  })
  return { sentinelPort, masterPort }
})
