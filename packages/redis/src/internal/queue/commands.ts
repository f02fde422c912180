/**
 * `RedisQueue`'s commands: its Lua scripts (`../scripts.ts`) defined on a client with `defineCommand` (so `EVALSHA`
 * after the first call), the exact text form of the numbers they take, and what every operation of the queue works
 * with (`Queue`).
 *
 * @internal
 */
import type { QueueError } from "@hookwire/core/Errors"
import * as Effect from "effect/Effect"
import type * as RedisConnection from "../../RedisConnection.js"
import type { Keys } from "../../RedisQueue.js"
import { queueError } from "../errors.js"
import * as scripts from "../scripts.js"

/** The scripts, as ioredis commands on a client. */
export interface QueueCommands {
  hookwireQueueEnqueue(
    due: string,
    leases: string,
    items: string,
    channel: string,
    runs: string,
    ...ids: Array<string>
  ): Promise<number>
  hookwireQueueEnqueueUnclaimed(
    due: string,
    leases: string,
    items: string,
    channel: string,
    now: string,
    runs: string,
    ...ids: Array<string>
  ): Promise<Array<string>>
  hookwireQueueClaim(
    due: string,
    leases: string,
    items: string,
    now: string,
    leaseUntil: string,
    max: string,
    tokenBase: string
  ): Promise<Array<string>>
  hookwireQueueClaimById(
    due: string,
    leases: string,
    items: string,
    now: string,
    leaseUntil: string,
    runAt: string,
    token: string,
    id: string
  ): Promise<number>
  hookwireQueueReschedule(
    due: string,
    leases: string,
    items: string,
    channel: string,
    tokens: string,
    runs: string,
    ...ids: Array<string>
  ): Promise<number>
  hookwireQueueComplete(
    due: string,
    leases: string,
    items: string,
    tokens: string,
    ...ids: Array<string>
  ): Promise<number>
  hookwireQueueRemove(due: string, leases: string, items: string, ...args: Array<string>): Promise<number>
  hookwireQueueNext(due: string, leases: string): Promise<[string, string]>
}

/** Defines the scripts on a client (idempotent: a client shared by several queues gets them once). */
export const define = (client: RedisConnection.Client): RedisConnection.Client & QueueCommands => {
  const c = client as RedisConnection.Client & QueueCommands
  if (typeof c.hookwireQueueClaim !== "function") {
    client.defineCommand("hookwireQueueEnqueue", { lua: scripts.enqueue, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueEnqueueUnclaimed", { lua: scripts.enqueueUnclaimed, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueClaim", { lua: scripts.claim, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueClaimById", { lua: scripts.claimById, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueReschedule", { lua: scripts.reschedule, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueComplete", { lua: scripts.complete, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueRemove", { lua: scripts.remove, numberOfKeys: 3 })
    client.defineCommand("hookwireQueueNext", { lua: scripts.next, numberOfKeys: 2, readOnly: true })
  }
  return c
}

/** A number as Redis and Lua read it back exactly (shortest round-trip form; never exponent notation for ms). */
export const num = (operation: string, name: string, value: number): string => {
  if (!Number.isFinite(value)) {
    throw new RangeError(`${operation}: ${name} must be a finite number of epoch milliseconds, got ${value}`)
  }
  return Number.isInteger(value) ? value.toFixed(0) : String(value)
}

/**
 * A token as the scripts take it, packed with others (space-separated): this queue's tokens are made of `0-9 a-z .`
 * (see `claim.ts`); anything else cannot be the current token of an item, so it travels as `!`, which never is.
 */
export const packedToken = (token: string): string => /^[0-9a-z.]+$/.test(token) ? token : "!"

/** What every operation of the queue works with. */
export interface Queue {
  readonly redis: RedisConnection.Client & QueueCommands
  readonly keys: Keys
  /** Runs one command; a failure is a `QueueError` naming `operation` and the server. */
  readonly run: <A>(operation: string, f: () => Promise<A>) => Effect.Effect<A, QueueError>
}

/** @internal */
export const make = (connection: RedisConnection.RedisConnection["Type"], keys: Keys): Queue => ({
  redis: define(connection.client),
  keys,
  run: (operation, f) => Effect.tryPromise({ try: f, catch: queueError(operation, connection.where) })
})
