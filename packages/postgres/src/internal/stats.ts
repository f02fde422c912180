/**
 * `Storage.endpointStats` in one statement (and `endpointWithStats`: the same beside the endpoint's row): per window, counts of the endpoint's attempts (all, 2xx) and deliveries
 * (by status), and its latest attempt. Both scans go through the `(endpoint_id, id)` indexes from the oldest window's
 * lowest possible id (ids never sort before their record's time), so they read the week, not the whole history; those
 * indexes include every column counted here (migration 3_endpoint_log_indexes), so the scans are index-only.
 *
 * Deliveries are counted `group by status`, one count per window in each group (rather than one filtered count per
 * window and status: a third of the filters evaluated per index tuple). Beside the endpoint's row, the counting scans
 * need no tenant filter: they run only when the endpoint matched its tenant, and an endpoint's records are its
 * tenant's. PostgreSQL's CPU per call, on the bench's data (1,000 attempts and 500 deliveries an endpoint): 660 → 555
 * µs (bench/README.md, "#20 ninth session").
 *
 * @internal
 */
import * as Id from "@hookwire/core/Id"
import type { EndpointStatsRecord, TransportErrorKind } from "@hookwire/core/Model"
import type { Row } from "./rows.js"
import type { Tables } from "./tables.js"

/**
 * The three statistics columns (`attempts`: the counts in window order, `deliveries`: `[status, count per window…]`
 * per status present, `last`: JSON arrays as text), each one scan; `scope` selects the endpoint's records.
 */
const statsColumns = (t: Tables, windows: number, scope: string): string => {
  const attemptCounts: Array<string> = []
  const deliveryCounts: Array<string> = []
  for (let i = 0; i < windows; i++) {
    const since = `$${5 + i}::bigint`
    attemptCounts.push(`count(*) filter (where started_at >= ${since})`)
    attemptCounts.push(`count(*) filter (where started_at >= ${since} and response_status between 200 and 299)`)
    deliveryCounts.push(`, count(*) filter (where created_at >= ${since})`)
  }
  return [
    `  (select json_build_array(${attemptCounts.join(", ")}) from ${t.attempts} where ${scope} and id >= $3)::text`,
    `    as attempts,`,
    `  (select coalesce(json_agg(c), '[]') from (select json_build_array(status${deliveryCounts.join("")}) as c`,
    `    from ${t.deliveries} where ${scope} and id >= $4 group by status) as s)::text as deliveries,`,
    `  (select json_build_array(started_at, response_status, error_kind) from ${t.attempts} where ${scope}`,
    `    order by id desc limit 1)::text as last`
  ].join("\n")
}

/** @internal */
export const text = (t: Tables, windows: number): string =>
  `select\n${statsColumns(t, windows, "endpoint_id = $2 and tenant = $1")}`

/**
 * `Storage.endpointWithStats`: the endpoint's row (`columns`, unqualified) and its statistics, one row — none when
 * the tenant has no such endpoint (the counting scans then never run).
 *
 * @internal
 */
export const withEndpointText = (t: Tables, windows: number, columns: string): string =>
  `select ${columns},\n${
    statsColumns(t, windows, "endpoint_id = $2")
  }\nfrom ${t.endpoints} where id = $2 and tenant = $1`

/** @internal */
export const params = (tenant: string, endpointId: string, since: ReadonlyArray<number>): Array<unknown> => {
  const oldest = since.length === 0 ? Date.now() : Math.max(0, Math.min(...since))
  return [tenant, endpointId, Id.lowerBound("atm", oldest), Id.lowerBound("dlv", oldest), ...since]
}

/** @internal */
export const parse = (found: ReadonlyArray<Row>, since: ReadonlyArray<number>): EndpointStatsRecord => {
  const row = found[0]!
  const attempts = JSON.parse(row.attempts as string) as Array<number>
  const byStatus = new Map(
    (JSON.parse(row.deliveries as string) as Array<[string, ...Array<number>]>).map(([status, ...counts]) => [
      status,
      counts
    ])
  )
  // A status none of the scanned deliveries has is absent: 0 in every window.
  const deliveries = (status: string, window: number) => Number(byStatus.get(status)?.[window] ?? 0)
  const last = row.last === null ? null : (JSON.parse(row.last as string) as [number, number | null, string | null])
  return {
    windows: since.map((start, i) => ({
      since: start,
      attempts: { total: Number(attempts[2 * i]), succeeded: Number(attempts[2 * i + 1]) },
      deliveries: {
        pending: deliveries("pending", i),
        delivered: deliveries("delivered", i),
        failed: deliveries("failed", i),
        cancelled: deliveries("cancelled", i)
      }
    })),
    lastAttempt: last === null
      ? null
      : { startedAt: Number(last[0]), responseStatus: last[1], errorKind: last[2] as TransportErrorKind | null }
  }
}
