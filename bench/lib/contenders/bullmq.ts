/**
 * BullMQ as a contender: a `Worker` at `concurrency` on ioredis, under its own key prefix (fresh per run, obliterated
 * in `close`), with BullMQ's defaults otherwise (completed jobs are kept, as Hookwire keeps its attempt log). The
 * producer is `Queue.addBulk` in batches of `batch`; each job carries the message id and its body (built at enqueue
 * time, once, as Hookwire builds it at publish) and the processor signs and posts it through the shared `Poster`. The
 * window ends when the worker has reported the last job `completed` (it does once the job is moved to the completed
 * set in Redis).
 */
import { Queue, Worker } from "bullmq"
import { type Contender, singleUrl, Tally } from "../contender.js"
import { makePoster } from "../post.js"
import { redisUrl, runTag } from "../stores.js"
import { type Payload, sendJob, timedPeerRun } from "./peer.js"

const QUEUE = "deliver"

const bullmq: Contender = async (config) => {
  const { concurrency } = config
  const poster = makePoster(singleUrl(config, "bullmq"), config.secret, concurrency)
  const prefix = `bench:bullmq:${runTag()}`
  const connection = { url: redisUrl(), maxRetriesPerRequest: null }
  const queue = new Queue<Payload>(QUEUE, { connection, prefix })
  const tally = new Tally()
  const worker = new Worker<Payload>(
    QUEUE,
    (job) => sendJob("bullmq", poster, tally, job.data),
    { connection, prefix, concurrency }
  )
  worker.on("completed", () => tally.done())
  let error: unknown = undefined
  worker.on("error", (e) => (error ??= e))
  await worker.waitUntilReady()
  await queue.waitUntilReady()
  return {
    run: async () => {
      const outcome = await timedPeerRun(
        "bullmq",
        config,
        tally,
        (payloads) => queue.addBulk(payloads.map((data) => ({ name: QUEUE, data })))
      )
      if (error !== undefined) throw new Error(`bullmq reported an error: ${String(error)}`)
      return outcome
    },
    close: async () => {
      await worker.close()
      await queue.obliterate({ force: true })
      await queue.close()
      await poster.close()
    }
  }
}

export default bullmq
