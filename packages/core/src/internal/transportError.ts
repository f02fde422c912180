/**
 * Maps what undici, `net`, `tls` and `dns` throw to a `TransportError` reason. Messages are built here from the
 * error code (plus the remote address, a TLS verification message or a parser reason) — never from the request,
 * whose headers carry signatures.
 *
 * @internal
 */
import { TransportError } from "../Errors.js"

type Reason = TransportError["code"]

const timeoutCodes: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_HEADERS_TIMEOUT: "timed out waiting for response headers",
  UND_ERR_BODY_TIMEOUT: "timed out waiting for the response body",
  ETIMEDOUT: "connect timed out"
}

const connectCodes: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the receiver",
  EPIPE: "connection closed by the receiver while sending",
  ECONNABORTED: "connection aborted",
  EHOSTUNREACH: "host unreachable",
  EHOSTDOWN: "host down",
  ENETUNREACH: "network unreachable",
  ENETDOWN: "network down",
  EADDRNOTAVAIL: "address not available",
  UND_ERR_SOCKET: "connection closed by the receiver before a complete response"
}

const dnsCodes: Record<string, string> = {
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "DNS lookup failed temporarily",
  EAI_FAIL: "DNS lookup failed",
  EAI_NODATA: "host name has no address",
  EAI_NONAME: "host name not found",
  ENODATA: "host name has no address"
}

const tlsCodes = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_CRL",
  "HOSTNAME_MISMATCH",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "PATH_LENGTH_EXCEEDED",
  "UNSUPPORTED_CERTIFICATE_PURPOSE"
])

const protocolCodes: Record<string, string> = {
  UND_ERR_HEADERS_OVERFLOW: "response headers too large",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "response body length does not match content-length",
  UND_ERR_INFO: "invalid HTTP response",
  UND_ERR_RES_EXCEEDED_MAX_SIZE: "response too large"
}

interface ErrorLike {
  readonly code?: unknown
  readonly message?: unknown
  readonly address?: unknown
  readonly port?: unknown
  readonly hostname?: unknown
  readonly library?: unknown
  readonly errors?: unknown
}

const codeOf = (error: ErrorLike): string | undefined => {
  if (typeof error.code === "string") return error.code
  // `net` with autoSelectFamily reports an AggregateError when every address failed.
  if (Array.isArray(error.errors) && error.errors.length > 0) {
    const first = error.errors[0] as ErrorLike | null
    if (first !== null && typeof first === "object" && typeof first.code === "string") return first.code
  }
  return undefined
}

const remote = (error: ErrorLike): string =>
  typeof error.address === "string" ?
    ` (${error.address}${typeof error.port === "number" ? `:${error.port}` : ""})` :
    ""

const make = (reason: Reason, message: string): TransportError => new TransportError({ code: reason, message })

/**
 * @internal
 */
export const fromCause = (cause: unknown): TransportError => {
  if (cause instanceof TransportError) return cause
  const error: ErrorLike = cause !== null && typeof cause === "object" ? cause : {}
  const code = codeOf(error)
  if (code?.startsWith("HPE_") || (cause instanceof Error && cause.name === "HTTPParserError")) {
    // llhttp's reason says what was wrong ("Expected HTTP/"); the error's `data` (the received bytes) is left out.
    const detail = typeof error.message === "string" ? error.message : code
    return make("protocol", `invalid HTTP response: ${detail}`)
  }
  if (code === undefined) {
    return make("unknown", cause instanceof Error ? `unexpected ${cause.name}` : "unexpected failure")
  }
  if (code === "HOOKWIRE_BLOCKED") return make("blocked", String(error.message))
  // Built by internal/proxyTunnel.ts from the proxy's status line: no credentials, nothing of the request.
  if (code === "HOOKWIRE_PROXY") return make("connect", String(error.message))
  if (Object.hasOwn(timeoutCodes, code)) return make("timeout", timeoutCodes[code])
  if (Object.hasOwn(connectCodes, code)) return make("connect", connectCodes[code] + remote(error))
  if (Object.hasOwn(dnsCodes, code)) {
    return make("dns", dnsCodes[code] + (typeof error.hostname === "string" ? `: ${error.hostname}` : ""))
  }
  if (code.startsWith("ERR_SSL_") && code.includes("_ALERT_")) {
    // An alert the receiver sent: it refused the handshake (no client certificate, one it does not accept, no
    // common protocol). `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED` → "certificate required".
    const alert = code.slice(code.indexOf("_ALERT_") + 7).toLowerCase().replaceAll("_", " ")
    return make("tls_handshake", `the receiver refused the TLS handshake (alert: ${alert})`)
  }
  if (
    code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_") || code.startsWith("CERT_") || tlsCodes.has(code) ||
    error.library === "SSL routines"
  ) {
    // Verification messages name the certificate problem ("self-signed certificate", altname mismatch): useful,
    // and they carry nothing of the request.
    return make("tls", `TLS: ${typeof error.message === "string" ? error.message : code}`)
  }
  if (Object.hasOwn(protocolCodes, code)) return make("protocol", protocolCodes[code])
  if (code === "UND_ERR_DESTROYED" || code === "UND_ERR_CLOSED") return make("unknown", "the transport is closed")
  if (code === "UND_ERR_INVALID_ARG" || code === "ERR_INVALID_CHAR" || code === "ERR_INVALID_ARG_VALUE") {
    // undici's messages name the offending header (`invalid x-foo header`), never its value.
    return make("unknown", `invalid request: ${typeof error.message === "string" ? error.message : code}`)
  }
  return make("unknown", `unexpected error (${code})`)
}
