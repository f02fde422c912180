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
import PgBoss from "pg-boss"
import { type Contender, pollUntil, singleUrl, Tally } from "../contender.js"
import { makePoster } from "../post.js"
import { databaseUrl, dropPgSchema, runTag } from "../stores.js"
import { type Payload, sendJob, timedPeerRun } from "./peer.js"

const QUEUE = "deliver"
const BATCH_SIZE = 16

const pgBoss: Contender = async (config) => {
  const { concurrency } = config
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
          await sendJob("pg-boss", poster, tally, data)
          tally.done()
        }))
      }
    )
  }
  return {
    run: async () => {
      const outcome = await timedPeerRun(
        "pg-boss",
        config,
        tally,
        (payloads) => boss.insert(payloads.map((data) => ({ name: QUEUE, data }))),
        () =>
          pollUntil(
            async () => (await boss.getQueueSize(QUEUE, { before: "completed" })) === 0,
            config.runTimeoutMs,
            2,
            "pg-boss: completing every job"
          )
      )
      if (error !== undefined) throw new Error(`pg-boss reported an error: ${String(error)}`)
      return outcome
    },
    close: async () => {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 })
      await dropPgSchema(schema)
      await poster.close()
    }
  }
}

export default pgBoss
