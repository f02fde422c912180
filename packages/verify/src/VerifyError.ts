/**
 * The one error verification throws. Its `code` says why a request was rejected — a missing or malformed header, a
 * timestamp outside the tolerance, no signature matching any secret, a secret that cannot be used, a body that is
 * not JSON or is too large — so middleware can answer with `statusFor(code)` and log the reason. Messages say what
 * was wrong and what to do, and never contain a secret or the signature the receiver expected.
 *
 * @since 0.1.0
 */

/**
 * Why a webhook was rejected.
 *
 * - `missing_header`: a required header (signature, id, timestamp) is absent or empty.
 * - `malformed_header`: a header is present but not in the scheme's format.
 * - `invalid_timestamp`: the timestamp is not a whole number of seconds.
 * - `timestamp_too_old` / `timestamp_too_new`: the timestamp is outside the tolerance (replay protection).
 * - `no_matching_signature`: no signature in the request matches any configured secret.
 * - `invalid_secret`: a configured secret cannot be used with this scheme (a configuration error).
 * - `invalid_payload`: the verified body is not UTF-8 JSON (`receive`, `verifyRequest`).
 * - `payload_too_large`: the body exceeds `maxBodyBytes` (`verifyRequest`).
 *
 * @since 0.1.0
 * @category errors
 */
export type VerifyErrorCode =
  | "missing_header"
  | "malformed_header"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "no_matching_signature"
  | "invalid_secret"
  | "invalid_payload"
  | "payload_too_large"

/**
 * Thrown (or rejected with) when a webhook cannot be verified.
 *
 * @since 0.1.0
 * @category errors
 */
export class WebhookVerificationError extends Error {
  /** @since 0.1.0 */
  readonly _tag = "WebhookVerificationError" as const
  /** @since 0.1.0 */
  readonly code: VerifyErrorCode

  constructor(code: VerifyErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = "WebhookVerificationError"
  }
}

/**
 * `true` for a `WebhookVerificationError`, also when it comes from another copy of this package.
 *
 * @since 0.1.0
 * @category guards
 */
export const isWebhookVerificationError = (u: unknown): u is WebhookVerificationError =>
  u instanceof WebhookVerificationError ||
  (typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "WebhookVerificationError")

/**
 * The HTTP status a receiver should answer for a verification failure: 413 for `payload_too_large`, 400 otherwise.
 *
 * @since 0.1.0
 * @category combinators
 */
export const statusFor = (code: VerifyErrorCode): 400 | 413 => code === "payload_too_large" ? 413 : 400
