/**
 * Turns configured secrets into imported keys, once. Decoding (base64, prefixes) and key import cost more than the
 * HMAC of a small body, so decoded string secrets are kept in a small bounded map per engine; byte-array secrets are
 * imported on every call because the caller may still mutate them. A secret that cannot be used throws
 * `invalid_secret` — it must never degrade into a signature mismatch, which would send people hunting for a bug in
 * the sender. Messages describe the secret's shape, never its value.
 *
 * @internal
 */
import { WebhookVerificationError } from "../VerifyError.js"
import { base64Decode, utf8 } from "./encoding.js"
import type { KeyHandle, Primitives } from "./primitives.js"

/** A usable key: HMAC, or ed25519 (which can sign only when it came from a whsk_ secret key). */
export type Decoded =
  | { readonly kind: "hmac"; readonly key: KeyHandle }
  | { readonly kind: "ed25519"; readonly key: KeyHandle; readonly canSign: boolean }

export type SecretFormat = "standard" | "raw"

// Enough for every secret of a few hundred endpoints; beyond that the oldest entry is dropped.
const MAX_CACHED = 256

const invalid = (message: string) => new WebhookVerificationError("invalid_secret", message)

const describe = (u: unknown): string =>
  u === undefined ? "undefined (is the environment variable set?)" : u === null ? "null" : `a ${typeof u}`

const ED_PREFIXES = ["whsk_", "whpk_"]

export interface SecretCache {
  readonly decode: (format: SecretFormat, secret: unknown) => Decoded
}

export const makeSecretCache = (primitives: Primitives): SecretCache => {
  const standard = new Map<string, Decoded>()
  const raw = new Map<string, Decoded>()

  const decodeStandardString = (secret: string): Decoded => {
    if (secret.startsWith("whpk_") || secret.startsWith("whsk_")) {
      const bytes = base64Decode(secret.slice(5))
      const isSecret = secret.startsWith("whsk_")
      // A secret key is a 32-byte seed, or libsodium's 64-byte seed ‖ public key.
      if (bytes === undefined || !(bytes.length === 32 || (isSecret && bytes.length === 64))) {
        throw invalid(
          `a ${secret.slice(0, 5)} ed25519 key must be base64 of ${
            isSecret ? "a 32-byte seed (or 64-byte seed and public key)" : "a 32-byte public key"
          }; this one is ${bytes === undefined ? "not valid base64" : `${bytes.length} bytes`}`
        )
      }
      return isSecret
        ? { kind: "ed25519", key: primitives.ed25519SecretKey(bytes.subarray(0, 32)), canSign: true }
        : { kind: "ed25519", key: primitives.ed25519PublicKey(bytes), canSign: false }
    }
    const body = secret.startsWith("whsec_") ? secret.slice(6) : secret
    const bytes = base64Decode(body)
    if (bytes === undefined || bytes.length === 0) {
      const underscore = body.indexOf("_")
      throw invalid(
        `a Standard Webhooks secret is "whsec_" followed by base64 (or bare base64); this one ${
          bytes !== undefined
            ? "is empty"
            : underscore > 0 && underscore < 12 && body === secret
            ? `has an unknown "${body.slice(0, underscore + 1)}" prefix`
            : "is not valid base64"
        }. For Stripe, GitHub or a custom HMAC secret used as-is, pass the matching scheme`
      )
    }
    return { kind: "hmac", key: primitives.hmacKey(bytes) }
  }

  const decodeRawString = (secret: string): Decoded => {
    if (secret.length === 0) throw invalid("the secret is an empty string")
    for (const prefix of ED_PREFIXES) {
      if (secret.startsWith(prefix)) {
        throw invalid(`a ${prefix} ed25519 key cannot be an HMAC secret; use it with the standard scheme`)
      }
    }
    const trimmed = secret.trim()
    if (trimmed !== secret) {
      throw invalid(
        "the secret has leading or trailing whitespace (often a newline from a .env file or a copy-paste); trim it"
      )
    }
    return { kind: "hmac", key: primitives.hmacKey(utf8(secret)) }
  }

  const cached = (map: Map<string, Decoded>, secret: string, decode: (s: string) => Decoded): Decoded => {
    const hit = map.get(secret)
    if (hit !== undefined) return hit
    const decoded = decode(secret)
    if (map.size >= MAX_CACHED) map.delete(map.keys().next().value as string)
    map.set(secret, decoded)
    return decoded
  }

  const decode = (format: SecretFormat, secret: unknown): Decoded => {
    if (typeof secret === "string") {
      return format === "standard"
        ? cached(standard, secret, decodeStandardString)
        : cached(raw, secret, decodeRawString)
    }
    if (secret instanceof Uint8Array) {
      if (secret.length === 0) throw invalid("the secret is an empty byte array")
      return { kind: "hmac", key: primitives.hmacKey(secret) }
    }
    throw invalid(`a secret must be a string or a Uint8Array, but one is ${describe(secret)}`)
  }

  return { decode }
}
