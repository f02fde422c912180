import { STANDARD } from "@hookwire/testing/vectors"
import { createHmac } from "node:crypto"
import { isWebhookVerificationError, type VerifyErrorCode } from "../../src/index.js"

export { GITHUB, STANDARD, STANDARD_NOW } from "@hookwire/testing/vectors"

export const standardHeaders = (overrides: Record<string, string | undefined> = {}): Record<string, string> => {
  const headers: Record<string, string | undefined> = {
    "webhook-id": STANDARD.id,
    "webhook-timestamp": String(STANDARD.timestamp),
    "webhook-signature": STANDARD.signature,
    ...overrides
  }
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>
}

/** RFC 8032 §7.1, test 1: an ed25519 known answer (empty message). */
export const RFC8032 = {
  seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  signature:
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
} as const

/** Independent HMAC-SHA256 with node:crypto, for expected values. */
export const hmacHex = (secret: string | Uint8Array, content: string | Uint8Array): string =>
  createHmac("sha256", secret).update(content).digest("hex")

export const hmacBase64 = (secret: string | Uint8Array, content: string | Uint8Array): string =>
  createHmac("sha256", secret).update(content).digest("base64")

/** The `code` of the WebhookVerificationError `f` throws; fails the test if it returns or throws anything else. */
export const codeOf = (f: () => unknown): VerifyErrorCode => {
  try {
    f()
  } catch (error) {
    if (isWebhookVerificationError(error)) return error.code
    throw error
  }
  throw new Error("expected a WebhookVerificationError, but verification succeeded")
}

/** Like `codeOf` for promises. */
export const codeOfAsync = async (f: () => Promise<unknown>): Promise<VerifyErrorCode> => {
  try {
    await f()
  } catch (error) {
    if (isWebhookVerificationError(error)) return error.code
    throw error
  }
  throw new Error("expected a WebhookVerificationError, but verification succeeded")
}

/** The error `f` throws (any kind); fails the test if it returns. */
export const errorOf = (f: () => unknown): unknown => {
  try {
    f()
  } catch (error) {
    return error
  }
  throw new Error("expected an error, but the call succeeded")
}
