/**
 * BullMQ as a contender: a `Worker` at `concurrency` on ioredis, under its own key prefix (fresh per run, obliterated
 * in `close`), with BullMQ's defaults otherwise (completed jobs are kept, as Hookwire keeps its attempt log). The
 * producer is `Queue.addBulk` in batches of `batch`; each job carries the message id and its body (built at enqueue
 * time, once, as Hookwire builds it at publish) and the processor signs and posts it through the shared `Poster`. The
 * window ends when the worker has reported the last job `completed` (it does once the job is moved to the completed
 * set in Redis).
 */
import * as Id from "@hookwire/core/Id"
import { Queue, Worker } from "bullmq"
import { type Contender, singleUrl, Tally } from "../contender.js"
import { dataMaker, envelope } from "../message.js"
import { makePoster } from "../post.js"
import { redisUrl, runTag } from "../stores.js"

const QUEUE = "deliver"

interface Payload {
  readonly id: string
  readonly body: string
}

const bullmq: Contender = async (config) => {
  const { batch, concurrency, messages, runTimeoutMs } = config
  const poster = makePoster(singleUrl(config, "bullmq"), config.secret, concurrency)
  const prefix = `bench:bullmq:${runTag()}`
  const connection = { url: redisUrl(), maxRetriesPerRequest: null }
  const queue = new Queue<Payload>(QUEUE, { connection, prefix })
  const tally = new Tally()
  const worker = new Worker<Payload>(
    QUEUE,
    async (job) => {
      if (!(await poster.post(job.data.id, job.data.body))) {
        tally.failed(`bullmq: ${job.data.id}`)
        throw new Error(`bullmq: ${job.data.id} did not get a 2xx`)
      }
    },
    { connection, prefix, concurrency }
  )
  worker.on("completed", () => tally.done())
  let error: unknown = undefined
  worker.on("error", (e) => (error ??= e))
  await worker.waitUntilReady()
  await queue.waitUntilReady()
  const makeData = dataMaker(config.bodyBytes)
  return {
    run: async () => {
      const start = performance.now()
      const completed = tally.until(messages, runTimeoutMs, "bullmq")
      completed.catch(() => {})
      for (let i = 0; i < messages; i += batch) {
        const now = Date.now()
        const jobs = []
        for (let j = i; j < Math.min(messages, i + batch); j++) {
          jobs.push({ name: QUEUE, data: { id: Id.make("msg", now), body: envelope(makeData(j), now) } })
        }
        await queue.addBulk(jobs)
      }
      await completed
      if (error !== undefined) throw new Error(`bullmq reported an error: ${String(error)}`)
      return { ms: performance.now() - start }
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
