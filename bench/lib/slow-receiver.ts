/**
 * Starts and stops the slow-endpoint bench's receivers (`slow-receiver-process.ts`: one slow, one healthy) in a
 * separate process, so their timers and sockets do not share the sender's event loop. Always kills the process.
 */
import { sibling, withChild } from "./child.js"

export interface SlowReceiverStats {
  /** Requests since the last reset: [slow, healthy]. */
  readonly counts: readonly [number, number]
  /** message id → when its request to the healthy server arrived (epoch ms, sub-millisecond). */
  readonly arrivals: ReadonlyMap<string, number>
}

export interface SlowReceiver {
  readonly slowUrl: string
  readonly healthyUrl: string
  readonly reset: () => Promise<void>
  readonly stats: () => Promise<SlowReceiverStats>
}

const SCRIPT = sibling(import.meta.url, "slow-receiver-process")

/** Runs `f` with the two receivers (the slow one answering after `delayMs`), and kills their process afterwards. */
export const withSlowReceiver = <A>(delayMs: number, f: (receiver: SlowReceiver) => Promise<A>): Promise<A> =>
  withChild(SCRIPT, [String(delayMs)], (child) => {
    const [slow, healthy] = child.ready.ports as [number, number]
    return f({
      slowUrl: `http://127.0.0.1:${slow}/webhooks`,
      healthyUrl: `http://127.0.0.1:${healthy}/webhooks`,
      reset: async () => {
        await child.command({ type: "reset" }, "reset")
      },
      stats: async () => {
        const answer = await child.command({ type: "stats" }, "stats")
        return {
          counts: answer.counts as [number, number],
          arrivals: new Map(answer.arrivals as Array<[string, number]>)
        }
      }
    })
  })
