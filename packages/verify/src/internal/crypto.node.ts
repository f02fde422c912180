/**
 * `node:crypto` primitives, used on Node, Bun and Deno. Everything is synchronous, which is what lets `verify` be a
 * plain function; the asynchronous variants just wrap the synchronous ones. HMAC keys are imported once as
 * `KeyObject`s (the engine caches them per secret), the signed content is fed to the HMAC in pieces so the body is
 * never copied, and the digest comes back already encoded.
 *
 * @internal
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify
} from "node:crypto"
import type { Encoding, KeyHandle, Primitives } from "./primitives.js"

// DER framing around a raw 32-byte ed25519 key (RFC 8410): lets us import and export raw keys without JWK round trips.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex")
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex")

interface Ed25519Secret {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
}

const isSecret = (key: KeyHandle): key is Ed25519Secret => "privateKey" in key

const publicOf = (key: KeyHandle): KeyObject => isSecret(key) ? key.publicKey : key as KeyObject

const rawPublic = (key: KeyObject): Uint8Array =>
  new Uint8Array((key.export({ format: "der", type: "spki" }) as Buffer).subarray(SPKI_PREFIX.length))

const hmac = (key: KeyHandle, pre: string, body: string | Uint8Array, post: string, encoding: Encoding): string => {
  const h = createHmac("sha256", key as KeyObject).update(pre).update(body)
  if (post.length !== 0) h.update(post)
  return h.digest(encoding)
}

const ed25519Verify = (key: KeyHandle, message: Uint8Array, signature: Uint8Array): boolean =>
  verify(null, message, publicOf(key), signature)

const ed25519Sign = (key: KeyHandle, message: Uint8Array): Uint8Array => {
  if (!isSecret(key)) throw new TypeError("an ed25519 public key cannot sign")
  return sign(null, message, key.privateKey)
}

/** @internal */
export const primitives: Primitives = {
  runtime: "node",
  sync: true,
  hmacKey: (raw) => createSecretKey(raw),
  hmac,
  hmacAsync: (key, pre, body, post, encoding) =>
    new Promise((resolve) => resolve(hmac(key, pre, body, post, encoding))),
  ed25519PublicKey: (raw) => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" }),
  ed25519SecretKey: (seed): Ed25519Secret => {
    const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" })
    return { privateKey, publicKey: createPublicKey(privateKey) }
  },
  ed25519Sign,
  ed25519SignAsync: (key, message) => new Promise((resolve) => resolve(ed25519Sign(key, message))),
  ed25519Verify,
  ed25519VerifyAsync: (key, message, signature) =>
    new Promise((resolve) => resolve(ed25519Verify(key, message, signature))),
  ed25519Generate: () => {
    const pair = generateKeyPairSync("ed25519")
    const der = pair.privateKey.export({ format: "der", type: "pkcs8" })
    return { seed: new Uint8Array(der.subarray(PKCS8_PREFIX.length)), publicKey: rawPublic(pair.publicKey) }
  },
  base64Encode: (bytes) =>
    (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString("base64")
}
