/**
 * The same receiver in one line of middleware, for customers who use `@hookwire/express`: the `marketAlerts` preset
 * checks `X-VQ-Signature` over `{timestamp}.{body}` and the 5-minute window on `X-VQ-Timestamp`, and the dedup store
 * answers a repeated `X-VQ-Webhook-Id` with 200 without calling the handler. Rejected requests get 400 with a short
 * reason.
 *
 * The dedup store claims an id when the signature checks out, before the handler runs; if the handler fails (a
 * thrown error or a 5xx answer), the middleware releases the claim, so VecTrade's retry of that event reaches the
 * handler again instead of being answered as a duplicate.
 */
import { webhookMiddleware, webhookOf } from "@hookwire/express"
import { MemoryDedupStore, presets } from "@hookwire/verify"
import express from "express"
import type { VecTradeEvent } from "./customer-receiver.js"

export interface ExpressReceiverOptions {
  /** The webhook's signing secret, or several during a rotation. */
  readonly secrets: ReadonlyArray<string>
  /** Handles one new (verified, not yet seen) event; throwing answers 500 and VecTrade retries. */
  readonly onEvent: (event: VecTradeEvent, webhookId: string) => void | Promise<void>
  /** Where seen ids are remembered. Default: in this process. */
  readonly dedup?: MemoryDedupStore | undefined
}

/** An Express app serving `POST /webhooks/vectrade`. Serve it with `https.createServer(tls, app)`. */
export const createExpressReceiver = (options: ExpressReceiverOptions): express.Express => {
  const app = express()
  app.post(
    "/webhooks/vectrade",
    webhookMiddleware({
      secret: options.secrets,
      scheme: presets.marketAlerts,
      dedup: options.dedup ?? new MemoryDedupStore()
    }),
    async (req, res) => {
      const { id, payload } = webhookOf<VecTradeEvent>(req)
      await options.onEvent(payload, id!)
      res.sendStatus(200)
    }
  )
  return app
}
