/**
 * The HTTP-date grammar of RFC 9110 §5.6.7, for `Retry-After` (`RetryPolicy.parseRetryAfter`).
 */

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11
}
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})"
// RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms every recipient must accept.
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, "i")
const RFC_850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
  "i"
)
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} +(\\d{1,2}) ${TIME} (\\d{4})$`, "i")

const utc = (year: number, month: number, day: number, h: number, m: number, s: number): number | undefined => {
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined
  const date = new Date(0)
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 19xx.
  date.setUTCFullYear(year, month, day)
  if (date.getUTCMonth() !== month) return undefined // 31 Feb and the like
  date.setUTCHours(h, m, s, 0)
  return date.getTime()
}

/**
 * An HTTP-date as epoch ms: IMF-fixdate, or the obsolete RFC 850 (two-digit year, read relative to `now`) and asctime
 * forms every recipient must accept (RFC 9110 §5.6.7); `undefined` for anything else or an impossible date.
 */
export const parse = (value: string, now: number): number | undefined => {
  let match = IMF_FIXDATE.exec(value)
  if (match !== null) {
    const [, d, mon, y, h, m, s] = match
    return utc(Number(y), MONTHS[mon.toLowerCase()], Number(d), Number(h), Number(m), Number(s))
  }
  match = RFC_850.exec(value)
  if (match !== null) {
    const [, d, mon, yy, h, m, s] = match
    // RFC 9110: a two-digit year more than 50 years in the future is the most recent past year ending that way.
    const nowYear = new Date(now).getUTCFullYear()
    let year = nowYear - (nowYear % 100) + Number(yy)
    if (year > nowYear + 50) year -= 100
    return utc(year, MONTHS[mon.toLowerCase()], Number(d), Number(h), Number(m), Number(s))
  }
  match = ASCTIME.exec(value)
  if (match !== null) {
    const [, mon, d, h, m, s, y] = match
    return utc(Number(y), MONTHS[mon.toLowerCase()], Number(d), Number(h), Number(m), Number(s))
  }
  return undefined
}
