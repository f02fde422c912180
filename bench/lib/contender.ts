/**
 * What a contender of the throughput benches is: something that delivers `messages` signed webhooks to the receiver
 * and says when the last one is recorded delivered. Each contender runs in its own process (`sender-process.ts`), so
 * its peak RSS, CPU and allocations are its own; the bench asks it to `prepare` a fresh store (untimed: a schema, a
 * migration, a worker), then to `run` (timed), then to `close` (untimed: stop, drop the store).
 *
 * A contender module (`contenders/<name>.ts`) default-exports a `Contender`. The names are in `CONTENDERS`; the
 * sender process imports only the module it runs, so a BullMQ process never loads Effect.
 */

/** The contenders by name, and the store each one needs (what `vs_best_peer` compares like with like on). */
export const CONTENDERS = {
  raw: "none",
  "hookwire-memory": "memory",
  "hookwire-postgres": "postgres",
  "hookwire-redis": "redis",
  "graphile-worker": "postgres",
  "pg-boss": "postgres",
  bullmq: "redis"
} as const

export type ContenderName = keyof typeof CONTENDERS

/** Everything a contender is told (plain JSON: it crosses the IPC channel). */
export interface RunConfig {
  /**
   * The receivers' URLs. The throughput benches give one (one origin, one endpoint); the fleet bench gives many, and
   * Hookwire then has one tenant per URL, each with one endpoint, and publishes message `i` to tenant `i % urls`.
   */
  readonly urls: ReadonlyArray<string>
  /** The endpoints' Standard Webhooks secret (`whsec_…`). */
  readonly secret: string
  readonly messages: number
  /** Requests in flight at once (the dispatcher's or the worker's concurrency, the raw loop's connections). */
  readonly concurrency: number
  /** Hookwire's per-endpoint in-flight cap (the throughput benches: `concurrency`; fleet: the engine's default). */
  readonly perEndpointConcurrency: number | undefined
  readonly bodyBytes: number
  /** Messages per `publishMany` / `addJobs` / `addBulk` / `insert` call (1: Hookwire publishes one at a time). */
  readonly batch: number
  /** Hookwire's Effect API: how many `publishMany` calls run at once (a host publishing from several requests). */
  readonly publishers: number
  /** Hookwire only: the Effect API or `createHookwire` with `concurrency` callers of `publish`. */
  readonly api: "effect" | "promise"
  /** Longest the timed part may take. */
  readonly runTimeoutMs: number
}

/** What a timed run says. */
export interface Outcome {
  /** The window, ms: from the first publish / enqueue to the moment the store has recorded the last delivery done. */
  readonly ms: number
  /** Engine figures over the window (Hookwire: the dispatcher's mean in-flight attempts, occupied slots, …). */
  readonly engine?: Readonly<Record<string, number>>
}

/** A contender ready to run: a fresh store, an engine or worker started, nothing sent yet. */
export interface Prepared {
  /** Sends every message; rejects when a request did not get a 2xx or the run took too long. */
  readonly run: () => Promise<Outcome>
  /** Stops the engine or worker and drops the store. */
  readonly close: () => Promise<void>
}

export type Contender = (config: RunConfig) => Promise<Prepared>

/** Rejects after `ms` with `message`, unless `promise` settles first (the timer never keeps the process alive). */
export const withDeadline = <A>(promise: Promise<A>, ms: number, message: string): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
    timer.unref()
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** Polls `done` every `everyMs` until it holds, or rejects after `ms`. */
export const pollUntil = async (
  done: () => Promise<boolean>,
  ms: number,
  everyMs: number,
  what: string
): Promise<void> => {
  const deadline = performance.now() + ms
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`${what}: not done within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** The one receiver URL of the single-endpoint contenders (the raw loop, the peers). */
export const singleUrl = (config: RunConfig, who: string): string => {
  if (config.urls.length !== 1) throw new Error(`${who} sends to one receiver URL, got ${config.urls.length}`)
  return config.urls[0]
}

/**
 * Counts a peer's handled jobs: `done()` per job sent and answered 2xx, `failed()` per job that was not; `until`
 * resolves when `target` jobs are done and rejects at the first failure or after `ms`.
 */
export class Tally {
  private count = 0
  private target = Infinity
  private settle: ((error?: Error) => void) | undefined

  done(): void {
    if (++this.count >= this.target) this.settle?.()
  }

  failed(what: string): void {
    this.settle?.(new Error(`${what} did not get a 2xx`))
  }

  until(target: number, ms: number, who: string): Promise<void> {
    this.count = 0
    this.target = target
    return withDeadline(
      new Promise<void>((resolve, reject) => {
        this.settle = (error) => {
          this.settle = undefined
          if (error === undefined) resolve()
          else reject(error)
        }
      }),
      ms,
      `${who}: fewer than ${target} jobs were handled within ${ms} ms`
    )
  }
}
