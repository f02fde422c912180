/** Display helpers shared by the screens: times, rates, statuses. */
import type { Attempt, Delivery, Endpoint, EndpointStats } from "../client/types.js"

/** "3 min ago", "in 20 s", or the date for anything older than a week. */
export const relativeTime = (iso: string | null, now: number = Date.now()): string => {
  if (iso === null) return "—"
  const at = Date.parse(iso)
  const seconds = Math.round((at - now) / 1000)
  const abs = Math.abs(seconds)
  const say = (n: number, unit: string) => (seconds < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`)
  if (abs < 5) return "just now"
  if (abs < 60) return say(abs, "s")
  if (abs < 3600) return say(Math.round(abs / 60), "min")
  if (abs < 86400) return say(Math.round(abs / 3600), "h")
  if (abs < 7 * 86400) return say(Math.round(abs / 86400), "d")
  return new Date(at).toISOString().slice(0, 10)
}

/** Successful attempts over the last day as a percentage, or null when there were none. */
export const successRate = (stats: EndpointStats | undefined): number | null => {
  const day = stats?.windows.day.attempts
  if (day === undefined || day.total === 0) return null
  return Math.round((day.succeeded / day.total) * 1000) / 10
}

export type EndpointState = "enabled" | "disabled" | "circuit-open" | "failing"

/** The one status an endpoint shows: disabled wins, then an open circuit, then a run of failures. */
export const endpointState = (endpoint: Endpoint): { readonly state: EndpointState; readonly label: string } => {
  if (endpoint.disabled) {
    return {
      state: "disabled",
      label: endpoint.disabledReason === null ? "Disabled" : `Disabled: ${endpoint.disabledReason}`
    }
  }
  if (endpoint.health.circuit.state === "open") {
    const retry = endpoint.health.circuit.retryAt
    return {
      state: "circuit-open",
      label: `Paused (circuit open)${retry === null ? "" : `, retries ${relativeTime(retry)}`}`
    }
  }
  if (endpoint.health.consecutiveFailures > 0) {
    return { state: "failing", label: `Failing (${endpoint.health.consecutiveFailures} in a row)` }
  }
  return { state: "enabled", label: "Enabled" }
}

/** What the last try of a delivery got: "HTTP 500", "timeout", or "—". */
export const deliveryResult = (delivery: Delivery): string =>
  delivery.lastResponseStatus !== null
    ? `HTTP ${delivery.lastResponseStatus}`
    : delivery.lastError !== null
    ? delivery.lastError
    : "—"

export const attemptResult = (attempt: Attempt): string =>
  attempt.responseStatus !== null
    ? `HTTP ${attempt.responseStatus}`
    : `${attempt.errorKind ?? "error"}${attempt.errorMessage === null ? "" : `: ${attempt.errorMessage}`}`

export const attemptSucceeded = (attempt: Attempt): boolean =>
  attempt.responseStatus !== null && attempt.responseStatus >= 200 && attempt.responseStatus < 300

/** JSON text pretty-printed when it parses, else as it came. */
export const prettyBody = (text: string | null): string => {
  if (text === null || text === "") return "(empty)"
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/** A `datetime-local` input's value (local time) as an ISO UTC string; undefined when empty or invalid. */
export const localInputToIso = (value: string): string | undefined => {
  if (value === "") return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** An instant as a `datetime-local` input's value, in local time. */
export const isoToLocalInput = (ms: number): string => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}
