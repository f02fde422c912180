/**
 * graphile-worker as a contender, tuned as its performance docs say: a runner with `concurrency` jobs at once, a
 * local queue of `concurrency + 1` jobs (fetched and locked in one round trip), completions batched as soon as
 * possible (`completeJobBatchDelay: 0`) and a pool of `concurrency + 2` connections, in its own schema (fresh per
 * run, dropped in `close`). The producer is `makeWorkerUtils().addJobs` (its own pool, as a web process's would be)
 * in batches of `batch`; each job carries the message id and its body (built at enqueue time, once, as Hookwire
 * builds it at publish) and the task signs and posts it through the shared `Poster`. Graphile deletes a job when its
 * completion is written, so the window ends when every task has run and the jobs table is empty.
 */
import * as Id from "@hookwire/core/Id"
import { Logger, makeWorkerUtils, run, type Task } from "graphile-worker"
import { type Contender, pollUntil, singleUrl, Tally } from "../contender.js"
import { dataMaker, envelope } from "../message.js"
import { makePoster } from "../post.js"
import { databaseUrl, dropPgSchema, runTag } from "../stores.js"

const TASK = "deliver"

interface Payload {
  readonly id: string
  readonly body: string
}

// Its logger prints every job at debug level; errors still fail the run (see `failed`).
const quiet = new Logger(() => () => {})

const graphileWorker: Contender = async (config) => {
  const { batch, concurrency, messages, runTimeoutMs } = config
  const poster = makePoster(singleUrl(config, "graphile-worker"), config.secret, concurrency)
  const schema = `bench_gw_${runTag()}`
  const connectionString = databaseUrl()
  const tally = new Tally()
  const deliver: Task = async (payload) => {
    const { body, id } = payload as Payload
    if (!(await poster.post(id, body))) {
      tally.failed(`graphile-worker: ${id}`)
      throw new Error(`graphile-worker: ${id} did not get a 2xx`)
    }
    tally.done()
  }
  const runner = await run({
    connectionString,
    schema,
    concurrency,
    maxPoolSize: concurrency + 2,
    noHandleSignals: true,
    logger: quiet,
    taskList: { [TASK]: deliver },
    preset: { worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0 } }
  })
  const utils = await makeWorkerUtils({ connectionString, schema, logger: quiet })
  const makeData = dataMaker(config.bodyBytes)
  const remaining = () =>
    utils.withPgClient(async (client) => {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from "${schema}"._private_jobs`)
      return rows[0].n
    })
  return {
    run: async () => {
      const start = performance.now()
      const handled = tally.until(messages, runTimeoutMs, "graphile-worker")
      handled.catch(() => {})
      for (let i = 0; i < messages; i += batch) {
        const now = Date.now()
        const jobs = []
        for (let j = i; j < Math.min(messages, i + batch); j++) {
          const payload: Payload = { id: Id.make("msg", now), body: envelope(makeData(j), now) }
          jobs.push({ identifier: TASK, payload })
        }
        await utils.addJobs(jobs)
      }
      await handled
      await pollUntil(async () => (await remaining()) === 0, runTimeoutMs, 2, "graphile-worker: completing every job")
      return { ms: performance.now() - start }
    },
    close: async () => {
      await runner.stop()
      await utils.release()
      await dropPgSchema(schema)
      await poster.close()
    }
  }
}

export default graphileWorker
