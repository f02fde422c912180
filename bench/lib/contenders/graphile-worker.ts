/**
 * graphile-worker as a contender, tuned as its performance docs say: a runner with `concurrency` jobs at once, a
 * local queue of `concurrency + 1` jobs (fetched and locked in one round trip), completions batched as soon as
 * possible (`completeJobBatchDelay: 0`) and a pool of `concurrency + 2` connections, in its own schema (fresh per
 * run, dropped in `close`). The producer is `makeWorkerUtils().addJobs` (its own pool, as a web process's would be)
 * in batches of `batch`; each job carries the message id and its body (built at enqueue time, once, as Hookwire
 * builds it at publish) and the task signs and posts it through the shared `Poster`. Graphile deletes a job when its
 * completion is written, so the window ends when every task has run and the jobs table is empty.
 */
import { Logger, makeWorkerUtils, run, type Task } from "graphile-worker"
import { type Contender, pollUntil, singleUrl, Tally } from "../contender.js"
import { makePoster } from "../post.js"
import { databaseUrl, dropPgSchema, runTag } from "../stores.js"
import { type Payload, sendJob, timedPeerRun } from "./peer.js"

const TASK = "deliver"

// Its logger prints every job at debug level; errors still fail the run (see `failed`).
const quiet = new Logger(() => () => {})

const graphileWorker: Contender = async (config) => {
  const { concurrency } = config
  const poster = makePoster(singleUrl(config, "graphile-worker"), config.secret, concurrency)
  const schema = `bench_gw_${runTag()}`
  const connectionString = databaseUrl()
  const tally = new Tally()
  const deliver: Task = async (payload) => {
    await sendJob("graphile-worker", poster, tally, payload as Payload)
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
  const remaining = () =>
    utils.withPgClient(async (client) => {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from "${schema}"._private_jobs`)
      return rows[0].n
    })
  return {
    run: () =>
      timedPeerRun(
        "graphile-worker",
        config,
        tally,
        (payloads) => utils.addJobs(payloads.map((payload) => ({ identifier: TASK, payload }))),
        () => pollUntil(async () => (await remaining()) === 0, config.runTimeoutMs, 2, "graphile-worker: completing")
      ),
    close: async () => {
      await runner.stop()
      await utils.release()
      await dropPgSchema(schema)
      await poster.close()
    }
  }
}

export default graphileWorker
