/**
 * Verification and signing for the built-in schemes over one set of primitives. The synchronous and asynchronous
 * paths are the same steps — decode the secrets, parse the headers (which applies the timestamp policy), compute one
 * MAC per secret and compare it with every candidate signature — differing only in whether the primitive is awaited.
 *
 * @internal
 */
import type { Payload, SignInput, VerifiedWebhook, VerifyInput } from "../Scheme.js"
import { WebhookVerificationError } from "../VerifyError.js"
import { base64Decode, concat, timingSafeEqualStrings } from "./encoding.js"
import { type Primitives, syncUnavailable } from "./primitives.js"
import type { Parsed, Produced, SchemeCore } from "./schemes.js"
import { type Decoded, makeSecretCache } from "./secrets.js"

export interface Engine {
  readonly primitives: Primitives
  readonly verify: (core: SchemeCore, input: VerifyInput) => VerifiedWebhook
  readonly verifyAsync: (core: SchemeCore, input: VerifyInput) => Promise<VerifiedWebhook>
  readonly sign: (core: SchemeCore, input: SignInput) => Record<string, string>
  readonly signAsync: (core: SchemeCore, input: SignInput) => Promise<Record<string, string>>
}

const ED25519_BYTES = 64

// Hex is case-insensitive; we produce lower case. Base64 is compared as sent: only the canonical encoding matches.
const hmacCandidates = (core: SchemeCore, parsed: Parsed): ReadonlyArray<string> =>
  core.encoding === "hex" ? parsed.hmac.map((s) => s.toLowerCase()) : parsed.hmac

const ed25519Candidates = (parsed: Parsed): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (const s of parsed.ed25519) {
    const bytes = base64Decode(s)
    if (bytes !== undefined && bytes.length === ED25519_BYTES) out.push(bytes)
  }
  return out
}

/**
 * Compares the computed MAC with every candidate in constant time per candidate and without stopping at a match, so
 * timing reveals neither how much of a forged signature was right nor which candidate matched. Comparing canonical
 * encodings is equivalent to comparing bytes, and on Node it avoids allocating a Buffer per digest and per candidate.
 */
const anyEqual = (mac: string, candidates: ReadonlyArray<string>): boolean => {
  let found = false
  for (let i = 0; i < candidates.length; i++) {
    if (timingSafeEqualStrings(mac, candidates[i])) found = true
  }
  return found
}

const checkBody = (body: unknown): Payload => {
  if (typeof body === "string" || body instanceof Uint8Array) return body
  throw new TypeError(
    `the body must be the raw request body as a string or Uint8Array/Buffer, got ${
      body === null ? "null" : typeof body
    }; if it is an object, a JSON body parser ran first — verify the raw bytes instead`
  )
}

const noSecrets = () =>
  new WebhookVerificationError("invalid_secret", "no secret is configured: pass at least one secret")

const noMatch = (core: SchemeCore, parsed: Parsed, keys: ReadonlyArray<Decoded>): WebhookVerificationError => {
  const hmacKeys = keys.filter((k) => k.kind === "hmac").length
  const edKeys = keys.length - hmacKeys
  const ignored = parsed.ignored.length === 0 ? "" : ` (ignored unsupported versions: ${parsed.ignored.join(", ")})`
  let detail: string
  if (parsed.hmac.length === 0 && parsed.ed25519.length === 0) {
    const known = core.secrets === "standard" ? `${core.hmacLabel} or v1a` : core.hmacLabel
    detail = `the ${parsed.header} header has no ${known} signature${ignored}`
  } else if (parsed.hmac.length === 0 && hmacKeys > 0 && edKeys === 0) {
    detail = `the ${parsed.header} header only has v1a (ed25519) signatures, but no whpk_ public key is configured`
  } else if (parsed.ed25519.length === 0 && edKeys > 0 && hmacKeys === 0) {
    detail =
      `the ${parsed.header} header only has ${core.hmacLabel} (HMAC) signatures, but only ed25519 keys are configured`
  } else {
    detail =
      `no signature in the ${parsed.header} header matches any of the ${keys.length} configured secret(s)${ignored}. ` +
      "Check that the secret belongs to this endpoint (during rotation pass every active secret) and that the exact " +
      "raw body bytes are verified, not re-serialized JSON"
  }
  return new WebhookVerificationError("no_matching_signature", detail)
}

const result = (core: SchemeCore, parsed: Parsed): VerifiedWebhook => ({
  id: parsed.id,
  timestamp: parsed.timestamp,
  scheme: core.name
})

const checkSignInput = (core: SchemeCore, input: SignInput): void => {
  if (typeof input !== "object" || input === null) throw new TypeError("sign: input is required")
  checkBody(input.body)
  if (core.needsId && (typeof input.id !== "string" || input.id.length === 0)) {
    throw new TypeError(`sign: the ${core.name} scheme needs a non-empty id`)
  }
  if (typeof input.id === "string" && /[\r\n\0]/.test(input.id)) {
    throw new TypeError("sign: the id must not contain CR, LF or NUL")
  }
  if (!Number.isSafeInteger(input.timestamp) || input.timestamp < 0) {
    throw new TypeError(`sign: timestamp must be unix time in whole seconds, got ${input.timestamp}`)
  }
}

export const makeEngine = (primitives: Primitives): Engine => {
  const cache = makeSecretCache(primitives)

  // Decode every secret before looking at the request: a bad secret is a configuration error and must surface
  // even when another secret would have matched.
  const decodeAll = (core: SchemeCore, secrets: ReadonlyArray<unknown>): Array<Decoded> => {
    if (!Array.isArray(secrets) || secrets.length === 0) throw noSecrets()
    const keys = new Array<Decoded>(secrets.length)
    for (let i = 0; i < secrets.length; i++) keys[i] = cache.decode(core.secrets, secrets[i])
    return keys
  }

  const verify = (core: SchemeCore, input: VerifyInput): VerifiedWebhook => {
    // Fail before looking at the request, so a Web Crypto runtime does not appear to work until a valid one arrives.
    if (!primitives.sync) syncUnavailable()
    const keys = decodeAll(core, input.secrets)
    const parsed = core.parse(input.headers, input.tolerance, input.now)
    const body = checkBody(input.body)
    let hmacSigs: ReadonlyArray<string> | undefined
    let edSigs: Array<Uint8Array> | undefined
    let message: Uint8Array | undefined
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      if (key.kind === "hmac") {
        if (parsed.hmac.length === 0) continue
        hmacSigs ??= hmacCandidates(core, parsed)
        const mac = primitives.hmac(key.key, parsed.pre, body, parsed.post, core.encoding)
        if (anyEqual(mac, hmacSigs)) return result(core, parsed)
      } else {
        if (parsed.ed25519.length === 0) continue
        edSigs ??= ed25519Candidates(parsed)
        message ??= concat(parsed.pre, body, parsed.post)
        for (let j = 0; j < edSigs.length; j++) {
          if (primitives.ed25519Verify(key.key, message, edSigs[j])) return result(core, parsed)
        }
      }
    }
    throw noMatch(core, parsed, keys)
  }

  const verifyAsync = async (core: SchemeCore, input: VerifyInput): Promise<VerifiedWebhook> => {
    const keys = decodeAll(core, input.secrets)
    const parsed = core.parse(input.headers, input.tolerance, input.now)
    const body = checkBody(input.body)
    let hmacSigs: ReadonlyArray<string> | undefined
    let edSigs: Array<Uint8Array> | undefined
    let message: Uint8Array | undefined
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]
      if (key.kind === "hmac") {
        if (parsed.hmac.length === 0) continue
        hmacSigs ??= hmacCandidates(core, parsed)
        const mac = await primitives.hmacAsync(key.key, parsed.pre, body, parsed.post, core.encoding)
        if (anyEqual(mac, hmacSigs)) return result(core, parsed)
      } else {
        if (parsed.ed25519.length === 0) continue
        edSigs ??= ed25519Candidates(parsed)
        message ??= concat(parsed.pre, body, parsed.post)
        for (let j = 0; j < edSigs.length; j++) {
          if (await primitives.ed25519VerifyAsync(key.key, message, edSigs[j])) return result(core, parsed)
        }
      }
    }
    throw noMatch(core, parsed, keys)
  }

  const signingKeys = (core: SchemeCore, input: SignInput): Array<Decoded> => {
    checkSignInput(core, input)
    const keys = decodeAll(core, input.secrets)
    for (const key of keys) {
      if (key.kind === "ed25519" && !key.canSign) {
        throw new WebhookVerificationError(
          "invalid_secret",
          "a whpk_ public key can only verify; sign with the matching whsk_ secret key"
        )
      }
    }
    // Schemes with a single signature header sign with the first (current) secret only.
    return core.multiple ? keys : keys.slice(0, 1)
  }

  const sign = (core: SchemeCore, input: SignInput): Record<string, string> => {
    if (!primitives.sync) syncUnavailable()
    const keys = signingKeys(core, input)
    const { post, pre } = core.frame(input.id, input.timestamp)
    const produced: Array<Produced> = []
    let message: Uint8Array | undefined
    for (const key of keys) {
      if (key.kind === "hmac") {
        produced.push({ kind: "hmac", value: primitives.hmac(key.key, pre, input.body, post, core.encoding) })
      } else {
        message ??= concat(pre, input.body, post)
        produced.push({ kind: "ed25519", value: primitives.base64Encode(primitives.ed25519Sign(key.key, message)) })
      }
    }
    return core.headers(input.id, input.timestamp, produced)
  }

  const signAsync = async (core: SchemeCore, input: SignInput): Promise<Record<string, string>> => {
    const keys = signingKeys(core, input)
    const { post, pre } = core.frame(input.id, input.timestamp)
    const produced: Array<Produced> = []
    let message: Uint8Array | undefined
    for (const key of keys) {
      if (key.kind === "hmac") {
        const value = await primitives.hmacAsync(key.key, pre, input.body, post, core.encoding)
        produced.push({ kind: "hmac", value })
      } else {
        message ??= concat(pre, input.body, post)
        const signature = await primitives.ed25519SignAsync(key.key, message)
        produced.push({ kind: "ed25519", value: primitives.base64Encode(signature) })
      }
    }
    return core.headers(input.id, input.timestamp, produced)
  }

  return { primitives, verify, verifyAsync, sign, signAsync }
}
