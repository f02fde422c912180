/**
 * Sealing and opening endpoint secrets with the engine's SecretBox (or storing them as they are without one). Opening
 * is on the delivery hot path, so opened values are cached in a small bounded map keyed by the sealed text.
 *
 * A `purpose` names what else of the endpoint a value is (`header:authorization`, `tls.key`): it joins the
 * endpoint's tenant and id in the additional authenticated data, so a sealed value moved to another place of the
 * same endpoint (a header value into the signing secret) does not open there either. Signing secrets have none.
 */
import * as SecretBox from "../SecretBox.js"

type Owner = { readonly tenant: string; readonly id: string }

export interface Secrets {
  readonly sealed: boolean
  readonly seal: (endpoint: Owner, plain: string, purpose?: string | undefined) => string
  /** Throws an `Error` that never contains the secret. */
  readonly open: (endpoint: Owner, stored: string, purpose?: string | undefined) => string
  readonly box: SecretBox.SecretBox | undefined
}

const CACHE_SIZE = 4096

const contextOf = (endpoint: Owner, purpose: string | undefined): string =>
  purpose === undefined ? SecretBox.contextOf(endpoint) : `${SecretBox.contextOf(endpoint)}\u0000${purpose}`

export const make = (box: SecretBox.SecretBox | undefined): Secrets => {
  if (box === undefined) {
    return { sealed: false, seal: (_endpoint, plain) => plain, open: (_endpoint, stored) => stored, box }
  }
  const cache = new Map<string, string>()
  return {
    sealed: true,
    box,
    seal: (endpoint, plain, purpose) => box.seal(plain, contextOf(endpoint, purpose)),
    open: (endpoint, stored, purpose) => {
      const key = purpose === undefined ? `${endpoint.id}|${stored}` : `${endpoint.id}|${purpose}|${stored}`
      const hit = cache.get(key)
      if (hit !== undefined) return hit
      const plain = box.open(stored, contextOf(endpoint, purpose))
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!)
      cache.set(key, plain)
      return plain
    }
  }
}
