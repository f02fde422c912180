/**
 * Endpoint secrets at rest. With a master key configured, every endpoint secret is stored sealed with AES-256-GCM:
 * `enc:v1:<keyId>:<base64(iv ‖ ciphertext ‖ tag)>`, with the tenant and endpoint id as additional authenticated
 * data, so a sealed secret copied onto another endpoint does not open. Several keys may be configured: the first
 * seals, all of them open — rotate by putting a new key first, running `reseal` (which re-encrypts in bounded
 * batches), then removing the old key. Sealing happens in core, so every Storage adapter stores secrets encrypted
 * without knowing it. Without a key, secrets are stored as they are and the engine warns once at start.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"

/**
 * A master key: an id (stored with every sealed secret) and 32 bytes, given as base64.
 *
 * @since 0.1.0
 * @category models
 */
export interface MasterKey {
  readonly id: string
  readonly key: Redacted.Redacted<string> | string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SecretBox {
  /** The id of the key that seals. */
  readonly currentKeyId: string
  readonly seal: (plain: string, context: string) => string
  /** Throws `Error` (never containing the secret) when the key id is unknown or the value was tampered with. */
  readonly open: (sealed: string, context: string) => string
  /** The key id a value is sealed with, or undefined for a plain (unsealed) value. */
  readonly keyIdOf: (value: string) => string | undefined
}

const PREFIX = "enc:v1:"
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/

/**
 * Parses `HOOKWIRE_MASTER_KEYS`-style text: `id:base64key[,id:base64key…]`, the first one sealing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseKeys = (text: string): Array<MasterKey> =>
  text.split(",").map((part) => part.trim()).filter((part) => part.length > 0).map((part) => {
    const colon = part.indexOf(":")
    if (colon <= 0) {
      throw new Error("Invalid master key list: use id:base64key[,id:base64key…], e.g. k1:<44 base64 characters>")
    }
    return { id: part.slice(0, colon), key: Redacted.make(part.slice(colon + 1)) }
  })

/**
 * Builds a box from one or more keys (the first seals). Throws an `Error` saying what to fix for a malformed key —
 * never echoing the key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (keys: ReadonlyArray<MasterKey>): SecretBox => {
  if (keys.length === 0) throw new Error("No master key given: pass at least one { id, key }")
  const byId = new Map<string, Buffer>()
  for (const { id, key } of keys) {
    if (!KEY_ID.test(id)) {
      throw new Error(`Invalid master key id ${JSON.stringify(id)}: use 1–32 letters, digits, "_" or "-"`)
    }
    if (byId.has(id)) throw new Error(`Master key id ${id} is given twice`)
    const bytes = Buffer.from(Redacted.isRedacted(key) ? Redacted.value(key) : key, "base64")
    if (bytes.length !== 32) {
      throw new Error(
        `Master key ${id} must be 32 bytes, base64-encoded (44 characters); generate one with ` +
          "`node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`"
      )
    }
    byId.set(id, bytes)
  }
  const currentKeyId = keys[0]!.id
  const current = byId.get(currentKeyId)!
  return {
    currentKeyId,
    seal: (plain, context) => {
      const iv = randomBytes(12)
      const cipher = createCipheriv("aes-256-gcm", current, iv)
      cipher.setAAD(Buffer.from(context))
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()])
      return `${PREFIX}${currentKeyId}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64")}`
    },
    open: (sealed, context) => {
      if (!sealed.startsWith(PREFIX)) return sealed
      const rest = sealed.slice(PREFIX.length)
      const colon = rest.indexOf(":")
      const keyId = rest.slice(0, colon)
      const key = byId.get(keyId)
      if (colon < 0 || key === undefined) {
        throw new Error(`the endpoint secret is sealed with master key "${keyId}", which is not configured`)
      }
      const raw = Buffer.from(rest.slice(colon + 1), "base64")
      if (raw.length < 12 + 16) throw new Error("the sealed endpoint secret is malformed")
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12))
      decipher.setAAD(Buffer.from(context))
      decipher.setAuthTag(raw.subarray(raw.length - 16))
      try {
        return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8")
      } catch {
        throw new Error("the sealed endpoint secret does not open: wrong key, wrong endpoint, or tampered with")
      }
    },
    keyIdOf: (value) => {
      if (!value.startsWith(PREFIX)) return undefined
      const rest = value.slice(PREFIX.length)
      return rest.slice(0, rest.indexOf(":"))
    }
  }
}

/**
 * The additional authenticated data of an endpoint's secrets.
 *
 * @since 0.1.0
 * @category combinators
 */
export const contextOf = (endpoint: { readonly tenant: string; readonly id: string }): string =>
  `${endpoint.tenant}\u0000${endpoint.id}`
