/**
 * Secrets and keys. The standard scheme takes `whsec_` + base64 HMAC secrets (bare base64 and raw bytes work too)
 * and `whsk_` / `whpk_` ed25519 keys; Stripe, GitHub and custom HMAC schemes use their secret string as-is. These
 * helpers create new ones for senders.
 *
 * @since 0.1.0
 */
import { base64Encode } from "./internal/encoding.js"
import { engine } from "./internal/runtime.js"

/**
 * A secret as configured: a string (`"whsec_…"`, bare base64, `"whsk_…"`, `"whpk_…"` for the standard scheme; the
 * provider's secret string for Stripe, GitHub and HMAC schemes) or raw key bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type SecretInput = string | Uint8Array

// The Standard Webhooks recommendation: at least 24 random bytes.
const SECRET_BYTES = 24

/**
 * A new Standard Webhooks HMAC secret: `"whsec_"` + base64 of 24 random bytes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateSecret = (): string => {
  const bytes = new Uint8Array(SECRET_BYTES)
  globalThis.crypto.getRandomValues(bytes)
  return "whsec_" + base64Encode(bytes)
}

/**
 * A new ed25519 key pair for Standard Webhooks `v1a` signatures: the sender signs with `secretKey` (`"whsk_"` +
 * base64 of the 32-byte seed), receivers verify with `publicKey` (`"whpk_"` + base64 of the 32-byte public key).
 * Needs `node:crypto` (Node, Bun, Deno).
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateKeyPair = (): { readonly secretKey: string; readonly publicKey: string } => {
  const { publicKey, seed } = engine.primitives.ed25519Generate()
  return { secretKey: "whsk_" + base64Encode(seed), publicKey: "whpk_" + base64Encode(publicKey) }
}
