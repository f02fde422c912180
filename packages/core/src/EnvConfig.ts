/**
 * `Config` constructors for Hookwire's `HOOKWIRE_*` values. Each checks the value as well as its type, so that every
 * bad value is a `ConfigError` naming the variable and saying what is accepted (`HOOKWIRE_TIMEOUT="2 minutes"`:
 * "Expected a duration between 1ms and 1m, like \"10 seconds\" or \"500 millis\", got \"2 minutes\""), never a defect
 * later when the layer resolves its options. Every `defaultConfig` of the packages is built from these, and so can a
 * host's own `Config` for `layerConfig`.
 *
 * @since 0.2.0
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Errors from "./Errors.js"

const invalid = (message: string) => Either.left(ConfigError.InvalidData([], message))

const checked = <A>(
  name: string,
  parse: (text: string) => Either.Either<A, ConfigError.ConfigError>
): Config.Config<A> => Config.nested(Config.mapOrFail(Config.string(), (text) => parse(text.trim())), name)

/**
 * Bounds of a duration; both inclusive.
 *
 * @since 0.2.0
 * @category models
 */
export interface DurationBounds {
  readonly min?: Duration.DurationInput | undefined
  readonly max?: Duration.DurationInput | undefined
}

const describeRange = (min: string | undefined, max: string | undefined): string =>
  min !== undefined && max !== undefined
    ? ` between ${min} and ${max}`
    : min !== undefined
    ? ` of at least ${min}`
    : max !== undefined
    ? ` of at most ${max}`
    : ""

/**
 * A duration such as `"10 seconds"`, `"500 millis"` or `"2 minutes"`, within `bounds`.
 *
 * @since 0.2.0
 * @category config
 */
export const duration = (name: string, bounds: DurationBounds = {}): Config.Config<Duration.Duration> => {
  const min = bounds.min === undefined ? undefined : Duration.decode(bounds.min)
  const max = bounds.max === undefined ? undefined : Duration.decode(bounds.max)
  const accepted = `a duration${describeRange(min && Duration.format(min), max && Duration.format(max))}, ` +
    `like "10 seconds", "500 millis" or "2 minutes"`
  return checked(name, (text) => {
    const decoded = Duration.decodeUnknown(text)
    if (Option.isNone(decoded)) return invalid(`Expected ${accepted}, got "${text}"`)
    const value = decoded.value
    if (
      (min !== undefined && Duration.lessThan(value, min)) || (max !== undefined && Duration.greaterThan(value, max))
    ) {
      return invalid(`Expected ${accepted}, got "${text}"`)
    }
    return Either.right(value)
  })
}

/**
 * Bounds of a number; both inclusive.
 *
 * @since 0.2.0
 * @category models
 */
export interface NumberBounds {
  readonly min?: number | undefined
  readonly max?: number | undefined
}

const numeric = (name: string, what: string, bounds: NumberBounds, whole: boolean): Config.Config<number> => {
  const accepted = `${what}${describeRange(bounds.min?.toString(), bounds.max?.toString())}`
  return checked(name, (text) => {
    const value = text === "" ? Number.NaN : Number(text)
    if (
      !Number.isFinite(value) || (whole && !Number.isSafeInteger(value)) ||
      (bounds.min !== undefined && value < bounds.min) || (bounds.max !== undefined && value > bounds.max)
    ) {
      return invalid(`Expected ${accepted}, got "${text}"`)
    }
    return Either.right(value)
  })
}

/**
 * A whole number within `bounds`.
 *
 * @since 0.2.0
 * @category config
 */
export const integer = (name: string, bounds: NumberBounds = {}): Config.Config<number> =>
  numeric(name, "a whole number", bounds, true)

/**
 * A finite number within `bounds`.
 *
 * @since 0.2.0
 * @category config
 */
export const number = (name: string, bounds: NumberBounds = {}): Config.Config<number> =>
  numeric(name, "a number", bounds, false)

const TRUE = new Set(["true", "yes", "on", "1"])
const FALSE = new Set(["false", "no", "off", "0"])

/**
 * `true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0`, any case).
 *
 * @since 0.2.0
 * @category config
 */
export const boolean = (name: string): Config.Config<boolean> =>
  checked(name, (text) => {
    const lower = text.toLowerCase()
    if (TRUE.has(lower)) return Either.right(true)
    if (FALSE.has(lower)) return Either.right(false)
    return invalid(`Expected true or false (or yes/no, on/off, 1/0), got "${text}"`)
  })

/**
 * A URL with one of `protocols` (e.g. `["postgres:", "postgresql:"]`), kept `Redacted` (it may hold a password).
 * The message of a bad value never repeats the value.
 *
 * @since 0.2.0
 * @category config
 */
export const redactedUrl = (
  name: string,
  protocols: ReadonlyArray<string>
): Config.Config<Redacted.Redacted<string>> => {
  const accepted = `a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`
  return checked(name, (text) => {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      return invalid(`Expected ${accepted}; the value is not a URL (not shown: it may hold a password)`)
    }
    if (!protocols.includes(url.protocol)) {
      return invalid(`Expected ${accepted}, got a ${url.protocol} URL`)
    }
    return Either.right(Redacted.make(text))
  })
}

/**
 * A value read by `parse`: `Either.right(value)`, or `Either.left(message)` saying what is accepted (the message must
 * not repeat a secret value).
 *
 * @since 0.2.0
 * @category config
 */
export const parsed = <A>(name: string, parse: (text: string) => Either.Either<A, string>): Config.Config<A> =>
  checked(name, (text) => Either.mapLeft(parse(text), (message) => ConfigError.InvalidData([], message)))

/**
 * `config`, or `undefined` when its variable is not set (a set but bad value is still a `ConfigError`).
 *
 * @since 0.2.0
 * @category config
 */
export const optional = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

/**
 * For a `layerConfig`: the `ValidationError` of a bad option (`invalid_option`) as a `ConfigError` (`InvalidData` at
 * the option's path, with its message), since the option came through `Config` (the environment, or code with
 * `Config.succeed`): a bad value read from `Config` is a `ConfigError`, wherever it was checked. Other errors stay as
 * they are. For a Layer: `Layer.mapError(layer, EnvConfig.toConfigError)`.
 *
 * @since 0.2.0
 * @category config
 */
export const toConfigError = <E>(error: E): Exclude<E, Errors.ValidationError> | ConfigError.ConfigError =>
  error instanceof Errors.ValidationError
    ? ConfigError.InvalidData(error.field.split("."), error.message)
    : error as Exclude<E, Errors.ValidationError>

/**
 * `toConfigError` on the failure of an effect.
 *
 * @since 0.2.0
 * @category config
 */
export const asConfigError = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, Errors.ValidationError> | ConfigError.ConfigError, R> =>
  Effect.mapError(self, toConfigError)

/**
 * `Errors.checkOptions` for a `layerConfig`: options that came through `Config` are checked the same way, and a bad
 * one is a `ConfigError` like a bad environment value, never a defect.
 *
 * @since 0.2.0
 * @category config
 */
export const checkOptions = <A>(resolve: () => A): Effect.Effect<A, ConfigError.ConfigError> =>
  asConfigError(Errors.checkOptions(resolve))
