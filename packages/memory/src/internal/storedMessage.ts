/**
 * A message as the memory Storage keeps it: its body as UTF-8 bytes in a `Buffer`, off the V8 heap, and every other
 * field as published. V8 sizes its old space from what was live at its last full collection (up to 4× that with
 * Node's default heap limit before it collects again), so a body kept as a string costs up to four times its size in
 * peak RSS, and as bytes once (bench/README.md, "#22 ninth session: RSS"). Bodies under 4 KiB share Node's 8 KiB
 * `Buffer` pool slabs. Each read decodes the bodies it returns (`messageRecord`): a dispatch, a get, a list page.
 *
 * @internal
 */
import type { MessageRecord, Tenant } from "@hookwire/core/Model"

/** @internal */
export interface StoredMessage {
  readonly id: string
  readonly tenant: Tenant
  readonly type: string
  /** The body's UTF-8 bytes (empty once erased). */
  readonly body: Buffer
  readonly channels: ReadonlyArray<string>
  readonly idempotencyKey: string | null
  readonly createdAt: number
}

/** `message` as the store keeps it. @internal */
export const storedMessage = (message: MessageRecord): StoredMessage => ({
  id: message.id,
  tenant: message.tenant,
  type: message.type,
  body: Buffer.from(message.body, "utf8"),
  channels: message.channels,
  idempotencyKey: message.idempotencyKey,
  createdAt: message.createdAt
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

/** `message` with its body erased (`Storage.expungeMessage`). @internal */
export const withoutBody = (message: StoredMessage): StoredMessage => ({ ...message, body: Buffer.alloc(0) })
