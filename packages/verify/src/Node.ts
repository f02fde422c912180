/**
 * Node request plumbing shared by the framework packages (`@hookwire/express`, `@hookwire/fastify`): a JSON
 * content-type check, the declared length, a bounded raw-body reader that never buffers more than the limit, and
 * what a rejected request is (`UnsupportedMediaTypeError`, `WebhookRejection`, `WebhookErrorCode`), which both
 * packages export as their own.
 * Node only (it works on Node `Readable` streams and `Buffer`), so it is a subpath of its own —
 * `@hookwire/verify/Node` — and not part of the runtime-portable main entry.
 *
 * @since 0.1.0
 */
import type { VerifyErrorCode } from "./VerifyError.js"
import { WebhookVerificationError } from "./VerifyError.js"

/**
 * The part of a Node `Readable` (an `IncomingMessage`) the reader uses: declared here so this package imports no
 * `node:` module outside its crypto primitive.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadableLike {
  on(event: string, listener: (...args: Array<any>) => void): unknown
  off(event: string, listener: (...args: Array<any>) => void): unknown
  resume(): unknown
}

/**
 * One MiB: plenty for webhook payloads, small enough that a hostile sender cannot exhaust memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * `application/json` or any `type/subtype+json` (CloudEvents, JSON:API, …), parameters ignored.
 *
 * @since 0.1.0
 * @category guards
 */
export const isJsonContentType = (header: string | undefined): boolean => {
  if (header === undefined) return false
  const mediaType = header.split(";", 1)[0]!.trim().toLowerCase()
  if (mediaType === "application/json") return true
  const slash = mediaType.indexOf("/")
  return slash > 0 && mediaType.endsWith("+json") && mediaType.length > slash + "+json".length + 1
}

/**
 * The `content-length` as a number; `undefined` when absent or unparseable (the bounded reader still enforces the
 * limit then).
 *
 * @since 0.1.0
 * @category guards
 */
export const declaredLength = (header: string | undefined): number | undefined => {
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined
  return Number(header)
}

/**
 * Returned instead of bytes when the body outgrew the limit.
 *
 * @since 0.1.0
 * @category models
 */
export const TooLarge: unique symbol = Symbol.for("@hookwire/verify/TooLarge")

/**
 * Reads a request stream to the end, holding at most `limit` bytes. Past the limit it stops collecting and lets the
 * rest drain into the void, so the caller can answer 413 while the sender finishes writing (clients that cannot read
 * a response before their upload ends would otherwise see a reset instead of the 413).
 *
 * @since 0.1.0
 * @category constructors
 */
export const readBounded = (stream: ReadableLike, limit: number): Promise<Uint8Array | typeof TooLarge> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let received = 0
    const cleanup = () => {
      stream.off("data", onData)
      stream.off("end", onEnd)
      stream.off("error", onError)
      stream.off("close", onClose)
    }
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk
      received += bytes.length
      if (received > limit) {
        cleanup()
        chunks.length = 0
        stream.resume()
        resolve(TooLarge)
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, received))
    }
    const onError = (error: unknown) => {
      cleanup()
      reject(error)
    }
    // A client that disconnects mid-body emits "close" without "end"; without this the promise would never settle.
    const onClose = () => {
      cleanup()
      reject(new Error("The request was aborted before its body was fully received."))
    }
    stream.on("data", onData)
    stream.on("end", onEnd)
    stream.on("error", onError)
    stream.on("close", onClose)
    stream.resume()
  })

/**
 * The `payload_too_large` error a framework package raises itself when the body outgrows `maxBodyBytes`, so its
 * `onError` and default answer see the same `WebhookVerificationError` shape as every other rejection.
 *
 * @since 0.1.0
 * @category constructors
 */
export const payloadTooLarge = (limit: number): WebhookVerificationError =>
  new WebhookVerificationError(
    "payload_too_large",
    `the body is larger than maxBodyBytes (${limit} bytes); raise maxBodyBytes if such webhooks are expected`
  )

/**
 * The request's content type is not JSON (`application/json` or `…+json`); answered with 415.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedMediaTypeError extends Error {
  readonly _tag = "UnsupportedMediaTypeError" as const
  readonly code = "unsupported_media_type" as const
  readonly status = 415
  constructor(readonly contentType: string | undefined) {
    super(
      contentType === undefined
        ? "the request has no content-type; webhooks must be sent as application/json"
        : `content-type ${JSON.stringify(contentType)} is not JSON; webhooks must be sent as application/json`
    )
    this.name = "UnsupportedMediaTypeError"
  }
}

/**
 * Why a request was turned away before reaching the handler: a verification failure (`statusFor(error.code)`:
 * 400, or 413 for `payload_too_large`) or a non-JSON content type (415).
 *
 * @since 0.1.0
 * @category errors
 */
export type WebhookRejection = WebhookVerificationError | UnsupportedMediaTypeError

/**
 * The codes a rejected request can carry in its `{ error }` body.
 *
 * @since 0.1.0
 * @category models
 */
export type WebhookErrorCode = VerifyErrorCode | UnsupportedMediaTypeError["code"]
