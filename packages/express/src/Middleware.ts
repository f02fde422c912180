/**
 * Express glue for `@hookwire/verify`: a middleware that takes the request's exact raw bytes (read from the stream
 * under a size limit, or the Buffer left by `express.raw`), hands them to `receive` — which verifies the signature,
 * parses the JSON and deduplicates — and either exposes the verified event as `req.webhook` or answers the sender
 * itself (400/413/415 with `{ error, message }`, 200 `{ duplicate: true }` for replays). It refuses to work on a body
 * some other parser already turned into an object, because re-serializing can never reproduce the signed bytes.
 * The dedup claim is made before the handler runs and given back when the handler fails (a 5xx answer, or a
 * connection closed before the answer was complete), so the sender's retry is handled rather than lost.
 *
 * @since 0.1.0
 */
import type { ReceivedWebhookEvent, ReceiveOptions, ReceiveResult } from "@hookwire/verify"
import { isWebhookVerificationError, receive, releaseOnFailure, statusFor } from "@hookwire/verify"
import {
  declaredLength,
  DEFAULT_MAX_BODY_BYTES,
  isJsonContentType,
  payloadTooLarge,
  readBounded,
  TooLarge,
  UnsupportedMediaTypeError
} from "@hookwire/verify/Node"
import type { WebhookRejection } from "@hookwire/verify/Node"
import type { NextFunction, Request, RequestHandler, Response } from "express"
import type { ServerResponse } from "node:http"

declare global {
  namespace Express {
    interface Request {
      /**
       * The verified webhook, set by `webhookMiddleware` before your handler runs; `undefined` on routes without it.
       * `release()` gives its dedup claim back by hand (the middleware already does when the handler fails).
       *
       * @since 0.1.0
       */
      webhook?: ReceivedWebhookEvent
    }
  }
}

/**
 * The verified event of a request that passed `webhookMiddleware`, with the payload typed as `T` (asserted, not
 * validated). Throws when the middleware did not run on this route — a mounting mistake, not a bad request.
 *
 * @example
 * ```ts
 * app.post("/webhooks", webhookMiddleware({ secret }), (req, res) => {
 *   const { payload } = webhookOf<{ type: "invoice.paid"; invoice: string }>(req)
 *   res.sendStatus(204)
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const webhookOf = <T = unknown>(req: Request): ReceivedWebhookEvent<T> => {
  if (req.webhook === undefined) {
    throw new Error("req.webhook is not set: mount webhookMiddleware before this handler on the webhook route")
  }
  return req.webhook as ReceivedWebhookEvent<T>
}

/**
 * Options for {@link webhookMiddleware}: everything `receive` takes (secret or secrets, scheme, tolerance, `now`,
 * dedup store and TTL) plus the body limit and optional rejection and release-failure handlers.
 *
 * @since 0.1.0
 * @category models
 */
export interface WebhookMiddlewareOptions extends ReceiveOptions {
  /** Largest body accepted, in bytes; larger ones get 413 without being buffered. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Replaces the default `{ error, message }` JSON answer for rejected requests (4xx); `res.statusCode` is already
   * set to the suggested status. It must send a response.
   * Failures on the receiver's side (an unusable secret, a dedup store that is down, a body parsed before the
   * middleware) go to `next(error)` instead.
   */
  readonly onError?: (error: WebhookRejection, req: Request, res: Response) => void
  /**
   * Called when the dedup store fails to release the claim of an event whose handler failed (the sender's retry will
   * then be answered as a duplicate until the claim expires). The response is already over by then, so the error
   * cannot go to `next()`; log it. Default: `console.error`.
   */
  readonly onReleaseError?: (error: unknown, req: Request) => void
}

/** express.json() and friends mark the request; Express 4's body-parser also pre-fills `req.body` with `{}`. */
type ParsedRequest = Request & { _body?: boolean }

const sendJson = (res: ServerResponse, status: number, body: object): void => {
  // Plain Node API rather than res.status().json(): identical on Express 4 and 5.
  res.statusCode = status
  res.setHeader("content-type", "application/json; charset=utf-8")
  res.end(JSON.stringify(body))
}

const isUntouchedPlaceholder = (req: ParsedRequest, body: unknown): boolean =>
  req._body !== true && !req.readableEnded && typeof body === "object" && body !== null
  && Object.getPrototypeOf(body) === Object.prototype && Object.keys(body).length === 0

const alreadyParsedError = (body: unknown): Error => {
  const parser = typeof body === "string" ? "express.text()" : "express.json()"
  return Object.assign(
    new Error(
      `req.body was already parsed by ${parser} (or another body parser); @hookwire/express needs the raw bytes to `
        + `verify the signature. Mount webhookMiddleware before ${parser}, or use express.raw({ type: 'application/json' }) `
        + "on this route."
    ),
    { status: 500, statusCode: 500, expose: false, code: "body_already_parsed" }
  )
}

const consumedStreamError = (): Error =>
  Object.assign(
    new Error(
      "The request body stream was already consumed by an earlier middleware and req.body holds no Buffer; "
        + "@hookwire/express needs the raw bytes to verify the signature. Mount webhookMiddleware before that "
        + "middleware, or use express.raw({ type: 'application/json' }) on this route."
    ),
    { status: 500, statusCode: 500, expose: false, code: "body_already_consumed" }
  )

type Outcome =
  | { readonly _tag: "Verified"; readonly result: ReceiveResult }
  | { readonly _tag: "Duplicate" }
  | { readonly _tag: "Rejected"; readonly status: number; readonly error: WebhookRejection }
  | { readonly _tag: "Failed"; readonly error: unknown }

/**
 * Builds the middleware. Mount it on the webhook route before any body parser — or after
 * `express.raw({ type: "application/json" })` — and read the verified event from `req.webhook`.
 *
 * @example
 * ```ts
 * app.post("/webhooks", webhookMiddleware({ secret: process.env.WEBHOOK_SECRET! }), (req, res) => {
 *   console.log(req.webhook!.type, req.webhook!.payload)
 *   res.sendStatus(204)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const webhookMiddleware = (options: WebhookMiddlewareOptions): RequestHandler => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new TypeError(`webhookMiddleware: maxBodyBytes must be a positive integer, got ${String(maxBodyBytes)}.`)
  }

  const releaseFailed = (error: unknown, id: string | undefined, req: Request): void => {
    if (options.onReleaseError !== undefined) return options.onReleaseError(error, req)
    console.error(
      `@hookwire/express: the dedup store could not release webhook ${String(id)} after its handler failed; `
        + "the sender's retry will be answered as a duplicate.",
      error
    )
  }

  const rejected = (error: WebhookRejection): Outcome => ({
    _tag: "Rejected",
    status: error._tag === "UnsupportedMediaTypeError" ? error.status : statusFor(error.code),
    error
  })

  const handle = async (req: ParsedRequest): Promise<Outcome> => {
    const body: unknown = req.body
    const buffered = Buffer.isBuffer(body)
    if (body !== undefined && !buffered && !isUntouchedPlaceholder(req, body)) {
      return { _tag: "Failed", error: alreadyParsedError(body) }
    }
    const contentType = req.headers["content-type"]
    if (!isJsonContentType(contentType)) return rejected(new UnsupportedMediaTypeError(contentType))

    let raw: Uint8Array
    if (buffered) {
      raw = body as Buffer
      if (raw.byteLength > maxBodyBytes) return rejected(payloadTooLarge(maxBodyBytes))
    } else {
      if (req.readableEnded) return { _tag: "Failed", error: consumedStreamError() }
      // Refuse a declared oversize body before reading a byte of it.
      if ((declaredLength(req.headers["content-length"]) ?? 0) > maxBodyBytes) {
        return rejected(payloadTooLarge(maxBodyBytes))
      }
      const read = await readBounded(req, maxBodyBytes)
      if (read === TooLarge) return rejected(payloadTooLarge(maxBodyBytes))
      raw = read
    }

    try {
      const result = await receive(raw, req.headers, options)
      return result.duplicate ? { _tag: "Duplicate" } : { _tag: "Verified", result }
    } catch (error) {
      // invalid_secret is the receiver's misconfiguration (say, an unset environment variable), not the sender's
      // fault: a 500 through next() gets it logged and makes the sender retry once it is fixed.
      return isWebhookVerificationError(error) && error.code !== "invalid_secret"
        ? rejected(error)
        : { _tag: "Failed", error }
    }
  }

  const respond = (outcome: Outcome, req: Request, res: Response, next: NextFunction): void => {
    switch (outcome._tag) {
      case "Verified": {
        const { event, release } = outcome.result
        // A 5xx (an error passed to next() included) or a dropped connection gives the claim back; 2xx-4xx keep it.
        releaseOnFailure(outcome.result, res, (error) => releaseFailed(error, event.id, req))
        req.webhook = { ...event, release }
        return next()
      }
      case "Duplicate": {
        return sendJson(res, 200, { duplicate: true })
      }
      case "Rejected": {
        // After a 413 the rest of the body is still arriving: do not keep the connection for another request.
        if (outcome.status === 413) res.setHeader("connection", "close")
        res.statusCode = outcome.status
        if (options.onError === undefined) {
          return sendJson(res, outcome.status, { error: outcome.error.code, message: outcome.error.message })
        }
        try {
          return options.onError(outcome.error, req, res)
        } catch (error) {
          return next(error)
        }
      }
      case "Failed": {
        return next(outcome.error)
      }
    }
  }

  return (req: Request, res: Response, next: NextFunction): void => {
    // Settle first, then respond: an exception thrown downstream of next() is never mistaken for a verify failure.
    void handle(req).then(
      (outcome) => respond(outcome, req, res, next),
      (error: unknown) => respond({ _tag: "Failed", error }, req, res, next)
    )
  }
}
