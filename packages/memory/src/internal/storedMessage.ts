/**
 * A message as the memory Storage keeps it, one object per message: the published fields, its body as UTF-8 bytes in
 * a `Buffer` (off the V8 heap), and the store's state of it (pending deliveries, its delivery and attempt ids). V8
 * sizes its old space from what was live at its last full collection (up to 4× that with Node's default heap limit
 * before it collects again), so a body kept as a string costs up to four times its size in peak RSS, and as bytes once
 * (bench/README.md, "#22 ninth session: RSS"). Bodies under 4 KiB share Node's 8 KiB `Buffer` pool slabs. Each read
 * decodes the bodies it returns (`messageRecord`): a dispatch, a get, a list page.
 *
 * @internal
 */
import type { MessageRecord, Tenant } from "@hookwire/core/Model"
import type { IdList } from "./idIndex.js"

/** @internal */
export interface StoredMessage {
  readonly id: string
  readonly tenant: Tenant
  readonly type: string
  /** The body's UTF-8 bytes; emptied in place by an erasure (`expungeMessage`). */
  body: Buffer
  readonly channels: ReadonlyArray<string>
  readonly idempotencyKey: string | null
  readonly createdAt: number
  /** Deliveries still pending: the message can be evicted at 0. */
  open: number
  deliveries: IdList
  attempts: IdList
}

/** `message` as the store keeps it, with no delivery yet. @internal */
export const storedMessage = (message: MessageRecord): StoredMessage => ({
  id: message.id,
  tenant: message.tenant,
  type: message.type,
  body: Buffer.from(message.body, "utf8"),
  channels: message.channels,
  idempotencyKey: message.idempotencyKey,
  createdAt: message.createdAt,
  open: 0,
  deliveries: undefined,
  attempts: undefined
})

/** The record a read returns, its body decoded. @internal */
export const messageRecord = (message: StoredMessage): MessageRecord => ({
  id: message.id,
  tenant: message.tenant,
  type: message.type,
  body: message.body.toString("utf8"),
  channels: message.channels,
  idempotencyKey: message.idempotencyKey,
  createdAt: message.createdAt
})

const EMPTY = Buffer.alloc(0)

/** Erases `message`'s body (`Storage.expungeMessage`). @internal */
export const eraseBody = (message: StoredMessage): void => {
  message.body = EMPTY
}
