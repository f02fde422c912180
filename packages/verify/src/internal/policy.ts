/**
 * Timestamp parsing and the tolerance window, shared by every scheme that carries a timestamp. The window is
 * symmetric: a timestamp more than `tolerance` seconds in the past is a replay (or a very late retry), more than
 * `tolerance` seconds in the future is a forged or skewed clock. Exactly `tolerance` seconds either way is accepted.
 *
 * @internal
 */
import { WebhookVerificationError } from "../VerifyError.js"

// 12 digits is the year 33658; anything longer is garbage, and stopping early keeps the number exact.
const MAX_DIGITS = 12

/** Unix seconds from a header value made only of ASCII digits. */
export const parseTimestamp = (value: string, header: string): number => {
  const len = value.length
  if (len === 0 || len > MAX_DIGITS) throw invalidTimestamp(header, len)
  let n = 0
  for (let i = 0; i < len; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) throw invalidTimestamp(header, len)
    n = n * 10 + d
  }
  return n
}

const invalidTimestamp = (header: string, len: number) =>
  new WebhookVerificationError(
    "invalid_timestamp",
    `the ${header} header must be a unix time in whole seconds (ASCII digits only)${
      len > MAX_DIGITS ? ", but it is too long" : ""
    }; milliseconds or ISO dates mean the sender uses another scheme`
  )

/** Throws unless `timestamp` (unix s) is within `tolerance` seconds of `now` (epoch ms). */
export const checkTolerance = (timestamp: number, header: string, tolerance: number, now: number): void => {
  const current = Math.floor(now / 1000)
  if (current - timestamp > tolerance) {
    throw new WebhookVerificationError(
      "timestamp_too_old",
      `the ${header} header is ${current - timestamp} s in the past, beyond the ${tolerance} s tolerance: ` +
        "this is a replayed or long-delayed request; if the receiver's clock is wrong, fix it (NTP)"
    )
  }
  if (timestamp - current > tolerance) {
    throw new WebhookVerificationError(
      "timestamp_too_new",
      `the ${header} header is ${timestamp - current} s in the future, beyond the ${tolerance} s tolerance: ` +
        "the sender's or the receiver's clock is wrong (NTP), or the timestamp is not in seconds"
    )
  }
}
