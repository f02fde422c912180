/**
 * The only part of verification that differs per runtime: HMAC-SHA256, ed25519, constant-time comparison and
 * fast byte codecs. `#crypto` (package.json "imports") selects `crypto.node.ts` on Node, Bun and Deno, which have
 * `node:crypto` and can work synchronously, and `crypto.web.ts` elsewhere, which has only the asynchronous Web
 * Crypto API. Parsing, policy and error reporting never look at which one they were given.
 *
 * @internal
 */

/** How HMAC signatures are written in headers. */
export type Encoding = "base64" | "hex"

/** An imported key, opaque to the engine; each implementation knows its own shape. */
export type KeyHandle = object

export interface Primitives {
  readonly runtime: "node" | "web"
  /** `false` when the synchronous operations throw (Web Crypto is asynchronous only). */
  readonly sync: boolean

  readonly hmacKey: (raw: Uint8Array) => KeyHandle
  /**
   * HMAC-SHA256 of `pre ++ body ++ post`, encoded. Returning the encoding rather than bytes lets Node skip a
   * `Buffer` allocation per call (about a microsecond on Node 20), and signatures arrive encoded anyway.
   */
  readonly hmac: (key: KeyHandle, pre: string, body: string | Uint8Array, post: string, encoding: Encoding) => string
  readonly hmacAsync: (
    key: KeyHandle,
    pre: string,
    body: string | Uint8Array,
    post: string,
    encoding: Encoding
  ) => Promise<string>

  /** A 32-byte raw ed25519 public key. */
  readonly ed25519PublicKey: (raw: Uint8Array) => KeyHandle
  /** A 32-byte ed25519 seed; the handle signs, and verifies with the derived public key. */
  readonly ed25519SecretKey: (seed: Uint8Array) => KeyHandle
  readonly ed25519Sign: (key: KeyHandle, message: Uint8Array) => Uint8Array
  readonly ed25519SignAsync: (key: KeyHandle, message: Uint8Array) => Promise<Uint8Array>
  readonly ed25519Verify: (key: KeyHandle, message: Uint8Array, signature: Uint8Array) => boolean
  readonly ed25519VerifyAsync: (key: KeyHandle, message: Uint8Array, signature: Uint8Array) => Promise<boolean>
  readonly ed25519Generate: () => { readonly seed: Uint8Array; readonly publicKey: Uint8Array }
  readonly base64Encode: (bytes: Uint8Array) => string
}

/** Thrown by synchronous operations where only Web Crypto exists. Deliberately not a verification error. */
export const syncUnavailable = (): never => {
  throw new Error(
    "synchronous verification needs node:crypto; use verifyAsync (or verifyRequest) on this runtime, which only has Web Crypto"
  )
}
