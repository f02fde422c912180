/**
 * APIndicators' trading-signal webhooks, built with nothing but Hookwire configuration:
 *
 * - the catalog of `signal.buy`, `signal.sell`, `backtest.run` and `order.filled` (see `events.ts`);
 * - the documented body `{"event":…,"timestamp":ISO,"data":{…}}` (a custom `envelope`);
 * - `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>` (the `presets.tradingSignals` scheme);
 * - no automatic retries (`RetryPolicy.none`: a failure is final and shows in the delivery log), a 10 s timeout;
 * - http URLs accepted but discouraged (`allowHttp: true`: the engine logs a warning for each);
 * - webhooks per plan — Free 0, Starter 3, Pro 10, Business unlimited — via `endpointLimit`, which fails `create`
 *   with a typed `EndpointLimitExceeded`;
 * - named webhooks (Hookwire's endpoint `name`) and a delivery log with status, response code and response body.
 *
 * `TradingSignals` is the platform (one per process); `account(id).webhooks` is the dashboard's Webhooks page for
 * one account (a Hookwire tenant).
 */
import { createHookwire, Errors, RetryPolicy } from "@hookwire/core"
import type { Dispatcher, Envelope, Hookwire, HttpTransport, Model, OperationalEvents, Webhooks } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { presets } from "@hookwire/verify"
import type { Duration } from "effect"
import { catalog, type EventType, type SignalEvents } from "./events.js"

/** The plans of the Billing page. */
export type Plan = "free" | "starter" | "pro" | "business"

/** Webhooks per plan, as documented. `Infinity` = unlimited. */
export const PLAN_LIMITS: Readonly<Record<Plan, number>> = {
  free: 0,
  starter: 3,
  pro: 10,
  business: Infinity
}

/** The documented behaviour: answer within 10 seconds; no automatic retries. */
export const defaults = {
  timeout: "10 seconds"
} as const

export interface TradingSignalsOptions {
  /** The plan of an account (read at every `create`, so an upgrade takes effect at once). */
  readonly planOf: (account: string) => Plan | Promise<Plan>
  /** Storage and queue. Default: in memory (one process). */
  readonly adapter?: Hookwire.Adapter | undefined
  /** How long a receiver has to answer. Default 10 s (the documented value); tests shorten it. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The HTTP transport: `allowCidrs` opens the SSRF guard for exact non-public addresses (tests: 127.0.0.1). */
  readonly http?: HttpTransport.Options | undefined
  readonly dispatcher?: Dispatcher.Options | undefined
  readonly onEvent?: ((event: OperationalEvents.OperationalEvent) => void | Promise<void>) | undefined
}

/** ISO-8601 in UTC to the second, as on the docs page (`2026-04-03T14:30:00Z`). */
const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

/** The documented payload: `{ "event": …, "timestamp": ISO, "data": { … } }`. */
export const envelope: Envelope.Envelope = (message) => ({
  event: message.type,
  timestamp: isoSeconds(message.timestamp),
  data: message.data
})

/** A webhook as the dashboard shows it. The secret is never part of it: `create` shows it once. */
export interface Webhook {
  readonly id: string
  readonly name: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly created_at: string
}

/** One row of a webhook's delivery log. */
export interface DeliveryLogEntry {
  readonly id: string
  readonly webhook_id: string
  readonly event: string
  /** `pending` (not attempted yet), `delivered` (2xx), `failed` (non-2xx, timeout or no connection). */
  readonly status: Model.DeliveryStatus
  /** The receiver's HTTP status, or `null` when there was no answer (see `error`) or no attempt yet. */
  readonly response_code: number | null
  /** The first 16 KiB of the receiver's answer. */
  readonly response_body: string | null
  /** Why there was no answer: `timeout`, `connect`, `dns`, `tls`, `blocked`, … */
  readonly error: Model.TransportErrorKind | null
  readonly attempted_at: string | null
  readonly duration_ms: number | null
  readonly created_at: string
}

const toWebhook = (endpoint: Webhooks.Endpoint): Webhook => ({
  id: endpoint.id,
  name: endpoint.name ?? "",
  url: endpoint.url,
  events: endpoint.eventTypes,
  created_at: isoSeconds(endpoint.createdAt)
})

/** Reads every page of a cursor-paged list (bounded: at most `maxPages` pages of 100). */
const all = async <A extends { readonly id: string }>(
  page: (cursor: string | undefined) => Promise<Model.Page<A>>,
  maxPages = 100
): Promise<Array<A>> => {
  const out: Array<A> = []
  let cursor: string | undefined
  for (let i = 0; i < maxPages; i++) {
    const result = await page(cursor)
    out.push(...result.items)
    if (result.nextCursor === null) break
    cursor = result.nextCursor
  }
  return out
}

/** The Webhooks page of one account. */
export class WebhooksApi {
  constructor(
    private readonly hookwire: Hookwire.Hookwire<SignalEvents>,
    readonly account: string
  ) {}

  /**
   * Creates a webhook. The result carries its signing secret, shown this once: a lost secret means deleting the
   * webhook and creating a new one. Fails with `EndpointLimitExceeded` when the plan allows no more webhooks, and
   * with `ValidationError` for a missing name, no events or a bad URL.
   */
  async create(input: {
    readonly name: string
    readonly url: string
    readonly events: ReadonlyArray<EventType>
  }): Promise<Webhook & { readonly secret: string }> {
    if (typeof input.name !== "string" || input.name.trim() === "") {
      throw new Errors.ValidationError({
        code: "invalid_option",
        field: "name",
        message: "name is required: a label to identify the webhook, like \"Telegram Bot\""
      })
    }
    if (!Array.isArray(input.events) || input.events.length === 0) {
      throw new Errors.ValidationError({
        code: "invalid_event_filter",
        field: "events",
        message: "events is required: subscribe to at least one of signal.buy, signal.sell, backtest.run, order.filled"
      })
    }
    const endpoint = await this.hookwire.endpoints.create({
      tenant: this.account,
      name: input.name.trim(),
      url: input.url,
      eventTypes: input.events
    })
    return { ...toWebhook(endpoint), secret: endpoint.secret }
  }

  async list(): Promise<ReadonlyArray<Webhook>> {
    const endpoints = await all((cursor) => this.hookwire.endpoints.list({ tenant: this.account, cursor, limit: 100 }))
    return endpoints.map(toWebhook)
  }

  async get(id: string): Promise<Webhook> {
    return toWebhook(await this.hookwire.endpoints.get({ tenant: this.account, id }))
  }

  async delete(id: string): Promise<void> {
    await this.hookwire.endpoints.delete({ tenant: this.account, id })
  }

  /**
   * The delivery log of one webhook (or of every webhook of the account), newest first: each delivery's status and
   * the response code and body of its attempt.
   */
  async deliveries(
    options: { readonly webhookId?: string | undefined; readonly limit?: number | undefined } = {}
  ): Promise<ReadonlyArray<DeliveryLogEntry>> {
    const tenant = this.account
    const endpointId = options.webhookId
    const [deliveries, attempts] = await Promise.all([
      all((cursor) => this.hookwire.deliveries.list({ tenant, endpointId, cursor, limit: 100 })),
      all((cursor) => this.hookwire.deliveries.attempts({ tenant, endpointId, cursor, limit: 100 }))
    ])
    // Attempts come oldest first: the last one of a delivery wins.
    const lastAttempt = new Map(attempts.map((a) => [a.deliveryId, a]))
    const newest = deliveries.reverse().slice(0, options.limit ?? 100)
    const types = new Map<string, string>()
    for (const messageId of new Set(newest.map((d) => d.messageId))) {
      types.set(messageId, (await this.hookwire.messages.get({ tenant, id: messageId })).type)
    }
    return newest.map((d): DeliveryLogEntry => {
      const attempt = lastAttempt.get(d.id)
      return {
        id: d.id,
        webhook_id: d.endpointId,
        event: types.get(d.messageId) ?? "",
        status: d.status,
        response_code: attempt?.responseStatus ?? null,
        response_body: attempt?.responseBody ?? null,
        error: attempt?.errorKind ?? null,
        attempted_at: attempt === undefined ? null : attempt.startedAt.toISOString(),
        duration_ms: attempt?.durationMs ?? null,
        created_at: d.createdAt.toISOString()
      }
    })
  }
}

/** One account's view of the platform. */
export interface Account {
  readonly id: string
  readonly webhooks: WebhooksApi
}

/**
 * APIndicators' webhook platform: one Hookwire engine configured as the docs page describes.
 */
export class TradingSignals {
  readonly hookwire: Hookwire.Hookwire<SignalEvents>

  constructor(options: TradingSignalsOptions) {
    const planOf = options.planOf
    this.hookwire = createHookwire({
      adapter: options.adapter ?? memory(),
      catalog,
      envelope,
      scheme: presets.tradingSignals,
      // No automatic retries: one attempt; a non-2xx answer, a timeout or a connection error is final.
      retryPolicy: RetryPolicy.none,
      timeout: options.timeout ?? defaults.timeout,
      // HTTP URLs are accepted but discouraged: Hookwire logs a warning for each one.
      allowHttp: true,
      endpointLimit: async (account) => {
        const plan = await planOf(account)
        const limit = PLAN_LIMITS[plan]
        if (limit === undefined) throw new Error(`unknown plan ${JSON.stringify(plan)} for account ${account}`)
        return limit
      },
      http: options.http,
      dispatcher: options.dispatcher,
      onEvent: options.onEvent
    })
  }

  account(id: string): Account {
    return { id, webhooks: new WebhooksApi(this.hookwire, id) }
  }

  /** Sends an event to the account's webhooks subscribed to its type. Resolves once queued. */
  publish<K extends EventType>(account: string, type: K, data: SignalEvents[K]): Promise<Webhooks.PublishResult> {
    return this.hookwire.publish({ tenant: account, type, data })
  }

  start(): Promise<void> {
    return this.hookwire.start()
  }

  close(): Promise<void> {
    return this.hookwire.close()
  }
}
