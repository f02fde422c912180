/**
 * An endpoint's `transport` settings opened for one attempt: its sensitive headers' values, its proxy's URL, its TLS
 * identity and its OAuth2 client (secrets opened), what the attempt log shows instead of the secret values, and the
 * send itself (with a Bearer token when the endpoint uses OAuth2). Endpoints without such settings never come here.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type { TransportError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { Resolved } from "../../Settings.js"
import type { Transport, TransportRequest, TransportResponse, TransportTls } from "../../Transport.js"
import * as OAuth2 from "../oauth2.js"
import * as endpointOAuth2 from "./endpointOAuth2.js"
import * as endpointTls from "./endpointTls.js"
import * as endpointTransport from "./endpointTransport.js"

export interface Opened {
  /** Headers the request carries besides the plain ones (values opened). */
  readonly headers: Readonly<Record<string, string>> | undefined
  /** The same names as the attempt log shows them: the redaction marker. */
  readonly logged: Readonly<Record<string, string>>
  readonly proxy: string | undefined
  readonly tls: TransportTls | undefined
  readonly oauth2: OAuth2.Client | undefined
  /** The token cache's key: changes whenever the endpoint is written. */
  readonly key: string
  /** Every opened secret value, for scrubbing a defect's description. */
  readonly values: ReadonlyArray<string>
}

/** Opens the endpoint's settings. Throws an `Error` (never containing a value) when one cannot be opened. */
export const open = (settings: Resolved, endpoint: Model.EndpointRecord): Opened => {
  const headers = endpointTransport.openHeaders(settings, endpoint)
  const tls = endpointTls.open(settings, endpoint)
  const oauth2 = endpointOAuth2.open(settings, endpoint)
  const logged: Record<string, string> = { ...endpointTransport.redactedHeaders(endpoint.transport) }
  if (oauth2 !== undefined) logged.authorization = endpointTransport.REDACTED
  const values = [...Object.values(headers ?? {})]
  if (tls?.key !== undefined) values.push(tls.key)
  if (oauth2 !== undefined) values.push(oauth2.clientSecret)
  return {
    headers,
    logged,
    proxy: endpointTransport.proxyUrl(settings, endpoint),
    tls,
    oauth2,
    key: `${endpoint.id}:${endpoint.updatedAt}`,
    values
  }
}

/** Sends the request, with a Bearer token when the endpoint uses OAuth2 (see `oauth2.send`). */
export const send = (
  settings: Resolved,
  transport: Transport["Type"],
  opened: Opened,
  request: TransportRequest
): Effect.Effect<TransportResponse, TransportError> =>
  opened.oauth2 === undefined
    ? transport.send(request)
    : OAuth2.send(settings.tokens, opened.key, transport, opened.oauth2, request)
