/**
 * `@hookwire/express`: Express middleware that verifies signed webhooks on their raw bytes (Standard Webhooks,
 * Svix, Stripe, GitHub or a custom HMAC scheme) and hands your handler the verified, parsed event as `req.webhook`.
 *
 * @since 0.1.0
 */
export { webhookMiddleware, type WebhookMiddlewareOptions, webhookOf } from "./Middleware.js"

// What a rejected request is: the same in both framework packages.
export { UnsupportedMediaTypeError, type WebhookErrorCode, type WebhookRejection } from "@hookwire/verify/Node"

export { webhookMiddleware as default } from "./Middleware.js"
