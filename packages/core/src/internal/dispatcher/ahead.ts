/**
 * The jobs the claimer claimed ahead of free slots (claimer.ts): classified, leased, holding no slot yet. `fill` hands
 * them to the capacity (`admit`) and a worker while global slots are free; it runs synchronously whenever slots are
 * freed (`Capacity.onFreed`), so a freed slot never waits for a claim's round trip. What `fill` cannot launch waits
 * for the claim loop, which does the I/O: jobs whose endpoint is saturated and slow (`overflowed`: back to the queue
 * for a while). A job whose fast endpoint is at its cap with a full line stays, behind the others (a later `fill`
 * retries it; each `fill` looks at every job at most once). And jobs that waited ahead too long (`stale`: released unsent — the attempt
 * must end within its lease, and an attempt's timeout is capped at half the lease).
 */
import type { Job } from "./attempts.js"
import type { Capacity } from "./capacity.js"

export class Ahead {
  private jobs: Array<Job> = []
  /** Index of the next job in `jobs`: taking one does not move the array. */
  private head = 0
  /** Jobs `admit` sent back ("later"): the claim loop reschedules them. */
  overflowed: Array<Job> = []
  /** Jobs claimed more than `maxAgeMs` ago when a slot came: the claim loop releases them. */
  stale: Array<Job> = []
  /** Set at shutdown: nothing more is launched (what waits is taken by `takeAll`). */
  stopped = false

  constructor(
    private readonly capacity: Capacity<Job>,
    private readonly launch: (job: Job) => void,
    private readonly maxAgeMs: number,
    private readonly now: () => number
  ) {}

  /** Jobs waiting ahead. */
  get size(): number {
    return this.jobs.length - this.head
  }

  /** Adds jobs (they keep their order), then fills free slots from the line. */
  push(jobs: ReadonlyArray<Job>): void {
    for (const job of jobs) this.jobs.push(job)
    this.fill()
  }

  /** Launches waiting jobs while global slots are free. */
  fill(): void {
    if (this.stopped || this.size === 0) return
    const { capacity } = this
    const now = this.now()
    let full: Array<Job> | undefined
    while (this.head < this.jobs.length && capacity.free > 0) {
      const job = this.jobs[this.head++]
      if (now - job.claimedAt > this.maxAgeMs) {
        this.stale.push(job)
        continue
      }
      const admission = capacity.admit(job.ctx.endpoint.id, job)
      if (admission === "launch") this.launch(job)
      else if (admission === "later") this.overflowed.push(job)
      else if (admission === "full") (full ??= []).push(job)
    }
    this.compact()
    if (full !== undefined) { for (const job of full) this.jobs.push(job) }
  }

  /** Takes every waiting job. */
  takeAll(): Array<Job> {
    const all = this.jobs.slice(this.head)
    this.jobs = []
    this.head = 0
    return all
  }

  /** Takes the waiting jobs of `endpointId`. */
  drop(endpointId: string): Array<Job> {
    const dropped: Array<Job> = []
    const kept: Array<Job> = []
    for (let i = this.head; i < this.jobs.length; i++) {
      const job = this.jobs[i]
      if (job.ctx.endpoint.id === endpointId) dropped.push(job)
      else kept.push(job)
    }
    this.jobs = kept
    this.head = 0
    return dropped
  }

  private compact(): void {
    if (this.head === this.jobs.length) {
      this.jobs = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.jobs.length) {
      this.jobs = this.jobs.slice(this.head)
      this.head = 0
    }
  }
}
