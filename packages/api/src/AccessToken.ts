/**
 * Tenant-scoped access tokens a host mints for one of its customers (a portal session, an SDK key with an expiry):
 * `hwt_<payload>.<signature>`, the payload naming the tenant, the scope (`read` or `manage`) and the expiry, the
 * signature an HMAC-SHA256 with the host's signing key. They are checked without storage; rotating the signing key
 * revokes every token it signed (keep the previous key in the list for a grace period to let them run out instead).
 *
 * @since 0.3.0
 */
import { invalidOption } from "@hookwire/core/Errors"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createHmac, timingSafeEqual } from "node:crypto"

/**
 * What a request may do: `read` allows every GET, `manage` everything.
 *
 * @since 0.3.0
 * @category models
 */
export type Scope = "read" | "manage"

/**
 * Who is calling: the tenant every route is scoped to, the scope, and when the credential expires (null: never).
 *
 * @since 0.3.0
 * @category models
 */
export interface Caller {
  readonly tenant: string
  readonly scope: Scope
  readonly expiresAt: Date | null
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Options {
  /**
   * Signing keys, at least 32 bytes each: the first signs, every one verifies. To revoke every token, replace the
   * list; to rotate gracefully, put the new key first and drop the old one after the longest ttl.
   */
  readonly keys: ReadonlyArray<string | Redacted.Redacted<string>> | string | Redacted.Redacted<string>
  /** The longest ttl `create` accepts. Default 30 days. */
  readonly maxTtl?: Duration.DurationInput | undefined
}

/**
 * @since 0.3.0
 * @category models
 */
export interface CreateOptions {
  readonly tenant: string
  readonly scope: Scope
  /** How long the token is valid, e.g. "1 hour". */
  readonly ttl: Duration.DurationInput
  /** Issue time, for tests. Default: now. */
  readonly now?: Date | number | undefined
}

/**
 * Why a token was refused.
 *
 * @since 0.3.0
 * @category models
 */
export type Refusal = "malformed" | "bad_signature" | "expired"

/**
 * @since 0.3.0
 * @category models
 */
export interface AccessTokens {
  /** Mints a token for one tenant and scope. Throws on a bad tenant, scope or ttl. */
  readonly create: (options: CreateOptions) => string
  /** The caller a token stands for, or why it is refused. */
  readonly verify: (
    token: string,
    now?: Date | number | undefined
  ) => { readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly reason: Refusal }
}

const PREFIX = "hwt_"

/** How many verified tokens one `AccessTokens` remembers (at most 2 KiB each). */
const VERIFIED_KEPT = 1000

const sign = (key: Buffer, payload: string) =>
  createHmac("sha256", key).update(PREFIX).update(payload).digest("base64url")

const timeOf = (now: Date | number | undefined) =>
  now === undefined ? Date.now() : typeof now === "number" ? now : now.getTime()

interface Payload {
  readonly v: 1
  readonly t: string
  readonly s: Scope
  readonly e: number
}

const parsePayload = (encoded: string): Payload | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"))
    if (typeof value !== "object" || value === null) return undefined
    const p = value as Record<string, unknown>
    return p.v === 1 && typeof p.t === "string" && p.t.length > 0 && (p.s === "read" || p.s === "manage") &&
        typeof p.e === "number" && Number.isSafeInteger(p.e)
      ? { v: 1, t: p.t, s: p.s, e: p.e }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Builds the token minting and checking functions from the host's signing keys. Throws a `ValidationError`
 * (`invalid_option`, field `keys` or `maxTtl`) for a missing or short key or a bad `maxTtl`; no message shows a key.
 *
 * @example
 * ```ts
 * import { AccessToken } from "@hookwire/api"
 *
 * const tokens = AccessToken.make({ keys: process.env.HOOKWIRE_TOKEN_KEY ?? "a-32-byte-or-longer-secret-key-here!!" })
 * const token = tokens.create({ tenant: "acme", scope: "read", ttl: "1 hour" })
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (options: Options): AccessTokens => {
  const list = Array.isArray(options.keys) ? options.keys : [options.keys as string | Redacted.Redacted<string>]
  if (list.length === 0) throw invalidOption("keys", "AccessToken.make needs at least one signing key")
  const keys = list.map((key, i) => {
    const bytes = Buffer.from(Redacted.isRedacted(key) ? Redacted.value(key) : key, "utf8")
    if (bytes.length < 32) {
      throw invalidOption(
        "keys",
        `signing key ${i} is ${bytes.length} bytes; use at least 32 random bytes (e.g. 64 hex digits)`
      )
    }
    return bytes
  })
  const maxTtl = Duration.decodeUnknown(options.maxTtl ?? "30 days")
  const maxTtlMs = Option.isSome(maxTtl) ? Duration.toMillis(maxTtl.value) : NaN
  if (!(maxTtlMs > 0 && Number.isFinite(maxTtlMs))) {
    throw invalidOption(
      "maxTtl",
      `maxTtl must be a positive, finite duration, like "30 days"; got ${String(options.maxTtl)}`
    )
  }
  /** The payload of a token whose signature one of the keys made, or why it is refused (expiry not checked). */
  const check = (token: string): Payload | Exclude<Refusal, "expired"> => {
    const dot = token.indexOf(".", PREFIX.length)
    if (dot < 0) return "malformed"
    const encoded = token.slice(PREFIX.length, dot)
    const given = Buffer.from(token.slice(dot + 1), "base64url")
    const valid = keys.some((key) => {
      const expected = Buffer.from(sign(key, encoded), "base64url")
      return expected.length === given.length && timingSafeEqual(expected, given)
    })
    if (!valid) return "bad_signature"
    return parsePayload(encoded) ?? "malformed"
  }
  // A client sends its token with every request: the tokens whose signature was checked are remembered (the keys of
  // this instance never change), so a repeated one costs a lookup, not an HMAC. Only signed tokens get in, the
  // oldest leaves first, and the expiry is checked on every use.
  const verified = new Map<string, Payload>()
  const remember = (token: string, payload: Payload) => {
    if (verified.size >= VERIFIED_KEPT) verified.delete(verified.keys().next().value!)
    verified.set(token, payload)
  }
  return {
    create: ({ now, scope, tenant, ttl }) => {
      if (typeof tenant !== "string" || tenant.length === 0 || tenant.length > 256) {
        throw new Error("tokens.create: tenant must be a non-empty string of at most 256 characters")
      }
      if (scope !== "read" && scope !== "manage") throw new Error(`tokens.create: scope must be "read" or "manage"`)
      const ttlMs = Duration.toMillis(Duration.decode(ttl))
      if (!(ttlMs > 0 && ttlMs <= maxTtlMs)) {
        throw new Error(`tokens.create: ttl must be positive and at most ${Duration.format(Duration.millis(maxTtlMs))}`)
      }
      const payload: Payload = { v: 1, t: tenant, s: scope, e: Math.floor((timeOf(now) + ttlMs) / 1000) }
      const encoded = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url")
      return `${PREFIX}${encoded}.${sign(keys[0], encoded)}`
    },
    verify: (token, now) => {
      if (typeof token !== "string" || !token.startsWith(PREFIX) || token.length > 2048) {
        return { ok: false, reason: "malformed" }
      }
      let payload = verified.get(token)
      if (payload === undefined) {
        const checked = check(token)
        if (typeof checked === "string") return { ok: false, reason: checked }
        payload = checked
        remember(token, payload)
      }
      if (payload.e * 1000 <= timeOf(now)) return { ok: false, reason: "expired" }
      return { ok: true, caller: { tenant: payload.t, scope: payload.s, expiresAt: new Date(payload.e * 1000) } }
    }
  }
}
