/**
 * `@hookwire/fastify`: a Fastify plugin that verifies signed webhooks on their raw bytes (Standard Webhooks, Svix,
 * Stripe, GitHub or a custom HMAC scheme) inside its own encapsulation scope and hands your handlers the verified,
 * parsed event as `request.webhook`.
 *
 * @since 0.1.0
 */
export {
  type HookwireOptions,
  hookwirePlugin,
  UnsupportedMediaTypeError,
  type WebhookErrorCode,
  webhookOf,
  type WebhookRejection
} from "./Plugin.js"

export { hookwirePlugin as default } from "./Plugin.js"
