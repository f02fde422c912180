/**
 * The market-alert event catalog: the four event types of the VecTrade webhooks page, each with a Schema shaped after
 * the page's payload example (snake_case fields, prices as numbers, times as ISO-8601 strings). `publish` validates
 * `data` against these Schemas, and `symbolsOf` names the ticker symbols an event concerns — the channels an
 * endpoint's `symbols` filter is matched against.
 */
import { Catalog } from "@hookwire/core"
import { Schema } from "effect"

/** A ticker symbol as VecTrade writes it: `AAPL`, `BRK.B`, `BTC-USD`. */
export const Ticker = Schema.String.pipe(
  Schema.pattern(/^[A-Z0-9][A-Z0-9.\-]{0,14}$/),
  Schema.annotations({ identifier: "Ticker", description: "Ticker symbol, upper case: AAPL, BRK.B, BTC-USD" })
)

const Price = Schema.Number.pipe(Schema.nonNegative(), Schema.annotations({ description: "Price in USD" }))
const IsoTime = Schema.String.pipe(
  Schema.filter((s) => !Number.isNaN(Date.parse(s)) || "an ISO-8601 date-time"),
  Schema.annotations({ description: "ISO-8601 date-time" })
)

/** `quote.update`: the price moved by more than the subscription's threshold. */
export const QuoteUpdate = Schema.Struct({
  symbol: Ticker,
  price: Price,
  previous_close: Price,
  change: Schema.Number,
  change_percent: Schema.Number,
  volume: Schema.Int.pipe(Schema.nonNegative())
})

/** `price.alert`: the price crossed a level the account configured (the payload example of the docs page). */
export const PriceAlert = Schema.Struct({
  symbol: Ticker,
  price: Price,
  alert_type: Schema.Literal("crosses_above", "crosses_below"),
  threshold: Price
})

/** `news.published`: a new article mentions at least one watched symbol. */
export const NewsPublished = Schema.Struct({
  article_id: Schema.String,
  symbols: Schema.NonEmptyArray(Ticker),
  headline: Schema.String,
  source: Schema.String,
  url: Schema.String,
  published_at: IsoTime
})

/** `screener.match`: a stock newly matches a saved screener's criteria. */
export const ScreenerMatch = Schema.Struct({
  screener_id: Schema.String,
  screener_name: Schema.String,
  symbol: Ticker,
  price: Price,
  criteria: Schema.Array(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export const catalog = Catalog.make({
  "quote.update": { description: "Price change exceeds threshold", schema: QuoteUpdate },
  "price.alert": { description: "Price crosses configured level", schema: PriceAlert },
  "news.published": { description: "New article for watched symbols", schema: NewsPublished },
  "screener.match": { description: "Stock newly matches screener criteria", schema: ScreenerMatch }
})

/** The event types, with the data `publish` accepts for each (a type alias, so it fits `Record<string, unknown>`). */
export type MarketEvents = {
  readonly "quote.update": typeof QuoteUpdate.Type
  readonly "price.alert": typeof PriceAlert.Type
  readonly "news.published": typeof NewsPublished.Type
  readonly "screener.match": typeof ScreenerMatch.Type
}

/** @since 0.1.0 */
export type EventType = keyof MarketEvents

/** Every event type, in the order of the docs page. */
export const eventTypes: ReadonlyArray<EventType> = ["quote.update", "price.alert", "news.published", "screener.match"]

/**
 * The symbols an event concerns: sent as the message's channels, so an endpoint with a `symbols` filter receives it
 * only when the two share a symbol.
 */
export const symbolsOf = <K extends EventType>(type: K, data: MarketEvents[K]): ReadonlyArray<string> =>
  type === "news.published" ? (data as MarketEvents["news.published"]).symbols : [(data as { symbol: string }).symbol]
