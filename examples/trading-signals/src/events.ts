/**
 * The trading-signal event catalog: the four event types of the APIndicators webhooks page. `signal.buy` and
 * `signal.sell` follow the page's payload example (`pair`, `side`, `score`, `market_type`, `interval`); backtests and
 * fills carry what a bot needs to act on them. Field names are snake_case, as on the page.
 */
import { Catalog } from "@hookwire/core"
import { Schema } from "effect"

/** A trading pair as the exchange writes it: `BTCUSDT`, `ETHUSDT`. */
export const Pair = Schema.String.pipe(
  Schema.pattern(/^[A-Z0-9]{2,20}$/),
  Schema.annotations({ identifier: "Pair", description: "Trading pair, upper case: BTCUSDT" })
)

/** Candle interval of the model that produced the signal. */
export const Interval = Schema.Literal("5m", "15m", "30m", "1h", "4h", "1d")

const Score = Schema.Number.pipe(Schema.between(0, 1), Schema.annotations({ description: "Model confidence, 0…1" }))
const IsoTime = Schema.String.pipe(
  Schema.filter((s) => !Number.isNaN(Date.parse(s)) || "an ISO-8601 date-time"),
  Schema.annotations({ description: "ISO-8601 date-time" })
)

const signal = <Side extends "buy" | "sell">(side: Side) =>
  Schema.Struct({
    pair: Pair,
    side: Schema.Literal(side),
    score: Score,
    market_type: Schema.String.pipe(Schema.annotations({ description: "Market regime: trending, ranging, volatile" })),
    interval: Interval
  })

/** `signal.buy`: the ML model produced a BUY signal above the production threshold. */
export const SignalBuy = signal("buy")
/** `signal.sell`: the ML model produced a SELL signal above the production threshold. */
export const SignalSell = signal("sell")

/** `backtest.run`: a strategy backtest completed. */
export const BacktestRun = Schema.Struct({
  backtest_id: Schema.String,
  strategy: Schema.String,
  pair: Pair,
  interval: Interval,
  period_start: IsoTime,
  period_end: IsoTime,
  trades: Schema.Int.pipe(Schema.nonNegative()),
  win_rate: Schema.Number.pipe(Schema.between(0, 1)),
  total_return_pct: Schema.Number,
  max_drawdown_pct: Schema.Number
})

/** `order.filled`: a simulated position closed at its take profit or stop loss. */
export const OrderFilled = Schema.Struct({
  position_id: Schema.String,
  pair: Pair,
  side: Schema.Literal("buy", "sell"),
  exit_reason: Schema.Literal("take_profit", "stop_loss"),
  entry_price: Schema.Number.pipe(Schema.positive()),
  exit_price: Schema.Number.pipe(Schema.positive()),
  pnl_pct: Schema.Number,
  opened_at: IsoTime,
  filled_at: IsoTime
})

/**
 * @since 0.1.0
 * @category models
 */
export const catalog = Catalog.make({
  "signal.buy": {
    description: "The ML model generated a BUY signal that passes the production threshold",
    schema: SignalBuy
  },
  "signal.sell": {
    description: "The ML model generated a SELL signal that passes the production threshold",
    schema: SignalSell
  },
  "backtest.run": { description: "A strategy backtest completed", schema: BacktestRun },
  "order.filled": { description: "A simulated position was filled (take profit or stop loss hit)", schema: OrderFilled }
})

/** The event types, with the data `publish` accepts for each (a type alias, so it fits `Record<string, unknown>`). */
export type SignalEvents = {
  readonly "signal.buy": typeof SignalBuy.Type
  readonly "signal.sell": typeof SignalSell.Type
  readonly "backtest.run": typeof BacktestRun.Type
  readonly "order.filled": typeof OrderFilled.Type
}

/** @since 0.1.0 */
export type EventType = keyof SignalEvents

/** Every event type, in the order of the docs page. */
export const eventTypes: ReadonlyArray<EventType> = ["signal.buy", "signal.sell", "backtest.run", "order.filled"]
