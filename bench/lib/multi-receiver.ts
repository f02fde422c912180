/**
 * Starts and stops a receiver with one origin per endpoint (`multi-receiver-process.ts`) in a separate process, so
 * the receivers' work does not share the sender's event loop. `withMultiReceiver` always kills the process.
 */
import { sibling, withChild } from "./child.js"

export interface MultiReceiverStats {
  /** Requests per server since the last reset. */
  readonly counts: ReadonlyArray<number>
  /** Arrival times (epoch ms, sub-millisecond) of the recorded servers' requests, by server index. */
  readonly arrivals: ReadonlyMap<number, ReadonlyArray<number>>
  /** The mean answer delay drawn since the last reset (0 without `delayMs`). */
  readonly meanDelayMs: number
  /** The most connections open at once since the last reset, over all servers. */
  readonly peakConnections: number
}

export interface MultiReceiver {
  /** `http://127.0.0.1:<port>/webhooks`, one per server. */
  readonly urls: ReadonlyArray<string>
  readonly pid: number
  /**
   * Which servers record each request's arrival time (the others only count); `delayMs: [min, max]` makes every
   * answer wait a uniform random time in that range.
   */
  readonly configure: (options: {
    readonly record: ReadonlyArray<number>
    readonly delayMs?: readonly [number, number]
  }) => Promise<void>
  readonly reset: () => Promise<void>
  readonly stats: () => Promise<MultiReceiverStats>
}

const SCRIPT = sibling(import.meta.url, "multi-receiver-process")

/** Runs `f` with a receiver process serving `servers` origins, and kills it afterwards (also when `f` throws). */
export const withMultiReceiver = <A>(servers: number, f: (receiver: MultiReceiver) => Promise<A>): Promise<A> =>
  withChild(SCRIPT, [String(servers)], (child) =>
    f({
      urls: (child.ready.ports as Array<number>).map((port) => `http://127.0.0.1:${port}/webhooks`),
      pid: child.pid,
      configure: async ({ delayMs, record }) => {
        await child.command({ type: "configure", record, delayMs }, "configured")
      },
      reset: async () => {
        await child.command({ type: "reset" }, "reset")
      },
      stats: async () => {
        const answer = await child.command({ type: "stats" }, "stats")
        return {
          counts: answer.counts as Array<number>,
          arrivals: new Map(answer.arrivals as Array<[number, Array<number>]>),
          meanDelayMs: answer.meanDelayMs as number,
          peakConnections: answer.peakConnections as number
        }
      }
    }))
