/**
 * What every broker transport does with a request before publishing: the credentials come from the endpoint's
 * sealed `Authorization` sensitive header (Basic user:password, or Bearer token for NATS) and are never forwarded as
 * a message header; every other header (signature, id, timestamp, content type, the endpoint's own) travels with the
 * message. And how a thrown client error becomes a `TransportError` — built from its code, never from the request.
 *
 * @internal
 */
import { TransportError } from "@hookwire/core/Errors"

export interface Credentials {
  readonly username?: string | undefined
  readonly password?: string | undefined
  readonly token?: string | undefined
}

/** The message headers (without `authorization`) and the credentials it carried. */
export const split = (
  headers: Readonly<Record<string, string>>
): { readonly headers: Record<string, string>; readonly credentials: Credentials | TransportError } => {
  const out: Record<string, string> = {}
  let authorization: string | undefined
  for (const name in headers) {
    if (name.toLowerCase() === "authorization") authorization = headers[name]
    else out[name] = headers[name]
  }
  return { headers: out, credentials: authorization === undefined ? {} : credentialsOf(authorization) }
}

const credentialsOf = (authorization: string): Credentials | TransportError => {
  const space = authorization.indexOf(" ")
  const scheme = authorization.slice(0, space).toLowerCase()
  const value = authorization.slice(space + 1).trim()
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8")
    const colon = decoded.indexOf(":")
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  if (scheme === "bearer" && value.length > 0) return { token: value }
  return new TransportError({
    code: "protocol",
    message: "the authorization sensitive header of a broker destination must be \"Basic <base64 of user:password>\"" +
      " (or \"Bearer <token>\" for NATS)"
  })
}

const connectCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"])
const dnsCodes = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME"])

/** A client's error as a `TransportError`, its message from the error's code and the broker's own text. */
export const transportError = (error: unknown, broker: string): TransportError => {
  if (error instanceof TransportError) return error
  const code = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : ""
  const text = error instanceof Error ? error.message : String(error)
  if (dnsCodes.has(code)) {
    return new TransportError({ code: "dns", message: `${broker}: ${code} (host name not found)` })
  }
  if (code === "ETIMEDOUT" || /timed? ?out/i.test(text)) {
    return new TransportError({ code: "timeout", message: `${broker}: timed out (${code || text})` })
  }
  if (connectCodes.has(code)) return new TransportError({ code: "connect", message: `${broker}: ${code}` })
  if (/certificate|tls|ssl/i.test(text)) return new TransportError({ code: "tls", message: `${broker}: ${text}` })
  return new TransportError({ code: "connect", message: `${broker}: ${text.slice(0, 300)}` })
}
