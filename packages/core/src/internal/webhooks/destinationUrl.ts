/**
 * An endpoint URL, checked once at create and update for every adapter alike: an HTTP(S) URL by `validate.url`, any
 * other protocol only when the engine's transport serves it (`Transport.destinations`, e.g. `amqp:` with
 * `@hookwire/brokers`), then by that kind's own check. Credentials never ride in the URL, whatever the protocol: a
 * broker's are given as a sealed `Authorization` sensitive header.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { ValidationError } from "../../Errors.js"
import type { Resolved } from "../../Settings.js"
import type { Transport } from "../../Transport.js"
import * as validate from "../validate.js"

const BROKER_PROTOCOLS: ReadonlySet<string> = new Set(["amqp:", "amqps:", "nats:"])

const invalid = (message: string) => new ValidationError({ code: "invalid_url", field: "url", message })

/** The URL to store (normalised) and whether it is unencrypted HTTP. */
export const check = (
  value: unknown,
  settings: Resolved,
  transport: Transport["Type"]
): Effect.Effect<{ readonly url: string; readonly insecure: boolean }, ValidationError> => {
  if (typeof value !== "string") return validate.url(value, settings)
  const protocol = value.slice(0, value.indexOf(":") + 1).toLowerCase()
  if (protocol === "" || protocol === "http:" || protocol === "https:") return validate.url(value, settings)
  const kind = transport.destinations?.find((k) => k.protocols.includes(protocol))
  if (kind === undefined) {
    const served = (transport.destinations ?? []).flatMap((k) => k.protocols)
    // Without broker kinds the message is the one the portal's form also gives (it mirrors the engine's).
    return Effect.fail(
      invalid(
        `url must use https: (got ${protocol})` + (served.length > 0
          ? `; this engine also sends to ${served.join(", ")}`
          : BROKER_PROTOCOLS.has(protocol)
          ? `; broker destinations need an engine whose transport serves them (BrokerTransport from @hookwire/brokers)`
          : "")
      )
    )
  }
  if (value.length > validate.LIMITS.urlLength) {
    return Effect.fail(invalid(`url is longer than ${validate.LIMITS.urlLength} characters`))
  }
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    return Effect.fail(invalid(`url does not parse as a ${kind.name} destination`))
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return Effect.fail(
      new ValidationError({
        code: "url_credentials",
        field: "url",
        message: `url must not carry credentials (user:password@); give the ${kind.name} credentials as a ` +
          `sensitive header instead: sensitiveHeaders: { authorization: "Basic <base64 of user:password>" }`
      })
    )
  }
  const problem = kind.check(parsed)
  if (problem !== undefined) return Effect.fail(invalid(`url is not a valid ${kind.name} destination: ${problem}`))
  parsed.hash = ""
  return Effect.succeed({ url: parsed.toString(), insecure: false })
}
