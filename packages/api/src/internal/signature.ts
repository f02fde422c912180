/**
 * The signature an endpoint's deliveries carry: the endpoint's own scheme, else the engine's default, with the
 * header names a receiver reads. Schemes expose only `sign`, so each one signs a probe once (as `Settings` does to
 * reserve their headers) and its headers are told apart by value: the probe's id, its timestamp, the signature.
 *
 * @internal
 */
import type { Resolved } from "@hookwire/core/Settings"

/** What the API shows of an endpoint's effective scheme (`Api.Signature`). */
export interface Signature {
  readonly scheme: string
  readonly signatureHeader: string
  readonly timestampHeader: string | null
  readonly idHeader: string | null
}

type Scheme = Resolved["scheme"]

const PROBE_ID = "msg_2probe0signature0headers"
const PROBE_TIMESTAMP = 1_700_000_000

const describe = (scheme: Scheme, secret: string): Signature => {
  const headers = Object.entries(
    scheme.sign({ id: PROBE_ID, timestamp: PROBE_TIMESTAMP, body: "{}", secrets: [secret] })
  )
    .map(([name, value]) => [name.toLowerCase(), value] as const)
  const idHeader = headers.find(([name, value]) => value === PROBE_ID || name === scheme.idHeader)?.[0] ?? null
  const timestampHeader = headers.find(([, value]) => value === String(PROBE_TIMESTAMP))?.[0] ?? null
  const signatureHeader = headers.find(([name]) => name !== idHeader && name !== timestampHeader)?.[0] ??
    headers[0]?.[0] ?? ""
  return { scheme: scheme.name, signatureHeader, timestampHeader, idHeader }
}

/**
 * Every scheme of the engine described once; the function answers for an endpoint's `scheme` field (a name
 * registered in `schemes`, or null for the default).
 */
export const signatures = (settings: Resolved): (scheme: string | null) => Signature => {
  const secret = settings.generateSecret()
  const fallback = describe(settings.scheme, secret)
  const named = new Map([...settings.schemes].map(([name, scheme]) => [name, describe(scheme, secret)]))
  return (scheme) => (scheme === null ? undefined : named.get(scheme)) ?? fallback
}
