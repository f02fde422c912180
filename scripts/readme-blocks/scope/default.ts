/**
 * The names a README fragment (a block whose first line is `// fragment: a, b, …`) may take as given: what the
 * README's earlier, whole examples define. Nothing here runs: scripts/readme-blocks.mjs only type-checks against it.
 * A README with names of its own has scope/<its directory, dashes for slashes>.ts, which re-exports this file.
 */
import { Catalog, createHookwire, type DeliveryQueue, type Storage } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import type { DedupStore, WebhookEvent } from "@hookwire/verify"
import { type Layer, Schema } from "effect"
import express from "express"
import type { IncomingHttpHeaders } from "node:http"

export const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid",
    schema: Schema.Struct({ id: Schema.String, amount: Schema.Number }),
    examples: [{ id: "in_1", amount: 4200 }]
  },
  "quote.update": Schema.Struct({ symbol: Schema.String, price: Schema.Number })
})
export const adapter = memory()
export const hookwire = createHookwire({ adapter, catalog })

export declare const tenant: string
export declare const id: string
export declare const endpointId: string
export declare const deliveryId: string
export declare const messageId: string
export declare const url: string
export declare const since: Date
export declare const until: Date
export declare const disabledAt: Date
export declare const data: { readonly symbol: string; readonly price: number }

// Receiving
export const app = express()
export declare const secret: string
export declare const handler: express.RequestHandler
export declare const req: express.Request
export declare const res: express.Response
export declare const rawBody: Buffer
export declare const body: string
export declare const headers: IncomingHttpHeaders
export declare const handle: (event: WebhookEvent) => Promise<void>
export declare const rawBuffer: Buffer
export declare const clock: { readonly millis: () => number }
export declare const dedup: DedupStore
export declare const customer: { readonly id: string }
export declare const fetchPortalToken: () => Promise<string>

// Writing an adapter: the adapter's own modules
export declare const MyStorage: { readonly layer: Layer.Layer<Storage.Storage> }
export declare const MyQueue: { readonly layer: Layer.Layer<DeliveryQueue.DeliveryQueue> }
