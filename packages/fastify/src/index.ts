/**
 * `@hookwire/fastify`: a Fastify plugin that verifies signed webhooks on their raw bytes (Standard Webhooks, Svix,
 * Stripe, GitHub or a custom HMAC scheme) inside its own encapsulation scope and hands your handlers the verified,
 * parsed event as `request.webhook`.
 *
 * @since 0.1.0
 */
export { type HookwireOptions, hookwirePlugin, webhookOf } from "./Plugin.js"

// What a rejected request is: the same in both framework packages.
export { UnsupportedMediaTypeError, type WebhookErrorCode, type WebhookRejection } from "@hookwire/verify/Node"

export { hookwirePlugin as default } from "./Plugin.js"
