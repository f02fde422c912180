/**
 * `PgQueue`'s claims: `claim` (one statement: the due rows, `FOR UPDATE SKIP LOCKED`, get a lease and a fresh token)
 * and, where Storage shares the database, `claimForDispatch` (the claim and the claimed deliveries' dispatch contexts
 * in one statement, which also tells when the rest of the queue is next due: see `wakeUps.ts`); and `claimById` (one
 * row, inserted or taken over, unless its lease is still running).
 *
 * @internal
 */
import type { ClaimedForDispatch, ClaimedItem } from "@hookwire/core/DeliveryQueue"
import type * as DeliveryQueue from "@hookwire/core/DeliveryQueue"
import type { QueueError } from "@hookwire/core/Errors"
import * as Effect from "effect/Effect"
import { randomUUID } from "node:crypto"
import * as dispatch from "../dispatch.js"
import { mapQueue } from "../errors.js"
import * as rows from "../rows.js"
import type { Queue } from "./statements.js"
import type { Hint } from "./wakeUps.js"

interface ClaimOptions {
  readonly max: number
  readonly leaseMs: number
  readonly now: number
}

// The token is unique per claim call; the id makes it unique per item too.
const params = ({ leaseMs, max, now }: ClaimOptions) => [now, Math.floor(max), now + leaseMs, `${randomUUID()}/`]

/** @internal */
export const claim = ({ query, statements }: Queue): DeliveryQueue.DeliveryQueue["Type"]["claim"] => (options) => {
  if (!(options.max >= 1)) return Effect.succeed([])
  return query(statements.claim, params(options)).pipe(
    Effect.map((claimed) =>
      claimed.map((row): ClaimedItem => ({
        id: row.id,
        runAt: rows.num(row.run_at),
        token: row.lease_token,
        claims: rows.num(row.claims)
      }))
    ),
    mapQueue("PgQueue.claim")
  )
}

/** @internal */
export const claimForDispatch = (
  { query, statements, wakeUps }: Queue,
  remember: (hint: Hint) => void
) =>
(options: ClaimOptions): Effect.Effect<ReadonlyArray<ClaimedForDispatch>, QueueError> => {
  if (!(options.max >= 1)) return Effect.succeed([])
  return Effect.suspend(() => {
    const wakesBefore = wakeUps.wakes()
    return query(statements.claimForDispatch, params(options)).pipe(
      Effect.map(([row]) => {
        const contexts = dispatch.parse(row)
        const claimed = (JSON.parse(row?.items ?? "[]") as Array<[string, number, number, string]>).map(
          ([id, runAt, claims, token]): ClaimedForDispatch => ({
            item: { id, runAt, token, claims },
            context: contexts.get(id)
          })
        )
        const unclaimed = row?.next_at === null || row?.next_at === undefined ? Infinity : rows.num(row.next_at)
        remember({
          wakesBefore,
          next: claimed.length > 0 ? Math.min(unclaimed, options.now + options.leaseMs) : unclaimed
        })
        return claimed
      }),
      mapQueue("PgQueue.claimForDispatch")
    )
  })
}

/** @internal */
export const claimById =
  ({ query, statements }: Queue): DeliveryQueue.DeliveryQueue["Type"]["claimById"] => ({ id, leaseMs, now, runAt }) =>
    Effect.suspend(() => {
      const token = `${randomUUID()}/${id}`
      return query(statements.claimById, [id, runAt, now + leaseMs, token, now]).pipe(
        Effect.map(([row]): ClaimedItem | undefined => row === undefined ? undefined : { id, runAt, token, claims: 1 }),
        mapQueue("PgQueue.claimById")
      )
    })
