/**
 * @since 0.1.0
 */
export * as AddressGuard from "./AddressGuard.js"
export * as Catalog from "./Catalog.js"
export * as CircuitBreaker from "./CircuitBreaker.js"
export * as DeliveryQueue from "./DeliveryQueue.js"
export * as Dispatcher from "./Dispatcher.js"
export * as EffectVersion from "./EffectVersion.js"
export * as EnvConfig from "./EnvConfig.js"
export * as Envelope from "./Envelope.js"
export * as Errors from "./Errors.js"
export * as Hookwire from "./Hookwire.js"
export * as HttpTransport from "./HttpTransport.js"
export * as Id from "./Id.js"
export * as Model from "./Model.js"
export * as OperationalEvents from "./OperationalEvents.js"
export * as OperationalWebhooks from "./OperationalWebhooks.js"
export * as PayloadFilter from "./PayloadFilter.js"
export * as RateLimiter from "./RateLimiter.js"
export * as RecordingTransport from "./RecordingTransport.js"
export * as Retention from "./Retention.js"
export * as RetryPolicy from "./RetryPolicy.js"
export * as RoutingTransport from "./RoutingTransport.js"
export * as SecretBox from "./SecretBox.js"
export * as Settings from "./Settings.js"
export * as Storage from "./Storage.js"
export * as Sweeper from "./Sweeper.js"
export * as Telemetry from "./Telemetry.js"
export * as Transport from "./Transport.js"
export * as Views from "./Views.js"
export * as Webhooks from "./Webhooks.js"

/**
 * The Promise API's constructor, for hosts that do not use Effect.
 *
 * @since 0.1.0
 */
export { createHookwire } from "./Hookwire.js"

/**
 * Effect's `Schema` module as Hookwire loads it, for catalogs: the same copy of Effect whatever the host's module
 * system (from CommonJS, `require("effect")` would load a second copy, which `Catalog.make` refuses).
 *
 * @since 0.1.0
 */
export * as Schema from "effect/Schema"
