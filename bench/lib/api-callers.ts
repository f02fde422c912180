/**
 * The API bench's callers (`bench/api.ts`): `requests` GETs over one undici `Pool` (`concurrency` keep-alive
 * connections to the API on loopback) from `concurrency` callers, each taking a random `{ path, token }` of the
 * targets; every answer is checked for its route (`deliveries_page`: 200 and a full page of 50; `endpoint_stats`: 200
 * and most of a week of attempts; `session` and `endpoint`: 200 and their shape). Each request's latency is taken from the moment it is sent to the moment its whole
 * body is parsed. They run in their own process (`api-callers-process.ts`) unless `--in-process` asks otherwise.
 */
import { Pool } from "undici"

export interface Target {
  readonly path: string
  readonly token: string
}

/**
 * The bar's two routes, and two cheaper ones (`--routes`) that show what the HTTP and HttpApi stack costs without
 * storage (`session`) and with one key lookup (`endpoint`).
 */
export type Route = "deliveries_page" | "endpoint_stats" | "session" | "endpoint"

export interface Drive {
  readonly type: "drive"
  readonly origin: string
  readonly requests: number
  readonly concurrency: number
  readonly route: Route
  readonly targets: ReadonlyArray<Target>
}

const checks: Record<Drive["route"], (status: number, body: any) => string | undefined> = {
  deliveries_page: (status, body) =>
    status === 200 && body?.data?.length === 50 ? undefined : `deliveries page: ${status} ${preview(body)}`,
  // The oldest attempts leave the week as the run goes on: most of the endpoint's 1,000 are in it.
  endpoint_stats: (status, body) =>
    status === 200 && body?.windows?.week?.attempts?.total >= 900 ? undefined : `stats: ${status} ${preview(body)}`,
  session: (status, body) =>
    status === 200 && body?.scope === "read" ? undefined : `session: ${status} ${preview(body)}`,
  endpoint: (status, body) =>
    status === 200 && typeof body?.id === "string" ? undefined : `endpoint: ${status} ${preview(body)}`
}

const preview = (body: unknown) => JSON.stringify(body).slice(0, 200)

const pools = new Map<string, Pool>()

/** Closes the callers' connections. */
export const close = async (): Promise<void> => {
  for (const pool of pools.values()) await pool.close()
  pools.clear()
}

/** One run of the callers: the latencies, this process's CPU over the run, the first failed check (the run stops). */
export const drive = async ({ concurrency, origin, requests, route, targets }: Drive) => {
  let pool = pools.get(origin)
  if (pool === undefined) {
    pool = new Pool(origin, { connections: concurrency })
    pools.set(origin, pool)
  }
  const check = checks[route]
  const times: Array<number> = []
  let issued = 0
  let error: string | undefined
  const cpu = process.cpuUsage()
  const caller = async (p: Pool) => {
    while (issued < requests && error === undefined) {
      issued++
      const target = targets[Math.floor(Math.random() * targets.length)]
      const start = performance.now()
      const response = await p.request({
        method: "GET",
        path: target.path,
        headers: { authorization: `Bearer ${target.token}` }
      })
      const body = await response.body.json()
      times.push(performance.now() - start)
      error ??= check(response.statusCode, body)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => caller(pool)))
  const used = process.cpuUsage(cpu)
  return { type: "driven", times, cpuUs: used.user + used.system, error }
}
