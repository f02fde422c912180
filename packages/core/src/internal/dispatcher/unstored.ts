/**
 * Claimed ids whose delivery is not stored yet. A queue apart from storage (`DeliveryQueue.enqueuesWithInsert`) is
 * written while storage inserts the deliveries, so a claim can see an id before its row is committed (or before the
 * host's transaction around `publish` commits). Such an id goes back to the queue for a moment rather than being
 * dropped: due again after a quarter of its age (between `MIN_WAIT_MS` and `MAX_WAIT_MS`: an insert is usually
 * committed within milliseconds, and a longer wait would hold a committed delivery back), while it is younger than
 * `WINDOW_MS` by the time in its id (`Id.timeOf`, the publisher's clock). Older, it is dropped as deleted: a
 * rolled-back insert (publish removes its ids, but not when its process died first), or a delivery whose endpoint is
 * gone; should its row still appear later, the sweeper queues it again.
 *
 * @internal
 */
import * as Id from "../../Id.js"

/** How long an id may wait for its delivery to be stored (by the time in its id). */
export const WINDOW_MS = 30_000

/** The shortest and the longest wait before looking again. */
export const MIN_WAIT_MS = 10
export const MAX_WAIT_MS = 1_000

/** How long to wait before claiming `id` again, or undefined when it is too old to still be stored. */
export const retryIn = (id: string, now: number): number | undefined => {
  const age = Math.abs(now - Id.timeOf(id))
  return age < WINDOW_MS ? Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, Math.ceil(age / 4))) : undefined
}
