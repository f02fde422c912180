/**
 * Starts and stops the benches' receiver (`receiver-process.ts`) in a separate process, so the receiver's work
 * does not share the sender's event loop. `withReceiver` always kills the process, whatever happens; should the bench
 * process itself die, the receiver sees its IPC channel close and exits.
 */
import { sibling, withChild } from "./child.js"

const SCRIPT = sibling(import.meta.url, "receiver-process")

/** What the receiver counted since the last `reset`. */
export interface ReceiverStats {
  readonly requests: number
  /** Signatures checked (every request's, once a secret is configured) and how many of them did not verify. */
  readonly checked: number
  readonly badSignatures: number
  /** `webhook-id` → arrival time (epoch ms, sub-millisecond), when recording. */
  readonly arrivals: ReadonlyMap<string, number>
}

export interface Receiver {
  /** `http://127.0.0.1:<port>/webhooks` */
  readonly url: string
  readonly pid: number
  /** The secret to verify every signature with (null: none); whether to record arrival times. */
  readonly configure: (options: { readonly secret: string | null; readonly record: boolean }) => Promise<void>
  readonly reset: () => Promise<void>
  readonly stats: () => Promise<ReceiverStats>
  /**
   * How far the receiver's clock (`performance.timeOrigin + performance.now()`) is ahead of this process's, in ms:
   * the median over `pings` IPC round trips of `theirs - (sent + received) / 2`, with the median round trip.
   */
  readonly clockOffset: (pings?: number) => Promise<{ readonly offsetMs: number; readonly roundTripMs: number }>
}

/** Runs `f` with a receiver process, and kills the process afterwards (also when `f` throws). */
export const withReceiver = <A>(f: (receiver: Receiver) => Promise<A>): Promise<A> =>
  withChild(SCRIPT, [], async ({ command, pid, ready }) => {
    const receiver: Receiver = {
      url: `http://127.0.0.1:${ready.port as number}/webhooks`,
      pid,
      configure: async ({ record, secret }) => {
        await command({ type: "configure", secret, record }, "configured")
      },
      reset: async () => {
        await command({ type: "reset" }, "reset")
      },
      stats: async () => {
        const answer = await command({ type: "stats" }, "stats")
        return {
          requests: answer.requests as number,
          checked: answer.checked as number,
          badSignatures: answer.badSignatures as number,
          arrivals: new Map(answer.arrivals as Array<[string, number]>)
        }
      },
      clockOffset: async (pings = 21) => {
        const offsets: Array<number> = []
        const trips: Array<number> = []
        for (let i = 0; i < pings; i++) {
          const sent = performance.timeOrigin + performance.now()
          const answer = await command({ type: "now" }, "now")
          const received = performance.timeOrigin + performance.now()
          offsets.push((answer.now as number) - (sent + received) / 2)
          trips.push(received - sent)
        }
        const mid = (values: Array<number>) => values.sort((a, b) => a - b)[values.length >> 1]
        return { offsetMs: mid(offsets), roundTripMs: mid(trips) }
      }
    }
    return f(receiver)
  })
