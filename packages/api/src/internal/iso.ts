/**
 * `Date#toISOString` for the response encoders, about nine times faster: a page of 50 deliveries carries 150 dates,
 * and V8's own formatting of them cost more than the rest of the page's encoding. The day part ("2026-12-07T") is
 * formatted once per day (by `toISOString` itself) and remembered; the time of day is joined from three tables
 * ("HH:MM:", "SS.", "mmmZ"). Years outside 0000–9999 (toISOString's ±YYYYYY form) and invalid dates (its RangeError) go
 * to `toISOString`, so the result is always exactly what it gives.
 *
 * @internal
 */

const DAY = 86_400_000
/** 10000-01-01T00:00:00.000Z: the first time toISOString writes with six year digits. */
const END = 253_402_300_800_000

const two = (n: number) => String(n).padStart(2, "0")
/** "HH:MM:" by minute of the day, "SS." by second, "mmmZ" by millisecond: three joins a time, few strings made. */
const MINUTES = Array.from({ length: 1440 }, (_, n) => `${two(Math.floor(n / 60))}:${two(n % 60)}:`)
const SECONDS = Array.from({ length: 60 }, (_, n) => `${two(n)}.`)
const MILLIS = Array.from({ length: 1000 }, (_, n) => `${String(n).padStart(3, "0")}Z`)

/** Days → "YYYY-MM-DDT". A log spans few days; the cache is emptied when it holds too many. */
const days = new Map<number, string>()
const MAX_DAYS = 4096

const dayPrefix = (day: number): string => {
  let prefix = days.get(day)
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11)
    if (days.size >= MAX_DAYS) days.clear()
    days.set(day, prefix)
  }
  return prefix
}

/** The ISO-8601 form of an epoch time in milliseconds, exactly as `new Date(ms).toISOString()` writes it. */
export const fromEpoch = (ms: number): string => {
  if (!(ms >= 0 && ms < END) || !Number.isInteger(ms)) return new Date(ms).toISOString()
  const day = Math.floor(ms / DAY)
  const rest = ms - day * DAY
  const minute = Math.floor(rest / 60_000)
  const millis = rest - minute * 60_000
  const second = Math.floor(millis / 1000)
  return dayPrefix(day) + MINUTES[minute] + SECONDS[second] + MILLIS[millis - second * 1000]
}

/** `date.toISOString()`, faster (see the module's header). */
export const fromDate = (date: Date): string => fromEpoch(date.getTime())
