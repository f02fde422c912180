/** The names packages/postgres/README.md's fragments take as given (and every default one). */
import type { Effect } from "effect"

export * from "./default.js"

export type Order = { readonly id: string; readonly tenant: string; readonly amount: number }
export declare const chargeCard: (order: Order) => Effect.Effect<void, Error>
