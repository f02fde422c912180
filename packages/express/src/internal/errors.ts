/**
 * Builds the `payload_too_large` verification error the middleware raises itself, so that `onError` and the
 * default answer see the same `WebhookVerificationError` shape as every other rejection.
 *
 * @internal
 */
import { WebhookVerificationError } from "@hookwire/verify"

export const payloadTooLarge = (limit: number): WebhookVerificationError =>
  new WebhookVerificationError(
    "payload_too_large",
    `the body is larger than maxBodyBytes (${limit} bytes); raise maxBodyBytes if such webhooks are expected`
  )
