/**
 * The fibers attempts run on. Attempts run on long-lived worker fibers fed by `submit`, rather than a fiber each:
 * forking a fiber costs more than everything else an attempt does in Effect. Workers are started as attempts need
 * them (the caller says how many it wants: one per attempt in flight at most, so never more than `concurrency`), and
 * a job waits only for a worker's next turn. Jobs no worker has taken yet and the workers waiting for one are plain
 * arrays and a resume callback (at most one of the two is non-empty): an Effect `Queue` costs several times more per
 * hand-over. The pool owns its fibers: `stop` interrupts them (each attempt's own finalizer then gives its delivery
 * back), and the scope the pool was made in interrupts them too.
 */
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"

export interface WorkerPool<J> {
  /** Hands `job` to a waiting worker, or queues it and starts a worker when fewer than `wanted` run. */
  readonly submit: (job: J, wanted: number) => void
  /** Stops every worker; jobs submitted from then on wait for `takeUnstarted`. */
  readonly stop: Effect.Effect<void>
  /** Takes the jobs no worker started. */
  readonly takeUnstarted: () => Array<J>
}

const workerFailed = (cause: Cause.Cause<unknown>) =>
  Effect.logError("Dispatcher: an attempt failed unexpectedly", cause)

/** A pool running `run` for each submitted job, in the current scope. */
export const make = <J>(run: (job: J) => Effect.Effect<void>): Effect.Effect<WorkerPool<J>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const workers = yield* FiberSet.make<never, never>()
    const spawn = yield* FiberSet.runtime(workers)<never>()
    let workerCount = 0
    const pending: Array<J> = []
    const waitingWorkers: Array<(job: Effect.Effect<J>) => void> = []
    let stopped = false
    // A worker with no job waits here for `submit` to hand it one.
    const nextJob: Effect.Effect<J> = Effect.async<J>((resume) => {
      waitingWorkers.push(resume)
    })

    // A plain loop, not `Effect.forever`, which yields to the scheduler after every job. `run` handles every cause but
    // interruption; should something still escape it (a defect in a finalizer), the worker logs it and goes on, so
    // the pool never shrinks. A job already waiting starts in the worker's next step.
    const worker = (): Effect.Effect<never> =>
      Effect.flatMap(
        Effect.catchAllCause(
          Effect.suspend(() => pending.length > 0 ? run(pending.shift()!) : Effect.flatMap(nextJob, run)),
          workerFailed
        ),
        worker
      )

    return {
      submit: (job, wanted) => {
        const waiter = stopped ? undefined : waitingWorkers.pop()
        if (waiter !== undefined) return waiter(Effect.succeed(job))
        pending.push(job)
        if (!stopped && workerCount < wanted) {
          workerCount++
          spawn(worker(), { immediate: false })
        }
      },
      stop: Effect.suspend(() => {
        stopped = true
        return FiberSet.clear(workers)
      }),
      takeUnstarted: () => pending.splice(0, pending.length)
    } satisfies WorkerPool<J>
  })
