/**
 * The built-in schemes as data plus a header parser: which headers carry what, how the signed content is framed
 * around the body, how signatures are encoded and how they are written back for sending. The engine does the
 * cryptography and the matching; nothing here touches a key.
 *
 * @internal
 */
import type { HeadersInput, HmacOptions, Scheme } from "../Scheme.js"
import { WebhookVerificationError } from "../VerifyError.js"
import { joined, single } from "./headers.js"
import { checkTolerance, parseTimestamp } from "./policy.js"

/** What the headers of one request say, after the timestamp policy has been applied. */
export interface Parsed {
  readonly id: string | undefined
  readonly timestamp: number | undefined
  /** Signed content before and after the body. */
  readonly pre: string
  readonly post: string
  /** Encoded HMAC signatures (without version prefix) to compare against. */
  readonly hmac: ReadonlyArray<string>
  /** Base64 ed25519 signatures (Standard Webhooks `v1a`). */
  readonly ed25519: ReadonlyArray<string>
  /** Signature versions present but not understood, for the error message. */
  readonly ignored: ReadonlyArray<string>
  /** The header the signatures came from, for error messages. */
  readonly header: string
}

/** A signature produced while signing, in secret order. */
export interface Produced {
  readonly kind: "hmac" | "ed25519"
  readonly value: string
}

export interface SchemeCore {
  readonly name: string
  readonly idHeader: string | undefined
  /** `standard`: whsec_/whsk_/whpk_ + base64; `raw`: the string's UTF-8 bytes as the HMAC key. */
  readonly secrets: "standard" | "raw"
  readonly encoding: "base64" | "hex"
  /** How the header labels HMAC signatures, for messages ("v1", "sha256="). */
  readonly hmacLabel: string
  /** Whether the scheme's header carries one signature per secret (rotation) or exactly one. */
  readonly multiple: boolean
  readonly parse: (headers: HeadersInput, tolerance: number, now: number) => Parsed
  /** The signed content around the body for sending. */
  readonly frame: (id: string, timestamp: number) => { readonly pre: string; readonly post: string }
  readonly headers: (id: string, timestamp: number, signatures: ReadonlyArray<Produced>) => Record<string, string>
  /** Whether `sign` needs a non-empty id. */
  readonly needsId: boolean
}

const cores = new WeakMap<Scheme, SchemeCore>()

/** Associates a public scheme object with its core, so `verifyAsync` can run the core on Web Crypto. */
export const register = (scheme: Scheme, core: SchemeCore): Scheme => {
  cores.set(scheme, core)
  return scheme
}

/** The core of a built-in scheme; `undefined` for a user-written `Scheme`. */
export const coreOf = (scheme: Scheme): SchemeCore | undefined => cores.get(scheme)

const missing = (name: string, hint: string) =>
  new WebhookVerificationError("missing_header", `the ${name} header is missing or empty; ${hint}`)

const malformed = (name: string, detail: string) =>
  new WebhookVerificationError("malformed_header", `the ${name} header ${detail}`)

// Ignored versions are echoed in error messages: keep them short and free of anything a log could misread.
const printable = (s: string): string => s.replace(/[^\w.-]/g, "?")

// A header with hundreds of signatures is an attack on the ed25519 path, not a rotation.
const MAX_SIGNATURES = 16
const EMPTY: ReadonlyArray<string> = []

// ---------------------------------------------------------------------------------------------------------------
// Standard Webhooks (and Svix, which uses the same scheme under svix-* header names)
// ---------------------------------------------------------------------------------------------------------------

const STANDARD_HINT = "was the request signed with Standard Webhooks (or Svix), and did no proxy strip it?"

const parseStandard = (headers: HeadersInput, tolerance: number, now: number): Parsed => {
  // svix-* names are only looked up when the webhook-* one is absent, so the common case is three property reads.
  const id = single(headers, "webhook-id") ?? single(headers, "svix-id")
  const ts = single(headers, "webhook-timestamp") ?? single(headers, "svix-timestamp")
  const sig = joined(headers, "webhook-signature", " ") ?? joined(headers, "svix-signature", " ")
  if (sig === undefined) throw missing("webhook-signature (or svix-signature)", STANDARD_HINT)
  if (id === undefined) throw missing("webhook-id (or svix-id)", STANDARD_HINT)
  if (ts === undefined) throw missing("webhook-timestamp (or svix-timestamp)", STANDARD_HINT)
  const timestamp = parseTimestamp(ts, "webhook-timestamp")
  checkTolerance(timestamp, "webhook-timestamp", tolerance, now)

  let hmac: Array<string> | undefined
  let ed25519: Array<string> | undefined
  let ignored: Array<string> | undefined
  let count = 0
  const len = sig.length
  let pos = 0
  while (pos < len) {
    let end = sig.indexOf(" ", pos)
    if (end === -1) end = len
    if (end > pos) {
      if (++count > MAX_SIGNATURES) throw malformed("webhook-signature", `has more than ${MAX_SIGNATURES} signatures`)
      // Headers.get() joins repeated headers with ", ": tolerate the trailing comma it leaves on a token.
      let tokenEnd = end
      if (sig.charCodeAt(tokenEnd - 1) === 44) tokenEnd--
      const comma = sig.indexOf(",", pos)
      if (comma > pos && comma < tokenEnd - 1) {
        const versionLength = comma - pos
        if (versionLength === 2 && sig.charCodeAt(pos) === 118 && sig.charCodeAt(pos + 1) === 49) {
          ;(hmac ??= []).push(sig.slice(comma + 1, tokenEnd))
        } else if (versionLength === 3 && sig.startsWith("v1a", pos)) {
          ;(ed25519 ??= []).push(sig.slice(comma + 1, tokenEnd))
        } else if ((ignored ??= []).length < 4) {
          ignored.push(printable(sig.slice(pos, Math.min(comma, pos + 16))))
        }
      }
    }
    pos = end + 1
  }
  if (hmac === undefined && ed25519 === undefined && ignored === undefined) {
    throw malformed("webhook-signature", "must be a space-separated list of <version>,<base64 signature>")
  }
  return {
    id,
    timestamp,
    pre: id + "." + ts + ".",
    post: "",
    hmac: hmac ?? EMPTY,
    ed25519: ed25519 ?? EMPTY,
    ignored: ignored ?? EMPTY,
    header: "webhook-signature"
  }
}

/** @internal */
export const standardCore: SchemeCore = {
  name: "standard",
  idHeader: "webhook-id",
  secrets: "standard",
  encoding: "base64",
  hmacLabel: "v1",
  multiple: true,
  needsId: true,
  parse: parseStandard,
  frame: (id, timestamp) => ({ pre: id + "." + timestamp + ".", post: "" }),
  headers: (id, timestamp, signatures) => ({
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.map((s) => (s.kind === "hmac" ? "v1," : "v1a,") + s.value).join(" ")
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Stripe
// ---------------------------------------------------------------------------------------------------------------

const parseStripe = (headers: HeadersInput, tolerance: number, now: number): Parsed => {
  const header = joined(headers, "stripe-signature", ",")
  if (header === undefined) throw missing("stripe-signature", "was the request sent by Stripe?")
  let t: string | undefined
  let v1: Array<string> | undefined
  let ignored: Array<string> | undefined
  let count = 0
  const len = header.length
  let pos = 0
  while (pos < len) {
    let end = header.indexOf(",", pos)
    if (end === -1) end = len
    const eq = header.indexOf("=", pos)
    if (eq > pos && eq < end) {
      if (++count > MAX_SIGNATURES) throw malformed("stripe-signature", `has more than ${MAX_SIGNATURES} entries`)
      const key = header.slice(pos, eq).trim()
      const value = header.slice(eq + 1, end).trim()
      if (key === "t") {
        if (t !== undefined && t !== value) throw malformed("stripe-signature", "has more than one t= timestamp")
        t = value
      } else if (key === "v1") {
        ;(v1 ??= []).push(value)
      } else if ((ignored ??= []).length < 4) {
        ignored.push(printable(key.slice(0, 16)))
      }
    }
    pos = end + 1
  }
  if (t === undefined) {
    throw malformed("stripe-signature", "has no t=<timestamp> entry; expected t=<unix seconds>,v1=<hex>[,v1=<hex>]")
  }
  const timestamp = parseTimestamp(t, "stripe-signature t=")
  checkTolerance(timestamp, "stripe-signature t=", tolerance, now)
  return {
    id: undefined,
    timestamp,
    pre: t + ".",
    post: "",
    hmac: v1 ?? EMPTY,
    ed25519: EMPTY,
    ignored: ignored ?? EMPTY,
    header: "stripe-signature"
  }
}

/** @internal */
export const stripeCore: SchemeCore = {
  name: "stripe",
  idHeader: undefined,
  secrets: "raw",
  encoding: "hex",
  hmacLabel: "v1",
  multiple: true,
  needsId: false,
  parse: parseStripe,
  frame: (_id, timestamp) => ({ pre: timestamp + ".", post: "" }),
  headers: (_id, timestamp, signatures) => ({
    "stripe-signature": "t=" + timestamp + signatures.map((s) => ",v1=" + s.value).join("")
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Generic HMAC (GitHub and the presets are instances)
// ---------------------------------------------------------------------------------------------------------------

const PLACEHOLDER = /\{(id|timestamp|body)\}/g

interface Template {
  readonly usesId: boolean
  readonly usesTimestamp: boolean
  readonly frame: (id: string, timestamp: string) => { readonly pre: string; readonly post: string }
}

const compileTemplate = (content: string, name: string): Template => {
  const parts = content.split(PLACEHOLDER)
  // split with a capture group alternates literal, name, literal, name, ...
  const bodies = parts.filter((p, i) => i % 2 === 1 && p === "body").length
  if (bodies !== 1) {
    throw new TypeError(
      `hmac scheme "${name}": content must contain {body} exactly once, got ${JSON.stringify(content)}`
    )
  }
  const bodyAt = parts.findIndex((p, i) => i % 2 === 1 && p === "body")
  const render = (from: number, to: number, id: string, timestamp: string) => {
    let out = ""
    for (let i = from; i < to; i++) {
      out += i % 2 === 0 ? parts[i] : parts[i] === "id" ? id : timestamp
    }
    return out
  }
  const usesId = parts.some((p, i) => i % 2 === 1 && p === "id")
  const usesTimestamp = parts.some((p, i) => i % 2 === 1 && p === "timestamp")
  if (bodyAt === 1 && parts.length === 3 && parts[0] === "" && parts[2] === "") {
    const frame = { pre: "", post: "" }
    return { usesId, usesTimestamp, frame: () => frame }
  }
  return {
    usesId,
    usesTimestamp,
    frame: (id, timestamp) => ({
      pre: render(0, bodyAt, id, timestamp),
      post: render(bodyAt + 1, parts.length, id, timestamp)
    })
  }
}

const lower = (name: string | undefined, field: string, scheme: string): string | undefined => {
  if (name === undefined) return undefined
  if (typeof name !== "string" || name.length === 0 || /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(name)) {
    throw new TypeError(
      `hmac scheme "${scheme}": ${field} must be a valid HTTP header name, got ${JSON.stringify(name)}`
    )
  }
  return name.toLowerCase()
}

/** @internal */
export const hmacCore = (options: HmacOptions): SchemeCore => {
  if (typeof options !== "object" || options === null) throw new TypeError("hmac: options are required")
  const name = options.name ?? "hmac"
  const signatureHeader = lower(options.signatureHeader, "signatureHeader", name)
  if (signatureHeader === undefined) throw new TypeError(`hmac scheme "${name}": signatureHeader is required`)
  const timestampHeader = lower(options.timestampHeader, "timestampHeader", name)
  const idHeader = lower(options.idHeader, "idHeader", name)
  const prefix = options.prefix ?? ""
  const encoding = options.encoding ?? "hex"
  if (encoding !== "hex" && encoding !== "base64") {
    throw new TypeError(`hmac scheme "${name}": encoding must be "hex" or "base64", got ${JSON.stringify(encoding)}`)
  }
  const template = compileTemplate(options.content ?? "{body}", name)
  if (template.usesTimestamp && timestampHeader === undefined) {
    throw new TypeError(`hmac scheme "${name}": content uses {timestamp} but no timestampHeader is set`)
  }
  if (template.usesId && idHeader === undefined) {
    throw new TypeError(`hmac scheme "${name}": content uses {id} but no idHeader is set`)
  }
  const expected = `${prefix}<${encoding} signature>`

  const parse = (headers: HeadersInput, tolerance: number, now: number): Parsed => {
    const value = single(headers, signatureHeader)
    if (value === undefined) throw missing(signatureHeader, `was the request signed by the "${name}" sender?`)
    let id: string | undefined
    if (idHeader !== undefined) {
      id = single(headers, idHeader)
      if (id === undefined && template.usesId) throw missing(idHeader, "it is part of the signed content")
    }
    let timestamp: number | undefined
    let ts = ""
    if (timestampHeader !== undefined) {
      const raw = single(headers, timestampHeader)
      if (raw === undefined) throw missing(timestampHeader, "it is required for replay protection")
      timestamp = parseTimestamp(raw, timestampHeader)
      checkTolerance(timestamp, timestampHeader, tolerance, now)
      ts = raw
    }
    if (!value.startsWith(prefix)) throw malformed(signatureHeader, `must look like ${expected}`)
    const signature = value.slice(prefix.length).trim()
    if (signature.length === 0) throw malformed(signatureHeader, `must look like ${expected}`)
    const { post, pre } = template.frame(id ?? "", ts)
    return { id, timestamp, pre, post, hmac: [signature], ed25519: EMPTY, ignored: EMPTY, header: signatureHeader }
  }

  return {
    name,
    idHeader,
    secrets: "raw",
    encoding,
    hmacLabel: prefix === "" ? encoding : prefix,
    multiple: false,
    needsId: template.usesId,
    parse,
    frame: (id, timestamp) => template.frame(id, String(timestamp)),
    headers: (id, timestamp, signatures) => {
      const out: Record<string, string> = { [signatureHeader]: prefix + signatures[0].value }
      if (timestampHeader !== undefined) out[timestampHeader] = String(timestamp)
      if (idHeader !== undefined && id !== "") out[idHeader] = id
      return out
    }
  }
}

/** @internal */
export const githubCore: SchemeCore = hmacCore({
  name: "github",
  signatureHeader: "x-hub-signature-256",
  idHeader: "x-github-delivery",
  prefix: "sha256=",
  encoding: "hex"
})
