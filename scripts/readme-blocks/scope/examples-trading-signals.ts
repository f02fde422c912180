/** The names examples/trading-signals/README.md's fragments take as given: the example's own API and catalog. */
import type { Account, Plan, Webhook } from "../../../examples/trading-signals/src/TradingSignals.js"

export { catalog } from "../../../examples/trading-signals/src/events.js"
export { PLAN_LIMITS } from "../../../examples/trading-signals/src/TradingSignals.js"
export * from "./default.js"

/** `account.webhooks`: the dashboard's Webhooks page of one account. */
export declare const account: Account
export declare const webhook: Webhook
export declare const planOf: (account: string) => Promise<Plan>
export declare const isoSeconds: (date: Date) => string
