/**
 * Web Crypto primitives for runtimes without `node:crypto` (Cloudflare Workers, Vercel Edge, browsers). Web Crypto is
 * asynchronous only, so every synchronous operation throws a plain `Error` that points at `verifyAsync`; the
 * asynchronous ones import each key once, lazily, and cache it on the handle the engine keeps per secret. (Signature
 * comparison is the engine's constant-time loop, the same on every runtime.)
 *
 * @internal
 */
import { base64Decode, base64Encode, concat, hexEncode } from "./encoding.js"
import { type Primitives, syncUnavailable } from "./primitives.js"

// DER framing of a PKCS#8 ed25519 private key (RFC 8410): Web Crypto imports raw seeds only through PKCS#8 or JWK.
const PKCS8_PREFIX = new Uint8Array([48, 46, 2, 1, 0, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32])

// Web Crypto's typings (rightly) refuse views of a SharedArrayBuffer; copy in that unlikely case.
const view = (u: Uint8Array): Uint8Array<ArrayBuffer> =>
  u.buffer instanceof ArrayBuffer ? u as Uint8Array<ArrayBuffer> : new Uint8Array(u)

const ED25519 = { name: "Ed25519" } as const
const HMAC = { name: "HMAC", hash: "SHA-256" } as const

interface HmacHandle {
  readonly raw: Uint8Array
  key: Promise<CryptoKey> | undefined
}

interface Ed25519Handle {
  readonly kind: "public" | "secret"
  readonly raw: Uint8Array
  privateKey: Promise<CryptoKey> | undefined
  publicKey: Promise<CryptoKey> | undefined
  publicBytes: Promise<Uint8Array> | undefined
}

const subtle = (): SubtleCrypto => {
  const s = globalThis.crypto?.subtle
  if (s === undefined) throw new Error("this runtime has neither node:crypto nor Web Crypto (crypto.subtle)")
  return s
}

// A rejected import must not stay cached: the next request tries again.
const memo = <A>(promise: Promise<A>, clear: () => void): Promise<A> => {
  promise.catch(clear)
  return promise
}

const hmacCryptoKey = (handle: HmacHandle): Promise<CryptoKey> =>
  handle.key ??= memo(
    subtle().importKey("raw", view(handle.raw), HMAC, false, ["sign"]),
    () => (handle.key = undefined)
  )

const privateKeyOf = (handle: Ed25519Handle): Promise<CryptoKey> => {
  if (handle.kind !== "secret") return Promise.reject(new TypeError("an ed25519 public key cannot sign"))
  return handle.privateKey ??= memo(
    (() => {
      const der = new Uint8Array(PKCS8_PREFIX.length + 32)
      der.set(PKCS8_PREFIX, 0)
      der.set(handle.raw, PKCS8_PREFIX.length)
      return subtle().importKey("pkcs8", der, ED25519, true, ["sign"])
    })(),
    () => (handle.privateKey = undefined)
  )
}

const publicBytesOf = (handle: Ed25519Handle): Promise<Uint8Array> => {
  if (handle.kind === "public") return Promise.resolve(handle.raw)
  return handle.publicBytes ??= memo(
    privateKeyOf(handle).then(async (key) => {
      const jwk = await subtle().exportKey("jwk", key)
      const x = jwk.x === undefined ? undefined : base64Decode(toBase64(jwk.x))
      if (x === undefined || x.length !== 32) throw new Error("Web Crypto did not export an ed25519 public key")
      return x
    }),
    () => (handle.publicBytes = undefined)
  )
}

const publicKeyOf = (handle: Ed25519Handle): Promise<CryptoKey> =>
  handle.publicKey ??= memo(
    publicBytesOf(handle).then((raw) => subtle().importKey("raw", view(raw), ED25519, false, ["verify"])),
    () => (handle.publicKey = undefined)
  )

// JWK fields are unpadded base64url.
const toBase64 = (s: string): string => {
  const b = s.replaceAll("-", "+").replaceAll("_", "/")
  return b + "===".slice((b.length + 3) % 4)
}

const ed25519Handle = (kind: "public" | "secret", raw: Uint8Array): Ed25519Handle => ({
  kind,
  raw: raw.slice(),
  privateKey: undefined,
  publicKey: undefined,
  publicBytes: undefined
})

/** @internal */
export const primitives: Primitives = {
  runtime: "web",
  sync: false,
  hmacKey: (raw): HmacHandle => ({ raw: raw.slice(), key: undefined }),
  hmac: syncUnavailable,
  hmacAsync: async (key, pre, body, post, encoding) => {
    const cryptoKey = await hmacCryptoKey(key as HmacHandle)
    const mac = new Uint8Array(await subtle().sign("HMAC", cryptoKey, view(concat(pre, body, post))))
    return encoding === "base64" ? base64Encode(mac) : hexEncode(mac)
  },
  ed25519PublicKey: (raw) => ed25519Handle("public", raw),
  ed25519SecretKey: (seed) => ed25519Handle("secret", seed),
  ed25519Sign: syncUnavailable,
  ed25519SignAsync: async (key, message) =>
    new Uint8Array(await subtle().sign(ED25519, await privateKeyOf(key as Ed25519Handle), view(message))),
  ed25519Verify: syncUnavailable,
  ed25519VerifyAsync: async (key, message, signature) =>
    subtle().verify(ED25519, await publicKeyOf(key as Ed25519Handle), view(signature), view(message)),
  ed25519Generate: syncUnavailable,
  base64Encode
}
