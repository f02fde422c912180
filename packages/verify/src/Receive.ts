/**
 * Receiver helpers shared by `@hookwire/express`, `@hookwire/fastify` and Web-standard handlers, so framework glue
 * never re-implements policy: verify the raw bytes, then parse JSON (never before, and never re-serialize), then
 * claim the id in a dedup store. `receive` takes bytes and headers from any framework; `verifyRequest` takes a Fetch
 * `Request` (Next.js route handlers, Hono, Bun, Deno, Cloudflare Workers) and reads its body with a size limit.
 *
 * @since 0.1.0
 */
import type { DedupStore } from "./DedupStore.js"
import { bytesOf, finish, verifyRequestWith } from "./internal/receive.js"
import { engine } from "./internal/runtime.js"
import type { HeadersInput } from "./Scheme.js"
import { verify, type VerifyOptions } from "./Verify.js"

/**
 * A verified webhook.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhookEvent<T = unknown> {
  /** The sender's stable id, when the scheme carries one. */
  readonly id: string | undefined
  /** Unix seconds, when the scheme carries a timestamp. */
  readonly timestamp: number | undefined
  /** `payload.type`, else `payload.event`, when it is a string. */
  readonly type: string | undefined
  /** The parsed JSON body. Its type `T` is asserted by you, not validated here. */
  readonly payload: T
  /** The exact bytes that were verified. */
  readonly raw: Uint8Array
}

/**
 * Options of `receive` and `verifyRequest`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceiveOptions extends VerifyOptions {
  /** Where to remember ids; without it no deduplication happens. */
  readonly dedup?: DedupStore
  /** How long an id is remembered, in seconds; default 86,400, and never less than twice the tolerance. */
  readonly dedupTtl?: number
}

/**
 * The outcome of `receive`: the event, and whether its id was already claimed (then answer 2xx without handling).
 *
 * @since 0.1.0
 * @category models
 */
export type ReceiveResult<T = unknown> = { readonly duplicate: boolean; readonly event: WebhookEvent<T> }

/**
 * Options of `verifyRequest`.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyRequestOptions extends ReceiveOptions {
  /** Largest accepted body in bytes; default 1 MiB. Larger bodies fail with `payload_too_large`. */
  readonly maxBodyBytes?: number
}

/**
 * Verifies `raw` (the exact body bytes, e.g. the Buffer from `express.raw`) synchronously, parses it as JSON and,
 * with a `dedup` store, claims its id. Rejects with `WebhookVerificationError` (`invalid_payload` for a body that is
 * not JSON). Needs `node:crypto`; on Web Crypto runtimes use `verifyRequest`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const receive = async <T = unknown>(
  raw: Uint8Array,
  headers: HeadersInput,
  options: ReceiveOptions
): Promise<ReceiveResult<T>> => {
  const bytes = bytesOf(raw)
  return finish<T>(verify(bytes, headers, options), bytes, options)
}

/**
 * Verifies a Fetch `Request` (Next.js route handlers, Hono, Bun, Deno, Cloudflare Workers): reads at most
 * `maxBodyBytes` of its body, verifies asynchronously (Web Crypto works), parses JSON and claims the id. Rejects with
 * `WebhookVerificationError`; answer `statusFor(error.code)`.
 *
 * @example
 * ```ts
 * export async function POST(request: Request) {
 *   try {
 *     const { duplicate, event } = await verifyRequest(request, { secret: process.env.WEBHOOK_SECRET! })
 *     if (!duplicate) await handle(event)
 *     return new Response(null, { status: 204 })
 *   } catch (e) {
 *     if (isWebhookVerificationError(e)) return new Response(e.message, { status: statusFor(e.code) })
 *     throw e
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const verifyRequest = <T = unknown>(
  request: Request,
  options: VerifyRequestOptions
): Promise<ReceiveResult<T>> => verifyRequestWith<T>(engine, request, options)
