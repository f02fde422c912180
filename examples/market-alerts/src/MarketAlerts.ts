/**
 * VecTrade's market-alert webhooks, built with nothing but Hookwire configuration:
 *
 * - the catalog of `quote.update`, `price.alert`, `news.published` and `screener.match` (see `events.ts`);
 * - the documented body `{"id":"evt_…","type":…,"created_at":ISO,"data":{…}}` (a custom `envelope`);
 * - `X-VQ-Signature` / `X-VQ-Timestamp` / `X-VQ-Webhook-Id` (the `presets.marketAlerts` scheme of `@hookwire/verify`);
 * - 3 retries (`RetryPolicy.fixed` with three delays), a 5 s timeout, HTTPS only (http is not allowed);
 * - `symbols` filters as Hookwire channels: every event is published with the symbols it concerns.
 *
 * `MarketAlerts` is the host's side (one per process: it owns the engine and publishes); `client(account)` is what the
 * docs page calls the SDK — `client.webhooks.create({ url, events, symbols })` and friends, scoped to one account
 * (a Hookwire tenant).
 */
import { createHookwire, RetryPolicy } from "@hookwire/core"
import type { Dispatcher, Envelope, Hookwire, HttpTransport, OperationalEvents, Webhooks } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import { presets } from "@hookwire/verify"
import type { Duration } from "effect"
import { catalog, type EventType, type MarketEvents, symbolsOf } from "./events.js"

/**
 * The documented behaviour: 3 retries, a 5 s deadline for the receiver. The retry delays are VecTrade's choice (the
 * page only promises the count): 1 minute, 10 minutes, 1 hour after the previous attempt, ±10 % jitter.
 */
export const defaults = {
  timeout: "5 seconds",
  retryDelays: ["1 minute", "10 minutes", "1 hour"],
  retryJitter: 0.1
} as const

/** The webhooks page promises exactly this many retries; only their spacing is configurable. */
export const RETRIES = 3

export interface MarketAlertsOptions {
  /** Storage and queue. Default: in memory (one process). */
  readonly adapter?: Hookwire.Adapter | undefined
  /** The three delays between attempts (default {@link defaults}). Tests pass milliseconds to run fast. */
  readonly retryDelays?: ReadonlyArray<Duration.DurationInput> | undefined
  /** Spread of each retry delay, a fraction in [0, 1]. Default 0.1. */
  readonly retryJitter?: number | undefined
  /** How long a receiver has to answer. Default 5 s (the documented value); tests shorten it. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * The HTTP transport. HTTPS is always required and certificates are always verified; `ca` adds a trusted CA (a
   * private PKI, or a test CA), `allowCidrs` opens the SSRF guard for exact non-public addresses (tests: 127.0.0.1).
   */
  readonly http?: HttpTransport.Options | undefined
  readonly dispatcher?: Dispatcher.Options | undefined
  readonly onEvent?: ((event: OperationalEvents.OperationalEvent) => void | Promise<void>) | undefined
}

/** `msg_01J…` → `evt_01J…`: the event id in the body is the message id, so it is the same for every endpoint and try. */
export const eventIdOf = (messageId: string): string => `evt_${messageId.replace(/^msg_/, "")}`

/** ISO-8601 in UTC to the second, as on the docs page (`2026-05-15T14:30:00Z`). */
const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z")

/**
 * The documented payload: `{ "id": "evt_…", "type": …, "created_at": ISO, "data": { … } }`. It runs once per
 * message; the same bytes go to every endpoint and every retry.
 */
export const envelope: Envelope.Envelope = (message) => ({
  id: eventIdOf(message.id),
  type: message.type,
  created_at: isoSeconds(message.timestamp),
  data: message.data
})

/** A webhook as the API shows it. Its secret is never part of it: it is shown once, by `create`. */
export interface Webhook {
  readonly id: string
  readonly url: string
  readonly events: ReadonlyArray<string>
  readonly symbols: ReadonlyArray<string>
  readonly created_at: string
}

const toWebhook = (endpoint: Webhooks.Endpoint): Webhook => ({
  id: endpoint.id,
  url: endpoint.url,
  events: endpoint.eventTypes,
  symbols: endpoint.channels,
  created_at: isoSeconds(endpoint.createdAt)
})

/**
 * `client.webhooks`: the webhooks of one account. A thin layer over the Hookwire endpoint API: `events` is the event
 * type filter, `symbols` the channel filter (omitted or empty = every symbol).
 */
export class WebhooksApi {
  constructor(
    private readonly hookwire: Hookwire.Hookwire<MarketEvents>,
    readonly account: string
  ) {}

  /** Registers a URL (https only). The signing secret is in the result and is never shown again. */
  async create(input: {
    readonly url: string
    readonly events?: ReadonlyArray<EventType> | undefined
    readonly symbols?: ReadonlyArray<string> | undefined
  }): Promise<Webhook & { readonly secret: string }> {
    const endpoint = await this.hookwire.endpoints.create({
      tenant: this.account,
      url: input.url,
      eventTypes: input.events,
      // Symbols are matched exactly; accept "aapl" for "AAPL".
      channels: input.symbols?.map((symbol) => symbol.trim().toUpperCase())
    })
    return { ...toWebhook(endpoint), secret: endpoint.secret }
  }

  /** Every webhook of the account, oldest first. */
  async list(): Promise<ReadonlyArray<Webhook>> {
    const out: Array<Webhook> = []
    let cursor: string | undefined
    // Bounded: one page per 100 webhooks, and an account never has anywhere near 1,000 pages.
    for (let page = 0; page < 1_000; page++) {
      const result = await this.hookwire.endpoints.list({ tenant: this.account, cursor, limit: 100 })
      out.push(...result.items.map(toWebhook))
      if (result.nextCursor === null) break
      cursor = result.nextCursor
    }
    return out
  }

  async get(id: string): Promise<Webhook> {
    return toWebhook(await this.hookwire.endpoints.get({ tenant: this.account, id }))
  }

  async delete(id: string): Promise<void> {
    await this.hookwire.endpoints.delete({ tenant: this.account, id })
  }

  /**
   * A new signing secret, shown once. `X-VQ-Signature` carries a single signature, so deliveries are signed with
   * the new secret from now on (no grace period: the previous secret stops signing at once); receivers should accept
   * both secrets while they switch over.
   */
  async rotateSecret(id: string): Promise<{ readonly id: string; readonly secret: string }> {
    const { secret } = await this.hookwire.endpoints.rotateSecret({ tenant: this.account, id, grace: 0 })
    return { id, secret }
  }
}

/** The SDK of one account, as on the docs page: `client.webhooks.create(...)`. */
export interface MarketAlertsClient {
  readonly account: string
  readonly webhooks: WebhooksApi
}

/**
 * VecTrade's webhook platform: one Hookwire engine configured as the docs page describes.
 */
export class MarketAlerts {
  readonly hookwire: Hookwire.Hookwire<MarketEvents>

  constructor(options: MarketAlertsOptions = {}) {
    const delays = options.retryDelays ?? defaults.retryDelays
    if (delays.length !== RETRIES) {
      throw new Error(`retryDelays must list exactly ${RETRIES} delays (the docs promise ${RETRIES} retries)`)
    }
    this.hookwire = createHookwire({
      adapter: options.adapter ?? memory(),
      catalog,
      envelope,
      scheme: presets.marketAlerts,
      // X-VQ-Webhook-Id is documented as the delivery id: unique per webhook, stable across retries.
      signatureId: "delivery",
      retryPolicy: RetryPolicy.fixed(delays, { jitter: options.retryJitter ?? defaults.retryJitter }),
      timeout: options.timeout ?? defaults.timeout,
      // HTTPS required: `allowHttp` stays off, so an http:// URL is refused at creation with code "insecure_url".
      allowHttp: false,
      http: options.http,
      dispatcher: options.dispatcher,
      onEvent: options.onEvent
    })
  }

  /** The webhooks API of one account. */
  client(account: string): MarketAlertsClient {
    return { account, webhooks: new WebhooksApi(this.hookwire, account) }
  }

  /**
   * Sends an event to the account's webhooks that subscribe to its type and to one of its symbols. Resolves when the
   * deliveries are queued, not when they are delivered.
   */
  publish<K extends EventType>(account: string, type: K, data: MarketEvents[K]): Promise<Webhooks.PublishResult> {
    return this.hookwire.publish({ tenant: account, type, data, channels: symbolsOf(type, data) })
  }

  /** Starts delivering. */
  start(): Promise<void> {
    return this.hookwire.start()
  }

  /** Stops delivering (in-flight attempts finish) and releases everything. */
  close(): Promise<void> {
    return this.hookwire.close()
  }
}
