/**
 * What the peer queues' contenders (BullMQ, graphile-worker, pg-boss) share: the job they carry — the message id and
 * its body, built at enqueue time (once, as Hookwire builds the body at publish) — and the timed run: enqueue every
 * message in batches of `batch` with the queue's own bulk call, wait until the handlers have sent every job
 * (`Tally`), then until the queue has recorded every completion (`completed`, where the queue writes it after the
 * handler returns).
 */
import * as Id from "@hookwire/core/Id"
import type { Outcome, RunConfig, Tally } from "../contender.js"
import { dataMaker, envelope } from "../message.js"
import type { Poster } from "../post.js"

/** A peer's job. */
export interface Payload {
  readonly id: string
  readonly body: string
}

/** One timed run of a peer: see the module's comment. */
export const timedPeerRun = async (
  who: string,
  config: RunConfig,
  tally: Tally,
  enqueue: (payloads: Array<Payload>) => Promise<unknown>,
  completed: () => Promise<void> = async () => {}
): Promise<Outcome> => {
  const { batch, messages, runTimeoutMs } = config
  const makeData = dataMaker(config.bodyBytes)
  const start = performance.now()
  const handled = tally.until(messages, runTimeoutMs, who)
  handled.catch(() => {})
  for (let i = 0; i < messages; i += batch) {
    const now = Date.now()
    const payloads: Array<Payload> = []
    for (let j = i; j < Math.min(messages, i + batch); j++) {
      payloads.push({ id: Id.make("msg", now), body: envelope(makeData(j), now) })
    }
    await enqueue(payloads)
  }
  await handled
  await completed()
  return { ms: performance.now() - start }
}

/** Sends one job through the shared poster; a non-2xx fails the run, and the job (so the queue never counts it done). */
export const sendJob = async (who: string, poster: Poster, tally: Tally, { body, id }: Payload): Promise<void> => {
  if (!(await poster.post(id, body))) {
    tally.failed(`${who}: ${id}`)
    throw new Error(`${who}: ${id} did not get a 2xx`)
  }
}
