/**
 * Makes attempt results durable: results are queued (a plain array: a hand-over is a push) and written in batches
 * (`recordAttempts` and the queue's `complete` / `reschedule`, or `recordAndSettle` in one round trip when the store
 * holds the queue too), then their operational events, then FIFO wake-ups (a finished delivery of an in-order endpoint
 * lets its next one go). The first `concurrency` unwritten results hold no slot (an attempt's slot is free once its
 * result is here); beyond them each holds its attempt's global slot until it is written (see `capacity.ts`), so when
 * results cannot be written (storage down) no more work is claimed, and at most `2 × concurrency` of them ever wait
 * here. Up to `WRITERS` batches are written at once (a database adapter's pool has several connections, and a batch's
 * commit waits for the WAL flush); a result is in one batch only, and a delivery has at most one unwritten result (its
 * next attempt needs its lease back). Where the store, the queue and the events offer their writes as plain calls too
 * (`SyncableWrite`: memory), a batch is written when it is taken, as plain calls; otherwise each batch is written on a
 * fiber of its own, started at once. The writer owns its fibers: `drain` (at shutdown) writes what is queued within a
 * grace period and stops them.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import type { ClaimedItem, DeliveryQueue } from "../../DeliveryQueue.js"
import type * as Model from "../../Model.js"
import type { OperationalEvent, OperationalEvents } from "../../OperationalEvents.js"
import type { AttemptResult, Storage } from "../../Storage.js"
import * as supervise from "./supervise.js"

export interface Result {
  readonly item: ClaimedItem
  readonly attempt: Model.AttemptRecord
  readonly delivery: Model.DeliveryRecord
  /** Queue action: `undefined` = complete, a number = reschedule at that time. */
  readonly runAt: number | undefined
  readonly event: OperationalEvent | undefined
  /** Already written by the attempt itself (410 Gone writes its result before cancelling the rest). */
  readonly recorded: boolean
  /** The endpoint delivers in order: a final result wakes its next delivery. */
  readonly fifo: boolean
}

export interface ResultWriter {
  /**
   * Queues a result (at once: the effect is `Effect.void`). At most `2 × concurrency` are ever unwritten (capacity.ts).
   * The caller counts the result as unwritten first (`freeSlots` says once it is written).
   */
  readonly offer: (result: Result) => Effect.Effect<void>
  /** Results queued or being written. */
  readonly unwritten: Effect.Effect<number>
  /**
   * Stops the writer once everything queued is written, waiting at most `graceMs` (at least 1 s) for it; returns how
   * many results were left unwritten.
   */
  readonly drain: (graceMs: number) => Effect.Effect<number>
}

export interface Deps {
  readonly storage: Storage["Type"]
  readonly queue: DeliveryQueue["Type"]
  readonly events: OperationalEvents["Type"]
  readonly writeBatchSize: number
  /** `count` results were written (or given up on): no longer unwritten, and the slots they held are free. */
  readonly freeSlots: (count: number) => void
}

const logged = (what: string) => supervise.logRetry(`Dispatcher: ${what}`)

/** Batches written at once, at most. */
export const WRITERS = 4

const writeFailed = (cause: Cause.Cause<unknown>) =>
  Effect.logError("Dispatcher: writing a batch of results failed unexpectedly", cause)

/** A batch of results sorted by where each part is written. */
interface Parts {
  /** The attempts not recorded yet. */
  readonly unrecorded: Array<AttemptResult>
  /** The queue's settlement of the batch's items. */
  readonly settlement: {
    readonly complete: Array<ClaimedItem>
    readonly reschedule: Array<{ readonly item: ClaimedItem; readonly runAt: number }>
  }
  readonly happened: Array<OperationalEvent>
  /** A final result of an in-order endpoint is in the batch: its next delivery is woken after the write. */
  readonly fifo: boolean
}

const partsOf = (batch: ReadonlyArray<Result>): Parts => {
  const unrecorded: Parts["unrecorded"] = []
  const settlement: Parts["settlement"] = { complete: [], reschedule: [] }
  const happened: Parts["happened"] = []
  let fifo = false
  for (const r of batch) {
    if (!r.recorded) unrecorded.push({ attempt: r.attempt, delivery: r.delivery })
    if (r.runAt === undefined) settlement.complete.push(r.item)
    else settlement.reschedule.push({ item: r.item, runAt: r.runAt })
    if (r.event !== undefined) happened.push(r.event)
    if (r.fifo && r.runAt === undefined) fifo = true
  }
  return { unrecorded, settlement, happened, fifo }
}

/**
 * Writes one batch of results: the attempts not recorded yet and the queue's settlement (one round trip when the
 * store holds the queue too), then the batch's operational events, then FIFO wake-ups. Storage and queue trouble is
 * retried with `retried`.
 */
const batchWriter = (
  { events, queue, storage }: Pick<Deps, "events" | "queue" | "storage">,
  retried: ReturnType<typeof supervise.retrying>
) => {
  const writeBatch = (batch: ReadonlyArray<Result>) =>
    Effect.gen(function*() {
      const { fifo, happened, settlement, unrecorded } = partsOf(batch)
      if (storage.recordAndSettle !== undefined) {
        // A store that holds the queue too writes all of it in one round trip.
        yield* storage.recordAndSettle(unrecorded, settlement).pipe(logged("recording attempts"), retried)
      } else {
        if (unrecorded.length > 0) {
          yield* storage.recordAttempts(unrecorded).pipe(logged("recording attempts"), retried)
        }
        if (settlement.complete.length > 0) {
          yield* queue.complete(settlement.complete).pipe(logged("completing"), retried)
        }
        if (settlement.reschedule.length > 0) {
          yield* queue.reschedule(settlement.reschedule).pipe(logged("rescheduling"), retried)
        }
      }
      if (happened.length > 0) yield* events.publishAll(happened)
      if (fifo) yield* wakeFifo(batch)
    })

  // FIFO endpoints: a finished delivery lets the next one of its endpoint go (not before its own due time).
  const wakeFifo = (batch: ReadonlyArray<Result>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      for (const r of batch) {
        if (!r.fifo || r.runAt !== undefined) continue
        const head = yield* storage.earliestPendingDelivery(r.delivery.tenant, r.delivery.endpointId).pipe(
          logged("finding the next FIFO delivery"),
          retried
        )
        if (head !== undefined) {
          yield* queue.enqueue([{ id: head.id, runAt: Math.max(now, head.nextAttemptAt ?? now) }]).pipe(
            logged("waking the next FIFO delivery"),
            retried
          )
        }
      }
    })
  return writeBatch
}

/**
 * Writes a batch synchronously, where the store, the queue and the events service offer their writes as plain calls
 * (`SyncableWrite.unsafeSync`: memory), in the same order as `batchWriter`; undefined when one of them does not. It
 * returns false, having written nothing, for a batch that wakes a FIFO endpoint's next delivery (a lookup in storage:
 * an effect), and throws on a defect.
 */
const unsafeBatchWriter = (
  { events, queue, storage }: Pick<Deps, "events" | "queue" | "storage">
): ((batch: ReadonlyArray<Result>) => boolean) | undefined => {
  const record = storage.recordAttempts.unsafeSync
  const complete = queue.complete.unsafeSync
  const reschedule = queue.reschedule.unsafeSync
  const publish = events.publishAll.unsafeSync
  if (
    storage.recordAndSettle !== undefined || record === undefined || complete === undefined ||
    reschedule === undefined || publish === undefined
  ) return undefined
  return (batch) => {
    const { fifo, happened, settlement, unrecorded } = partsOf(batch)
    if (fifo) return false
    if (unrecorded.length > 0) record(unrecorded)
    if (settlement.complete.length > 0) complete(settlement.complete)
    if (settlement.reschedule.length > 0) reschedule(settlement.reschedule)
    if (happened.length > 0) publish(happened)
    return true
  }
}

/** Starts the writer's fiber in the current scope. */
export const make = (
  { events, freeSlots, queue, storage, writeBatchSize }: Deps
): Effect.Effect<ResultWriter, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Storage or queue trouble, typed or a defect: retry with a backoff capped at 5 s, forever; leases cover a crash
    // meanwhile. See `supervise.ts`.
    const retried = supervise.retrying()
    // Unwritten results not in a batch yet: at most `2 × concurrency` (up to `concurrency` without a slot, and as many
    // holding one: capacity.ts), so a plain array with no bound of its own. Handing one over is a push, not a fiber's
    // wake-up: the writer's loop wakes once per batch.
    let queued: Array<Result> = []
    // Results in the batches being written, and those batches (at most `WRITERS`).
    let writing = 0
    let batchesWriting = 0
    // Open while nothing is queued or being written (`drain` waits on it).
    const idle = yield* Effect.makeLatch(true)

    const writeBatch = batchWriter({ events, queue, storage }, retried)
    const unsafeWrite = unsafeBatchWriter({ events, queue, storage })

    // Batches being written on fibers of their own (those a store cannot write synchronously). Interrupted when the
    // writer's scope closes (or by `drain`).
    const batches = yield* FiberSet.make<void, never>()
    const fork = yield* FiberSet.runtime(batches)<never>()

    /** The writer loop's resume while it waits for a batch to take (see `ready`); undefined while it runs. */
    let parked: ((go: Effect.Effect<void>) => void) | undefined
    /** Whether a batch can be taken: results are queued and fewer than `WRITERS` batches are being written. */
    const ready = () => queued.length > 0 && batchesWriting < WRITERS
    const wakeLoop = () => {
      if (parked === undefined || !ready()) return
      const resume = parked
      parked = undefined
      resume(Effect.void)
    }
    // Checked where it registers, so a result offered between the loop's steps is never missed.
    const untilReady = Effect.async<void>((resume) => {
      if (ready()) return resume(Effect.void)
      parked = resume
      return Effect.sync(() => {
        if (parked === resume) parked = undefined
      })
    })

    /** The batch's results are written (or given up on): no longer unwritten, and the slots they held are free. */
    const written = (batch: ReadonlyArray<Result>): void => {
      writing -= batch.length
      batchesWriting--
      if (writing === 0 && queued.length === 0) idle.unsafeOpen()
      wakeLoop()
      freeSlots(batch.length)
    }

    /**
     * Writes one batch: synchronously where the store can (`unsafeWrite`), else on its own fiber. A synchronous write
     * that throws (a defect) is logged and the batch written again on the fiber, which retries: recording an attempt
     * again rewrites it, and a token already settled matches nothing.
     */
    const launch = (batch: ReadonlyArray<Result>): void => {
      writing += batch.length
      batchesWriting++
      let failed: Effect.Effect<void> = Effect.void
      if (unsafeWrite !== undefined) {
        try {
          if (unsafeWrite(batch)) return written(batch)
        } catch (error) {
          failed = Effect.logWarning("Dispatcher: writing a batch of results failed; retrying", Cause.die(error))
        }
      }
      fork(
        Effect.ensuring(
          // Logged, never retried from here: `writeBatch` retries storage trouble itself.
          Effect.catchAllCause(Effect.zipRight(failed, writeBatch(batch)), writeFailed),
          // Durable once written: the slots these results held are free then (and also should the batch be given up
          // on a defect, so that slots never leak; the leases return those deliveries).
          Effect.sync(() => written(batch))
        )
      )
    }

    const writer = Effect.gen(function*() {
      while (true) {
        yield* untilReady
        if (queued.length < writeBatchSize) {
          // Linger one timer tick: results of attempts finishing meanwhile (responses arrive one socket at a time)
          // join this batch, so storage is written once for many attempts rather than once per attempt. Under a
          // TestClock a zero sleep does not wait.
          yield* Effect.sleep(0)
        }
        let batch: Array<Result>
        if (queued.length <= writeBatchSize) {
          batch = queued
          queued = []
        } else {
          batch = queued.splice(0, writeBatchSize)
        }
        launch(batch)
      }
    })

    // Supervised: a defect is logged with its cause and the fiber restarts; the scope interrupts it when it closes.
    const fiber = yield* supervise.supervised("Dispatcher.writer", writer)

    const drain = (graceMs: number) =>
      Effect.gen(function*() {
        // An idle writer is stopped at once, a busy one writes what is queued first.
        yield* idle.await.pipe(Effect.timeout(Math.max(graceMs, 1000)), Effect.ignore)
        yield* Fiber.interrupt(fiber)
        yield* FiberSet.clear(batches)
        const left = queued.length
        queued = []
        return left
      })

    return {
      offer: (result) => {
        queued.push(result)
        idle.unsafeClose()
        wakeLoop()
        return Effect.void
      },
      unwritten: Effect.sync(() => queued.length + writing),
      drain
    } satisfies ResultWriter
  })
