/**
 * The endpoint form's checks before a request goes out. They repeat the engine's first URL checks with its exact
 * messages (packages/core/src/internal/validate.ts) so a typo is flagged at the field at once; whatever depends on
 * the host's settings (http allowed, private networks, event names) is the API's answer, shown at the same field.
 */

const URL_LENGTH = 2048
const CHANNEL = /^[A-Za-z0-9_.:\-/]+$/
const CHANNEL_LENGTH = 128

/** The engine's message for a URL it would refuse whatever the settings, or undefined. */
export const urlProblem = (value: string): string | undefined => {
  if (value.length === 0) return "url is required: an absolute https:// URL"
  if (value.length > URL_LENGTH) return `url is longer than ${URL_LENGTH} characters`
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    return "url does not parse: give an absolute URL like https://example.com/webhooks"
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `url must use https: (got ${parsed.protocol})`
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "url must not carry credentials (user:password@); send them in sensitiveHeaders (an Authorization " +
      "header, sealed at rest) instead"
  }
  return undefined
}

/** Splits the channels field (commas, spaces or new lines). */
export const parseChannels = (text: string): Array<string> => [
  ...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter((s) => s !== ""))
]

/** The engine's message for the first invalid channel, or undefined. */
export const channelsProblem = (channels: ReadonlyArray<string>): string | undefined => {
  for (const entry of channels) {
    if (entry.length > CHANNEL_LENGTH || !CHANNEL.test(entry)) {
      return `channel ${
        JSON.stringify(entry)
      } is invalid: use 1–${CHANNEL_LENGTH} characters of letters, digits, "_", ".", ":", "-", "/"`
    }
  }
  return undefined
}
