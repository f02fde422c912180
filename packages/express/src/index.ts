/**
 * `@hookwire/express`: Express middleware that verifies signed webhooks on their raw bytes (Standard Webhooks,
 * Svix, Stripe, GitHub or a custom HMAC scheme) and hands your handler the verified, parsed event as `req.webhook`.
 *
 * @since 0.1.0
 */
export {
  UnsupportedMediaTypeError,
  type WebhookErrorCode,
  webhookMiddleware,
  type WebhookMiddlewareOptions,
  webhookOf,
  type WebhookRejection
} from "./Middleware.js"

export { webhookMiddleware as default } from "./Middleware.js"
