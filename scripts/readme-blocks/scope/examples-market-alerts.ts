/** The names examples/market-alerts/README.md's fragments take as given: the example's own SDK and catalog. */
import type { MarketAlertsClient, Webhook } from "../../../examples/market-alerts/src/MarketAlerts.js"

export { verifyWebhook } from "../../../examples/market-alerts/src/customer-receiver.js"
export { catalog } from "../../../examples/market-alerts/src/events.js"
export * from "./default.js"

/** `client.webhooks`: the docs page's SDK of one account. */
export declare const client: MarketAlertsClient
export declare const webhook: Webhook
export declare const isoSeconds: (date: Date) => string
