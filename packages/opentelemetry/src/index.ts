/**
 * @since 0.1.0
 */
export * as OpenTelemetry from "./OpenTelemetry.js"

/**
 * For `createHookwire({ telemetry: openTelemetry({ tracerProvider, meterProvider }) })`.
 *
 * @since 0.1.0
 * @category constructors
 */
export { openTelemetry } from "./OpenTelemetry.js"
