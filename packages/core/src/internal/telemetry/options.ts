/** `Telemetry.Options` checked once: what `Telemetry.layer` and `createHookwire({ telemetry })` run with. */
import * as Duration from "effect/Duration"
import { ValidationError } from "../../Errors.js"
import type { Options as Input } from "../../Telemetry.js"
import type { Resolved as GaugeOptions } from "./queueGauges.js"

export interface Resolved {
  readonly tenantLabel: boolean
  readonly queueGauges: GaugeOptions | undefined
}

export const defaults = { intervalMs: 15_000, maxCount: 10_000 } as const

const invalid = (field: string, message: string) => new ValidationError({ code: "invalid_option", field, message })

export const resolve = (input: Input | undefined): Resolved | ValidationError => {
  const options = input ?? {}
  if (typeof options !== "object" || options === null) {
    return invalid("telemetry", "telemetry options must be an object, like { tenantLabel: true }")
  }
  if (options.tenantLabel !== undefined && typeof options.tenantLabel !== "boolean") {
    return invalid("tenantLabel", "tenantLabel must be true or false (default false: no tenant label)")
  }
  const gauges = options.queueGauges
  if (gauges === false) return { tenantLabel: options.tenantLabel === true, queueGauges: undefined }
  if (gauges !== undefined && (typeof gauges !== "object" || gauges === null)) {
    return invalid("queueGauges", "queueGauges must be false or { interval?, maxCount? }")
  }
  let intervalMs: number = defaults.intervalMs
  if (gauges?.interval !== undefined) {
    const decoded = Duration.decodeUnknown(gauges.interval)
    if (decoded._tag === "None" || Duration.toMillis(decoded.value) < 10 || !Duration.isFinite(decoded.value)) {
      return invalid(
        "queueGauges.interval",
        `queueGauges.interval must be a duration of at least 10 ms, like "15 seconds"`
      )
    }
    intervalMs = Math.ceil(Duration.toMillis(decoded.value))
  }
  const maxCount = gauges?.maxCount ?? defaults.maxCount
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
    return invalid("queueGauges.maxCount", "queueGauges.maxCount must be a whole number of at least 1 (default 10,000)")
  }
  return { tenantLabel: options.tenantLabel === true, queueGauges: { intervalMs, maxCount } }
}
