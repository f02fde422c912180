/**
 * The API bench's callers, run as a separate process by `bench/api.ts` (never imported): a real client is not in the
 * server's process, so its work (undici, parsing 50-item pages) must not queue with the server on one event loop.
 * Started with `withChild` (lib/child.ts); it answers the parent's IPC commands:
 *
 * - `{ type: "drive", origin, requests, concurrency, route, targets }` — `requests` GETs over one undici `Pool`
 *   (`concurrency` keep-alive connections to `origin`, the API on loopback) from `concurrency` callers, each taking
 *   a random `{ path, token }` of `targets`; every answer is checked for `route` (`deliveries_page`: 200 and a full
 *   page of 50; `endpoint_stats`: 200 and most of a week of attempts). Answers `{ type: "driven", times, cpuUs,
 *   error }`: each request's latency in ms (request sent → whole body parsed), this process's CPU over the run, and
 *   the first failed check (the run stops at it).
 *
 * The process exits when its parent goes away.
 */
import { close, type Drive, drive } from "./api-callers.js"

process.on("message", (command: Drive) => {
  if (command.type !== "drive") return
  drive(command).then(
    (answer) => process.send?.(answer),
    (error) => process.send?.({ type: "driven", times: [], cpuUs: 0, error: String(error) })
  )
})

// The parent went away (finished, crashed or killed): never outlive it.
process.on("disconnect", () => {
  close().finally(() => process.exit(0))
})

process.send?.({ type: "ready" })
