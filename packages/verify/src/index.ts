/**
 * `@hookwire/verify`: zero-dependency webhook signing and verification — Standard Webhooks (and Svix), Stripe, GitHub
 * and custom HMAC schemes — with typed errors, secret rotation, replay protection, deduplication and helpers for
 * Express, Fastify and Fetch `Request` handlers. Flat named exports, so receivers need no namespaces; every module is
 * also importable on its own (`@hookwire/verify/Scheme`).
 *
 * @since 0.1.0
 */
export * from "./DedupStore.js"
export * from "./Receive.js"
export * from "./Scheme.js"
export * from "./Secret.js"
export * from "./Verify.js"
export * from "./VerifyError.js"
