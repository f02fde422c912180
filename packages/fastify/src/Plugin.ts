/**
 * Fastify glue for `@hookwire/verify`. The plugin turns the encapsulation context it is registered in into a webhook
 * scope: JSON bodies there are read as raw bytes under a size limit (the app's own JSON parser elsewhere is untouched),
 * and a `preValidation` hook hands them to `receive` — which verifies the signature, parses the JSON and deduplicates
 * — before exposing the event as `request.webhook` and its payload as `request.body`. Rejected requests are answered
 * by the plugin (400/413/415 with `{ error, message }`; 200 `{ duplicate: true }` for replays) and never reach the
 * handler. Register it inside the plugin that declares your webhook routes, not on the root instance. The dedup claim
 * is made before the handler runs and given back when the handler fails (a 5xx reply, or a connection closed before
 * the reply was complete), so the sender's retry is handled rather than lost.
 *
 * @since 0.1.0
 */
import type { ReceivedWebhookEvent, ReceiveOptions } from "@hookwire/verify"
import { isHandlingFailure, isWebhookVerificationError, receive, releaseOnFailure, statusFor } from "@hookwire/verify"
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
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify"
import fp from "fastify-plugin"
import type { IncomingMessage } from "node:http"

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The verified webhook, set by `hookwirePlugin` before validation and your handler run; `undefined` outside a
     * webhook scope. `release()` gives its dedup claim back by hand (the plugin already does when the handler fails).
     *
     * @since 0.1.0
     */
    webhook?: ReceivedWebhookEvent
  }
}

/**
 * The verified event of a request in a webhook scope, with the payload typed as `T` (asserted, not validated).
 * Throws when `hookwirePlugin` does not cover the route — a registration mistake, not a bad request.
 *
 * @example
 * ```ts
 * webhooks.post("/webhooks", async (request) => {
 *   const { payload } = webhookOf<{ type: "invoice.paid"; invoice: string }>(request)
 *   return { ok: true }
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const webhookOf = <T = unknown>(request: FastifyRequest): ReceivedWebhookEvent<T> => {
  if (request.webhook === undefined) {
    throw new Error(
      "request.webhook is not set: register hookwirePlugin in the same scope as this route, before declaring it"
    )
  }
  return request.webhook as ReceivedWebhookEvent<T>
}

/**
 * Options for {@link hookwirePlugin}: everything `receive` takes (secret or secrets, scheme, tolerance, `now`,
 * dedup store and TTL) plus the body limit and an optional rejection handler.
 *
 * @since 0.1.0
 * @category models
 */
export interface HookwireOptions extends ReceiveOptions {
  /** Largest body accepted, in bytes; larger ones get 413 without being buffered. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Replaces the default `{ error, message }` JSON answer for rejected requests (4xx). It must send the reply.
   * Failures on the receiver's side (an unusable secret, a dedup store that is down, a body parsed by another
   * parser) go to Fastify's error handler instead.
   */
  readonly onError?: (error: WebhookRejection, request: FastifyRequest, reply: FastifyReply) => void | Promise<void>
}

// `type/subtype+json` with or without parameters; anchored so Fastify does not warn (FSTSEC001).
const JSON_SUFFIX = /^[^/\s;]+\/[^;\s]+\+json(?:;|$)/

const alreadyParsedError = (): Error =>
  Object.assign(
    new Error(
      "request.body was already parsed by another content-type parser; @hookwire/fastify needs the raw bytes to "
        + "verify the signature. Do not add or replace content-type parsers inside the scope where hookwirePlugin "
        + "is registered: keep webhook routes in their own scope."
    ),
    { statusCode: 500, code: "body_already_parsed" }
  )

const plugin: FastifyPluginAsync<HookwireOptions> = async (scope, options) => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new TypeError(`hookwirePlugin: maxBodyBytes must be a positive integer, got ${String(maxBodyBytes)}.`)
  }

  const reject = async (error: WebhookRejection, request: FastifyRequest, reply: FastifyReply) => {
    const status = error._tag === "UnsupportedMediaTypeError" ? error.status : statusFor(error.code)
    reply.code(status)
    // After a 413 the rest of the body may still be arriving: do not keep the connection for another request.
    if (status === 413) reply.header("connection", "close")
    if (options.onError !== undefined) {
      await options.onError(error, request, reply)
    } else {
      reply.send({ error: error.code, message: error.message })
    }
    return reply
  }

  if (!scope.hasRequestDecorator("webhook")) scope.decorateRequest("webhook", undefined)

  // The release of each request that claimed an id, out of reach of handlers that reassign request.webhook.
  const claims = new WeakMap<FastifyRequest, () => Promise<void>>()

  // Only this scope's parsers change: a child context gets its own copy of the parent's table.
  scope.removeAllContentTypeParsers()
  const parseRaw = (_request: FastifyRequest, payload: IncomingMessage) => readBounded(payload, maxBodyBytes)
  scope.addContentTypeParser("application/json", parseRaw)
  scope.addContentTypeParser(JSON_SUFFIX, parseRaw)

  // Checked before parsing so a wrong or oversized body is never read.
  scope.addHook("onRequest", async (request, reply) => {
    const contentType = request.headers["content-type"]
    if (!isJsonContentType(contentType)) return reject(new UnsupportedMediaTypeError(contentType), request, reply)
    if ((declaredLength(request.headers["content-length"]) ?? 0) > maxBodyBytes) {
      return reject(payloadTooLarge(maxBodyBytes), request, reply)
    }
  })

  // preValidation rather than preHandler: route body schemas then validate the parsed payload, not the bytes.
  scope.addHook("preValidation", async (request, reply) => {
    const body: unknown = request.body
    if (body === TooLarge) return reject(payloadTooLarge(maxBodyBytes), request, reply)
    if (body !== undefined && !(body instanceof Uint8Array)) throw alreadyParsedError()
    try {
      const result = await receive(body ?? new Uint8Array(0), request.headers, options)
      if (result.duplicate) return reply.code(200).send({ duplicate: true })
      const { event, release } = result
      claims.set(request, release)
      // Covers what onSend cannot see: a connection closed before the reply was complete, a hijacked reply.
      releaseOnFailure(result, reply.raw, (error) => {
        request.log.error(
          { err: error, webhookId: event.id },
          "@hookwire/fastify: the dedup store could not release the webhook after its handler failed; "
            + "the sender's retry will be answered as a duplicate"
        )
      })
      request.webhook = { ...event, release }
      request.body = event.payload
    } catch (error) {
      // invalid_secret is the receiver's misconfiguration (say, an unset environment variable), not the sender's
      // fault: a 500 through Fastify's error handler gets it logged and makes the sender retry once it is fixed.
      if (isWebhookVerificationError(error) && error.code !== "invalid_secret") return reject(error, request, reply)
      throw error
    }
  })

  // A 5xx (a thrown error included) gives the claim back before the reply is sent, so even an immediate retry finds
  // the id free. 2xx, 3xx and 4xx keep it: a 4xx is a deliberate rejection that the retry would get too.
  scope.addHook("onSend", async (request, reply, payload) => {
    const release = claims.get(request)
    if (release !== undefined && isHandlingFailure(reply.statusCode)) {
      // A failure is not lost: releaseOnFailure sees the same 5xx (or the dropped connection) and logs it.
      await release().then(undefined, () => undefined)
    }
    return payload
  })
}

/**
 * Verifies every request in the encapsulation context it is registered in. Register it, and your webhook routes,
 * inside a plugin of their own so the rest of the app keeps its JSON parser and is not verified.
 *
 * @example
 * ```ts
 * app.register(async (webhooks) => {
 *   await webhooks.register(hookwirePlugin, { secret: process.env.WEBHOOK_SECRET! })
 *   webhooks.post("/webhooks", async (request) => {
 *     request.log.info({ type: request.webhook!.type }, "verified webhook")
 *     return { ok: true }
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const hookwirePlugin: FastifyPluginAsync<HookwireOptions> = fp(plugin, {
  name: "@hookwire/fastify",
  fastify: "5.x"
})
