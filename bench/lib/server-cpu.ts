/**
 * CPU time the database servers spent, read from `/proc` (the servers run on this machine): PostgreSQL's is the
 * postmaster's own time, its live children's (backends, WAL writer, checkpointer…) and its exited children's
 * (`cutime`/`cstime`, added when a backend that closed is reaped), so a run's connections are counted whether they are
 * still open or already closed; Redis's is `redis-server`'s (every thread). The delta over a run divided by its
 * messages is the server's CPU per message — of everyone's work: other tenants' queries on the same server land in
 * it too, which is why the benches report it beside the load average and not as a bar.
 *
 * A server that is not on this machine (its pid not in our `/proc`) is simply not measured.
 */
import { Redis } from "ioredis"
import { readFileSync } from "node:fs"
import { pgQuery, redisUrl } from "./stores.js"

/** Linux's USER_HZ: `/proc` times are in 1/100 s on every architecture Node runs on. */
const TICK_US = 10_000

/** utime, stime, cutime, cstime of `/proc/<pid>/stat` in ticks, or undefined when the process is gone. */
const times = (pid: number): [number, number, number, number] | undefined => {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  } catch {
    return undefined
  }
  // Fields after the command name (which may hold spaces), starting at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return [Number(fields[11]), Number(fields[12]), Number(fields[13]), Number(fields[14])]
}

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim()
  } catch {
    return ""
  }
}

/** A server's CPU counter: total µs it has spent so far. */
export interface ServerCpu {
  readonly server: "postgres" | "redis"
  readonly pid: number
  readonly sampleUs: () => number
}

const postgresCpu = (postmaster: number): ServerCpu => ({
  server: "postgres",
  pid: postmaster,
  sampleUs: () => {
    const own = times(postmaster)
    if (own === undefined) throw new Error(`the postmaster (pid ${postmaster}) is gone`)
    let ticks = own[0] + own[1] + own[2] + own[3]
    const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, "utf8").trim()
    for (const child of children === "" ? [] : children.split(" ")) {
      const t = times(Number(child))
      if (t !== undefined) ticks += t[0] + t[1]
    }
    return ticks * TICK_US
  }
})

/**
 * The local PostgreSQL's CPU counter (the postmaster's pid is the first line of `postmaster.pid` in its data
 * directory), or undefined if the server is elsewhere.
 */
export const postgresServer = async (): Promise<ServerCpu | undefined> => {
  const [row] = await pgQuery<{ data_directory: string }>("show data_directory")
  let postmaster: number
  try {
    postmaster = Number(readFileSync(`${row.data_directory}/postmaster.pid`, "utf8").split("\n")[0])
  } catch {
    return undefined
  }
  if (!Number.isInteger(postmaster) || !/^postgres/.test(comm(postmaster))) return undefined
  return postgresCpu(postmaster)
}

/** The local Redis's CPU counter (its pid from `INFO server`), or undefined if it is elsewhere. */
export const redisServer = async (): Promise<ServerCpu | undefined> => {
  const client = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 })
  let info: string
  try {
    await client.connect()
    info = await client.info("server")
  } finally {
    client.disconnect()
  }
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1])
  if (!Number.isInteger(pid) || !/^redis/.test(comm(pid))) return undefined
  return {
    server: "redis",
    pid,
    sampleUs: () => {
      const t = times(pid)
      if (t === undefined) throw new Error(`redis-server (pid ${pid}) is gone`)
      return (t[0] + t[1]) * TICK_US
    }
  }
}

/** The servers an adapter's runs use: PostgreSQL for `postgres` and `redis` (its storage), Redis for `redis`. */
export const serversFor = async (adapter: "memory" | "postgres" | "redis"): Promise<ReadonlyArray<ServerCpu>> =>
  (await Promise.all([
    adapter === "memory" ? undefined : postgresServer(),
    adapter === "redis" ? redisServer() : undefined
  ])).filter((s): s is ServerCpu => s !== undefined)
