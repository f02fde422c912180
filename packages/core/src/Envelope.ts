/**
 * The envelope turns a message into the JSON body sent to every endpoint. It runs once per message: the body bytes
 * are reused for every endpoint and every retry. The default is `{ "type", "timestamp", "data" }`; hosts whose
 * documented payload differs (an `id` field, `created_at`, `event` instead of `type`) supply their own.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface EnvelopeInput {
  /** The message id (`msg_…`). */
  readonly id: string
  readonly type: string
  /** The message's creation time. */
  readonly timestamp: Date
  /** The data, already encoded by the event type's Schema (plain JSON). */
  readonly data: unknown
}

/**
 * A function from a message to the JSON value to send. Must be pure and synchronous.
 *
 * @since 0.1.0
 * @category models
 */
export type Envelope = (input: EnvelopeInput) => unknown

/**
 * `{ "type": …, "timestamp": ISO-8601, "data": … }`
 *
 * @since 0.1.0
 * @category constructors
 */
export const standard: Envelope = (input) => ({
  type: input.type,
  timestamp: input.timestamp.toISOString(),
  data: input.data
})
