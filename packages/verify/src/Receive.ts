/**
 * Receiver helpers shared by `@hookwire/express`, `@hookwire/fastify` and Web-standard handlers, so framework glue
 * never re-implements policy: verify the raw bytes, then parse JSON (never before, and never re-serialize), then
 * claim the id in a dedup store. `receive` takes bytes and headers from any framework; `verifyRequest` takes a Fetch
 * `Request` (Next.js route handlers, Hono, Bun, Deno, Cloudflare Workers) and reads its body with a size limit.
 *
 * The claim is made before the handler runs, so a handler that fails must give it back — `release()` — or the sender's
 * retry would be acknowledged as a duplicate and the event lost. `releaseOnFailure` does that for a Node
 * `ServerResponse` (Express, Fastify, `node:http`) by watching how the response ends; `isHandlingFailure` is the rule
 * it applies.
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
 * The outcome of `receive` and `verifyRequest`: the event, whether its id was already claimed (then answer 2xx
 * without handling it), and `release` to give the claim back when handling it fails.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceiveResult<T = unknown> {
  /** `true` when the id was already claimed: answer 2xx without handling the event again. */
  readonly duplicate: boolean
  readonly event: WebhookEvent<T>
  /**
   * Forgets this delivery's claim on `event.id` in the dedup store, so the sender's retry is handled instead of being
   * answered as a duplicate: call it (and await it) when handling the event failed. Only the first call reaches the
   * store; later calls share its outcome. Resolves without doing anything for a duplicate, without a `dedup` store,
   * without an id, or when the store has no `release`; rejects when the store fails to forget the id.
   */
  readonly release: () => Promise<void>
}

/**
 * A verified event as `@hookwire/express` (`req.webhook`) and `@hookwire/fastify` (`request.webhook`) hand it to your
 * handler: the event plus its `release`, for handlers that decide themselves that the sender should retry (say,
 * before answering 429). The framework packages already release the claim when the response is a 5xx or the
 * connection closes before the response is complete.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceivedWebhookEvent<T = unknown> extends WebhookEvent<T> {
  /** The `release` of the `ReceiveResult` this event came from. */
  readonly release: () => Promise<void>
}

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
 * You own the response, so you also own the claim: when handling fails (it throws, or you answer 5xx), `await
 * result.release()` so that the sender's retry is handled rather than answered as a duplicate.
 *
 * @example
 * ```ts
 * export async function POST(request: Request) {
 *   let result: ReceiveResult
 *   try {
 *     result = await verifyRequest(request, { secret: process.env.WEBHOOK_SECRET!, dedup })
 *   } catch (e) {
 *     if (isWebhookVerificationError(e)) return new Response(e.message, { status: statusFor(e.code) })
 *     throw e
 *   }
 *   if (result.duplicate) return new Response(null, { status: 200 })
 *   try {
 *     await handle(result.event)
 *   } catch (e) {
 *     await result.release() // the retry must be handled, not acknowledged as a duplicate
 *     throw e
 *   }
 *   return new Response(null, { status: 204 })
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

/**
 * Whether an answer with HTTP `status` means that handling the event failed, so its claim should be released and the
 * sender's retry handled: any 5xx. A 2xx or 3xx means it was handled. A 4xx means the receiver rejected the event on
 * purpose — it would reject the retry too — so the claim is kept; a handler that answers a 4xx such as 429 to ask for
 * a retry calls `release()` itself first.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isHandlingFailure = (status: number): boolean => status >= 500

/**
 * What `releaseOnFailure` watches: Node's `http.ServerResponse` has it (Express's `res`, Fastify's `reply.raw`, Koa's
 * `ctx.res`).
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerResponseLike {
  readonly statusCode: number
  readonly destroyed: boolean
  readonly writableFinished: boolean
  once(event: "finish" | "close", listener: () => void): unknown
}

const reportTo = (onError: (error: unknown) => void) => (error: unknown): void => {
  try {
    onError(error)
  } catch (failure) {
    // The reporter itself failed: the console is the last place left that cannot make things worse.
    console.error(failure)
  }
}

/**
 * Releases the claim of `result` if handling its event fails, judged by how `response` ends: it finishes with a 5xx
 * (`isHandlingFailure`), or the connection closes before it is complete (the sender saw no answer and will retry).
 * A 2xx, 3xx or 4xx keeps the claim. Call it right after `receive` returned a non-duplicate, before the handler runs.
 * A store that fails to release is reported to `onError` (which should log it: the retry will then be answered as a
 * duplicate); nothing is thrown and no promise is left unhandled. The release starts as soon as the response has been
 * sent — a store's round trip, far quicker than any sender's retry; to release before a 5xx goes out (as
 * `@hookwire/fastify` does in `onSend`), call `result.release()` yourself first.
 *
 * @example
 * ```ts
 * createServer(async (req, res) => {
 *   const raw = await buffer(req) // node:stream/consumers
 *   const result = await receive(raw, req.headers, { secret, dedup }) // (answer rejections with statusFor)
 *   if (result.duplicate) return res.writeHead(200).end()
 *   releaseOnFailure(result, res, (error) => console.error("could not release the webhook claim", error))
 *   try {
 *     await handle(result.event)
 *     res.writeHead(204).end()
 *   } catch {
 *     res.writeHead(500).end() // releases the claim: the sender's retry is handled
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const releaseOnFailure = (
  result: Pick<ReceiveResult, "release">,
  response: ServerResponseLike,
  onError: (error: unknown) => void
): void => {
  const report = reportTo(onError)
  const release = () => {
    try {
      result.release().then(undefined, report)
    } catch (error) {
      report(error)
    }
  }
  // The connection may have gone while the claim was being made.
  if (response.writableFinished) {
    if (isHandlingFailure(response.statusCode)) release()
    return
  }
  if (response.destroyed) {
    release()
    return
  }
  let finished = false
  response.once("finish", () => {
    finished = true
    if (isHandlingFailure(response.statusCode)) release()
  })
  response.once("close", () => {
    if (!finished) release()
  })
}
