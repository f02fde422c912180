/**
 * An endpoint's mutual TLS settings (`Model.EndpointTls`): the input checked with node's own X.509 and key parsers
 * (a certificate and the key that belongs to it, CA certificates), the key sealed like a secret, opened for an
 * attempt, and shown without the key (the certificate's subject, issuer, fingerprint and expiry).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { createPrivateKey, X509Certificate } from "node:crypto"
import { ValidationError } from "../../Errors.js"
import type * as Model from "../../Model.js"
import type { Resolved } from "../../Settings.js"
import type { TransportTls } from "../../Transport.js"

/** How an endpoint's TLS settings are shown: never the key. */
export interface TlsView {
  readonly certificate: {
    readonly subject: string
    readonly issuer: string
    readonly fingerprint256: string
    readonly validTo: Date
  } | null
  /** Whether the endpoint trusts its own CA certificates instead of the public roots. */
  readonly customCa: boolean
}

export const KEY_PURPOSE = "tls.key"

/** Largest PEM text accepted for each of cert, key and ca. */
const MAX_PEM = 64 * 1024

const invalid = (message: string) => new ValidationError({ code: "invalid_option", field: "tls", message })

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** The certificates of a PEM bundle, parsed; throws when there is none or one does not parse. */
const certificates = (pem: string): Array<X509Certificate> => {
  const blocks = pem.match(PEM_CERT) ?? []
  if (blocks.length === 0) throw new Error("no PEM certificate")
  return blocks.map((block) => new X509Certificate(block))
}

const text = (value: unknown, name: string): string | undefined => {
  if (value === undefined || value === null) return undefined
  const plain = Redacted.isRedacted(value) ? Redacted.value(value) : value
  if (typeof plain !== "string" || plain.length === 0 || plain.length > MAX_PEM) {
    throw invalid(`tls.${name} must be PEM text of at most ${MAX_PEM / 1024} KiB`)
  }
  return plain
}

/**
 * The checked settings (the key still plain), null to remove them, or undefined (unchanged). Messages say what is
 * wrong and never contain the key.
 */
export const check = (value: unknown): Effect.Effect<Model.EndpointTls | null | undefined, ValidationError> =>
  Effect.try({
    try: () => {
      if (value === undefined || value === null) return value
      if (typeof value !== "object" || Array.isArray(value)) {
        throw invalid("tls must be an object { cert, key, ca } of PEM text, or null to remove it")
      }
      const input = value as Record<string, unknown>
      const unknown = Object.keys(input).find((key) => key !== "cert" && key !== "key" && key !== "ca")
      if (unknown !== undefined) throw invalid(`tls has no field ${JSON.stringify(unknown)}: use cert, key and ca`)
      const cert = text(input.cert, "cert")
      const key = text(input.key, "key")
      const ca = text(input.ca, "ca")
      if ((cert === undefined) !== (key === undefined)) {
        throw invalid("tls.cert and tls.key go together: give the client certificate and its private key")
      }
      if (cert === undefined && ca === undefined) throw invalid("tls needs a cert and key, a ca, or both")
      if (cert !== undefined && key !== undefined) {
        let chain: Array<X509Certificate>
        try {
          chain = certificates(cert)
        } catch {
          throw invalid("tls.cert is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let privateKey: ReturnType<typeof createPrivateKey>
        try {
          privateKey = createPrivateKey(key)
        } catch {
          throw invalid("tls.key is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)")
        }
        if (!chain[0]!.checkPrivateKey(privateKey)) {
          throw invalid("tls.key does not belong to tls.cert (the first certificate of the chain)")
        }
      }
      if (ca !== undefined) {
        try {
          certificates(ca)
        } catch {
          throw invalid("tls.ca is not one or more PEM certificates (-----BEGIN CERTIFICATE-----)")
        }
      }
      return { cert: cert ?? null, key: key ?? null, ca: ca ?? null }
    },
    catch: (error) => (error instanceof ValidationError ? error : invalid("tls could not be read"))
  })

/** The stored form: the key sealed for its endpoint. */
export const seal = (
  settings: Resolved,
  owner: Model.EndpointRecord | { readonly tenant: string; readonly id: string },
  tls: Model.EndpointTls
): Model.EndpointTls => ({
  ...tls,
  key: tls.key === null ? null : settings.secrets.seal(owner, tls.key, KEY_PURPOSE)
})

/**
 * What the transport needs (the key opened), or undefined. `id` changes whenever the endpoint is written, so
 * changed settings never share connections with the old ones. Throws an `Error` without the key.
 */
export const open = (settings: Resolved, endpoint: Model.EndpointRecord): TransportTls | undefined => {
  const tls = endpoint.transport?.tls
  if (tls === undefined || tls === null) return undefined
  return {
    id: `${endpoint.id}:${endpoint.updatedAt}`,
    cert: tls.cert ?? undefined,
    key: tls.key === null ? undefined : settings.secrets.open(endpoint, tls.key, KEY_PURPOSE),
    ca: tls.ca ?? undefined
  }
}

/** The view: the client certificate described, never the key. */
export const view = (tls: Model.EndpointTls | null | undefined): TlsView | null => {
  if (tls === undefined || tls === null) return null
  let certificate: TlsView["certificate"] = null
  if (tls.cert !== null) {
    try {
      const [first] = certificates(tls.cert)
      certificate = {
        subject: first!.subject,
        issuer: first!.issuer,
        fingerprint256: first!.fingerprint256,
        validTo: new Date(first!.validTo)
      }
    } catch {
      certificate = null
    }
  }
  return { certificate, customCa: tls.ca !== null }
}
