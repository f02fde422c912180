/**
 * `createHookwire`'s `logger` and `logLevel`: the engine's log lines at the chosen level and above, to the host's
 * function as `LogEntry` values (messages and causes with anything shaped like a secret replaced), to the console by
 * default, or nowhere (`logger: false`).
 */
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type { LogEntry, Options } from "../../Hookwire.js"
import * as logCause from "../logCause.js"

const levelOf = (label: string): LogEntry["level"] =>
  label === "DEBUG" || label === "TRACE" ? "debug" : label === "WARN" ? "warn" : label === "INFO" ? "info" : "error"

/** The engine's log lines at `logLevel` and above, to `logger` (or the console; `false`: nowhere). */
export const layer = (options: Pick<Options<any>, "logger" | "logLevel">): Layer.Layer<never> => {
  const minimum = Logger.minimumLogLevel(
    options.logLevel === "debug"
      ? LogLevel.Debug
      : options.logLevel === "warn"
      ? LogLevel.Warning
      : options.logLevel === "error"
      ? LogLevel.Error
      : LogLevel.Info
  )
  if (options.logger === undefined) return minimum
  const sink = options.logger
  const replacement = sink === false
    ? Logger.remove(Logger.defaultLogger)
    : Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations, cause, date, logLevel, message }) => {
        const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
        sink({
          level: levelOf(logLevel.label),
          message: logCause.redact(text),
          annotations: Object.fromEntries(HashMap.toEntries(annotations)),
          time: date,
          cause: logCause.render(cause)
        })
      })
    )
  return Layer.merge(minimum, replacement)
}
