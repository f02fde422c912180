/**
 * How many attempts the dispatcher may run, and where each claimed delivery goes: the global slots (attempts in
 * flight, deliveries waiting here for their endpoint, and results not yet written), the per-endpoint in-flight caps
 * with their small waiting lines, and how long each endpoint's attempts typically take. Synchronous bookkeeping (no
 * I/O, no fibers): the claimer asks `admit`, an attempt that ends calls `finish`, the result writer calls
 * `freeResults`. Whenever global slots are freed, `onFreed` runs at once (the claimer fills them from the deliveries it
 * claimed ahead, synchronously, so no slot waits for a claim's round trip). The `idle` latch is open while no attempt
 * is in flight (shutdown waits on it).
 *
 * Results waiting for their write: up to `resultBuffer` of them (the dispatcher's `concurrency`) hold no slot, so an
 * attempt's slot is free as soon as its result is handed to the writer; beyond that, each unwritten result keeps its
 * attempt's slot until it is written. So what a crash can send twice (sent, result not written) is at most
 * `concurrency` attempts in flight plus `resultBuffer` unwritten results: `2 × concurrency` deliveries, and when
 * results cannot be written at all (storage down), the dispatcher stops claiming once that many wait.
 */
import * as Effect from "effect/Effect"
import * as wholeMs from "../wholeMs.js"

/** Where `admit` put a claimed delivery. */
export type Admission =
  /** A global slot is taken: start its attempt now (`start`). */
  | "launch"
  /** A global slot is taken and the delivery waits in its endpoint's line: `finish` hands it out. */
  | "wait"
  /** No slot taken: the endpoint is saturated and slow: back to the queue for a while. */
  | "later"
  /** No slot taken: the endpoint is fast but at its cap with a full line: it has room again soon. */
  | "full"

/**
 * How long the `k`-th delivery of one claim that overflowed its endpoint (0-based) goes back to the queue, before
 * jitter: about `1 + floor(k / perEndpoint)` of the endpoint's typical attempt durations (at least 100 ms each), at
 * most 5 minutes, in whole milliseconds: a saturated endpoint can only take `perEndpoint` deliveries per attempt
 * duration.
 */
export const overflowDelay = (typicalMs: number, k: number, perEndpoint: number): number =>
  // `typicalMs` is a moving average (fractional): the run time handed to the queue is whole milliseconds.
  wholeMs.ceil(Math.min(Math.max(100, typicalMs) * (1 + Math.floor(k / perEndpoint)), 300_000))

/** An endpoint whose attempts typically take this long or more gets no waiting line here. */
const slowMs = 1000

/** The dispatcher's capacity; `J` is what waits in an endpoint's line (a claimed job). */
export class Capacity<J> {
  /** Global slots taken by attempts in flight and deliveries waiting in an endpoint's line. */
  private taken = 0
  /** Results whose attempt ended and that the writer has not written yet. */
  unwritten = 0
  inFlight = 0
  waitingCount = 0
  /** Runs whenever global slots were freed (set by the claimer; synchronous, must not throw). */
  onFreed: () => void = () => {}
  private readonly endpointInFlight = new Map<string, number>()
  private readonly waiting = new Map<string, Array<J>>()
  /** Items whose attempt offered its result to the writer: when the attempt ends, its result counts as unwritten. */
  private readonly resultHeld = new Set<unknown>()
  // How long each endpoint's attempts take here (a moving average), from the start times of its attempts in flight:
  // a saturated slow or hung endpoint must not tie up more global slots (see `admit`).
  private readonly startTimes = new Map<string, Array<number>>()
  private readonly typicalMs = new Map<string, number>()

  constructor(
    readonly concurrency: number,
    readonly perEndpoint: number,
    readonly idle: Effect.Latch,
    /** Unwritten results that hold no slot, at most. */
    readonly resultBuffer: number = concurrency
  ) {}

  /** Global slots taken: in flight + waiting + the unwritten results beyond `resultBuffer`. */
  get occupied(): number {
    return this.taken + Math.max(0, this.unwritten - this.resultBuffer)
  }

  /** Free global slots (negative never: at most `concurrency` are taken). */
  get free(): number {
    return this.concurrency - this.occupied
  }

  get full(): boolean {
    return this.occupied >= this.concurrency
  }

  /** The endpoint's typical attempt duration here, in ms (0 before its first attempt ended). */
  typical(endpointId: string): number {
    return this.typicalMs.get(endpointId) ?? 0
  }

  /**
   * Takes a global slot for a claimed delivery of `endpointId` when its endpoint is below its in-flight cap
   * (`"launch"`), or when the endpoint is fast and its line has room (`"wait"`: `job` joins the line); otherwise takes
   * nothing (`"later"` for a slow endpoint, `"full"` for a fast one). The caller checked that a global slot is free.
   */
  admit(endpointId: string, job: J): Admission {
    const busy = this.endpointInFlight.get(endpointId) ?? 0
    if (busy < this.perEndpoint) {
      this.taken++
      return "launch"
    }
    // The endpoint is at its in-flight cap. A fast one frees a slot soon: its next deliveries wait in a short line
    // here. A slow or hung one must not tie up more of the global slots, nor be claimed again and again.
    if (this.typical(endpointId) >= slowMs) return "later"
    const line = this.waiting.get(endpointId) ?? []
    if (line.length >= this.perEndpoint) return "full"
    this.taken++
    this.waitingCount++
    line.push(job)
    this.waiting.set(endpointId, line)
    return "wait"
  }

  /** Counts an attempt of `endpointId` as in flight from `now` (its slot was taken by `admit`). */
  start(endpointId: string, now: number): void {
    if (this.inFlight++ === 0) this.idle.unsafeClose()
    const starts = this.startTimes.get(endpointId)
    if (starts === undefined) this.startTimes.set(endpointId, [now])
    else starts.push(now)
    this.endpointInFlight.set(endpointId, (this.endpointInFlight.get(endpointId) ?? 0) + 1)
  }

  /**
   * `item`'s attempt handed its result to the writer: when the attempt ends, the result counts as unwritten until the
   * writer has written it (`freeResults`), holding the attempt's slot only when `resultBuffer` results already wait.
   */
  holdForResult(item: unknown): void {
    this.resultHeld.add(item)
  }

  /**
   * An attempt of `item` to `endpointId` ended at `now`. The next delivery of that endpoint's line, if any, inherits
   * a slot and is handed to `launch` (which must `start` it); the attempt's own slot is freed, and its result, if it
   * handed one to the writer, counts as unwritten (keeping the slot when the buffer is full: the writer frees it
   * then). `onFreed` runs when a slot was freed.
   */
  finish(endpointId: string, item: unknown, now: number, launch: (next: J) => void): void {
    const held = this.resultHeld.delete(item)
    const before = this.occupied
    if (held) this.unwritten++
    this.observeDuration(endpointId, now)
    this.inFlight--
    const n = (this.endpointInFlight.get(endpointId) ?? 1) - 1
    if (n === 0) this.endpointInFlight.delete(endpointId)
    else this.endpointInFlight.set(endpointId, n)
    const line = this.waiting.get(endpointId)
    const next = line?.shift()
    if (line !== undefined && line.length === 0) this.waiting.delete(endpointId)
    if (next !== undefined) {
      // The waiting delivery already holds a slot (counted when it joined the line): the finished attempt's slot is
      // the one freed (or kept by its result).
      this.waitingCount--
      this.taken--
      launch(next)
    } else {
      if (this.inFlight === 0) this.idle.unsafeOpen()
      this.taken--
    }
    if (this.occupied < before) this.onFreed()
  }

  /** `count` results were written (or given up on): they are no longer unwritten, and the slots they held are free. */
  freeResults(count: number): void {
    this.unwritten -= count
    this.onFreed()
  }

  /** Removes the endpoint's waiting line (its deliveries were ended elsewhere) and frees its slots. */
  dropWaiting(endpointId: string): ReadonlyArray<J> | undefined {
    const line = this.waiting.get(endpointId)
    if (line === undefined) return undefined
    this.waiting.delete(endpointId)
    this.waitingCount -= line.length
    this.taken -= line.length
    this.onFreed()
    return line
  }

  /** Takes every waiting delivery (shutdown: they go back to the queue untouched). Their slots are not freed. */
  takeWaiting(): Array<J> {
    const all = [...this.waiting.values()].flat()
    this.waiting.clear()
    this.waitingCount = 0
    return all
  }

  private observeDuration(endpointId: string, now: number): void {
    // Attempts of one endpoint end roughly in the order they started: pair this end with the oldest start.
    const starts = this.startTimes.get(endpointId)
    const started = starts?.shift()
    if (starts !== undefined && starts.length === 0) this.startTimes.delete(endpointId)
    if (started === undefined) return
    const previous = this.typicalMs.get(endpointId)
    this.typicalMs.set(endpointId, previous === undefined ? now - started : previous * 0.8 + (now - started) * 0.2)
    if (this.typicalMs.size > 100_000) this.typicalMs.clear()
  }
}

/**
 * A capacity with its idle latch open (nothing taken, nothing in flight); `resultBuffer` unwritten results hold no
 * slot (default: `concurrency`).
 */
export const make = <J>(
  concurrency: number,
  perEndpoint: number,
  resultBuffer: number = concurrency
): Effect.Effect<Capacity<J>> =>
  Effect.map(Effect.makeLatch(true), (idle) => new Capacity<J>(concurrency, perEndpoint, idle, resultBuffer))
