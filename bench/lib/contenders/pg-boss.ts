/**
 * pg-boss as a contender: `concurrency / 16` workers, each fetching batches of 16 jobs and sending a batch's jobs at
 * once (so `concurrency` requests in flight), and asking for the next batch at once when a batch was full
 * (`notifyWorker`; otherwise a worker waits its polling interval, half a second at least). Its own schema, fresh per
 * run and dropped in `close`; no maintenance or cron timers (`supervise` / `schedule` off: nothing they do would
 * happen within a run). The producer is `insert` in batches of `batch`; each job carries the message id and its body
 * (built at enqueue time, once, as Hookwire builds it at publish) and the handler signs and posts it through the shared
 * `Poster`. pg-boss writes a batch's completion after its handler returns, without waiting: the window ends when every
 * job was sent and none is left before `completed`.
 */
import * as Id from "@hookwire/core/Id"
import PgBoss from "pg-boss"
import { type Contender, pollUntil, singleUrl, Tally } from "../contender.js"
import { dataMaker, envelope } from "../message.js"
import { makePoster } from "../post.js"
import { databaseUrl, dropPgSchema, runTag } from "../stores.js"

const QUEUE = "deliver"
const BATCH_SIZE = 16

interface Payload {
  readonly id: string
  readonly body: string
}

const pgBoss: Contender = async (config) => {
  const { batch, concurrency, messages, runTimeoutMs } = config
  const poster = makePoster(singleUrl(config, "pg-boss"), config.secret, concurrency)
  const schema = `bench_boss_${runTag()}`
  const boss = new PgBoss({ connectionString: databaseUrl(), schema, supervise: false, schedule: false })
  let error: unknown = undefined
  boss.on("error", (e) => (error ??= e))
  await boss.start()
  await boss.createQueue(QUEUE)
  const tally = new Tally()
  const workers = Math.max(1, Math.round(concurrency / BATCH_SIZE))
  for (let w = 0; w < workers; w++) {
    let id: string | undefined = undefined
    id = await boss.work<Payload>(
      QUEUE,
      { batchSize: BATCH_SIZE, pollingIntervalSeconds: 0.5 },
      async (jobs) => {
        // A full batch: more are likely waiting, so fetch again as soon as this one is done.
        if (jobs.length === BATCH_SIZE && id !== undefined) boss.notifyWorker(id)
        await Promise.all(jobs.map(async ({ data }) => {
          if (!(await poster.post(data.id, data.body))) {
            tally.failed(`pg-boss: ${data.id}`)
            throw new Error(`pg-boss: ${data.id} did not get a 2xx`)
          }
          tally.done()
        }))
      }
    )
  }
  const makeData = dataMaker(config.bodyBytes)
  return {
    run: async () => {
      const start = performance.now()
      const handled = tally.until(messages, runTimeoutMs, "pg-boss")
      handled.catch(() => {})
      for (let i = 0; i < messages; i += batch) {
        const now = Date.now()
        const jobs: Array<PgBoss.JobInsert<Payload>> = []
        for (let j = i; j < Math.min(messages, i + batch); j++) {
          jobs.push({ name: QUEUE, data: { id: Id.make("msg", now), body: envelope(makeData(j), now) } })
        }
        await boss.insert(jobs)
      }
      await handled
      await pollUntil(
        async () => (await boss.getQueueSize(QUEUE, { before: "completed" })) === 0,
        runTimeoutMs,
        2,
        "pg-boss: completing every job"
      )
      if (error !== undefined) throw new Error(`pg-boss reported an error: ${String(error)}`)
      return { ms: performance.now() - start }
    },
    close: async () => {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 })
      await dropPgSchema(schema)
      await poster.close()
    }
  }
}

export default pgBoss
