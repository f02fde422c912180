/**
 * The entry points: `verify` (synchronous, on runtimes with `node:crypto`), `verifyAsync` (everywhere, including
 * Web Crypto runtimes) and `sign`. Each takes one secret or a list — during rotation every active secret — a scheme
 * (default `standard`), a tolerance (default 300 s) and an injectable clock.
 *
 * @since 0.1.0
 */
import { verifyAsyncWith, verifyInput } from "./internal/options.js"
import { engine } from "./internal/runtime.js"
import { coreOf } from "./internal/schemes.js"
import { type HeadersInput, type Payload, type Scheme, standard, type VerifiedWebhook } from "./Scheme.js"
import type { SecretInput } from "./Secret.js"

/**
 * Options of `verify` and `verifyAsync`.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  /** One secret, or every secret that may have signed (rotation). */
  readonly secret: SecretInput | ReadonlyArray<SecretInput>
  /** Default `standard`. */
  readonly scheme?: Scheme
  /** Accepted clock difference in seconds, both directions; default 300. */
  readonly tolerance?: number
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number
}

/**
 * Verifies a webhook synchronously and returns its id and timestamp; throws `WebhookVerificationError`. Pass the
 * exact raw body. Needs `node:crypto` (Node, Bun, Deno); on Web Crypto runtimes use `verifyAsync`.
 *
 * @example
 * ```ts
 * const { id } = verify(rawBody, req.headers, { secret: process.env.WEBHOOK_SECRET! })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const verify = (body: Payload, headers: HeadersInput, options: VerifyOptions): VerifiedWebhook =>
  (options?.scheme ?? standard).verify(verifyInput(body, headers, options))

/**
 * Like `verify`, but returns a promise and also works where only Web Crypto exists (Workers, Vercel Edge).
 *
 * @since 0.1.0
 * @category combinators
 */
export const verifyAsync = (body: Payload, headers: HeadersInput, options: VerifyOptions): Promise<VerifiedWebhook> =>
  verifyAsyncWith(engine, body, headers, options)

/**
 * Options of `sign`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignOptions {
  /** One secret, or every active secret (rotation): each adds a signature where the scheme allows several. */
  readonly secret: SecretInput | ReadonlyArray<SecretInput>
  /** Default `standard`. */
  readonly scheme?: Scheme
  /** Stable message id, the same on every retry. */
  readonly id: string
  /** Unix seconds; default now. */
  readonly timestamp?: number
}

const signInput = (body: Payload, options: SignOptions) => {
  if (typeof options !== "object" || options === null) throw new TypeError("sign: options are required")
  return {
    id: options.id,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    body,
    secrets: Array.isArray(options.secret) ? options.secret : [options.secret as SecretInput]
  }
}

/**
 * The headers to send with `body` (lower-case names). Needs `node:crypto`; on Web Crypto runtimes use `signAsync`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const sign = (body: Payload, options: SignOptions): Record<string, string> =>
  (options?.scheme ?? standard).sign(signInput(body, options))

/**
 * Like `sign`, but also works where only Web Crypto exists.
 *
 * @since 0.1.0
 * @category combinators
 */
export const signAsync = async (body: Payload, options: SignOptions): Promise<Record<string, string>> => {
  const scheme = options?.scheme ?? standard
  const input = signInput(body, options)
  const core = coreOf(scheme)
  return core === undefined ? scheme.sign(input) : engine.signAsync(core, input)
}
