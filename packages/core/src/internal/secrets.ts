/**
 * Sealing and opening endpoint secrets with the engine's SecretBox (or storing them as they are without one). Opening
 * is on the delivery hot path, so opened values are cached in a small bounded map keyed by the sealed text.
 */
import * as SecretBox from "../SecretBox.js"

export interface Secrets {
  readonly sealed: boolean
  readonly seal: (endpoint: { readonly tenant: string; readonly id: string }, plain: string) => string
  /** Throws an `Error` that never contains the secret. */
  readonly open: (endpoint: { readonly tenant: string; readonly id: string }, stored: string) => string
  readonly box: SecretBox.SecretBox | undefined
}

const CACHE_SIZE = 4096

export const make = (box: SecretBox.SecretBox | undefined): Secrets => {
  if (box === undefined) {
    return { sealed: false, seal: (_endpoint, plain) => plain, open: (_endpoint, stored) => stored, box }
  }
  const cache = new Map<string, string>()
  return {
    sealed: true,
    box,
    seal: (endpoint, plain) => box.seal(plain, SecretBox.contextOf(endpoint)),
    open: (endpoint, stored) => {
      const key = `${endpoint.id}|${stored}`
      const hit = cache.get(key)
      if (hit !== undefined) return hit
      const plain = box.open(stored, SecretBox.contextOf(endpoint))
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!)
      cache.set(key, plain)
      return plain
    }
  }
}
