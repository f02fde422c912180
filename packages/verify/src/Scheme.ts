/**
 * Signature schemes. A `Scheme` knows which headers a webhook carries, what content is signed and how signatures are
 * encoded, and can both sign (for senders) and verify (for receivers). Built in: `standard` (Standard Webhooks and
 * Svix, the default), `stripe`, `github`, `hmac(...)` for any other HMAC-over-headers provider, and `presets` for the
 * providers Hookwire ships examples for. Verification always works on the exact raw body bytes, compares in constant
 * time, accepts any listed signature (rotation) and throws a `WebhookVerificationError` whose `code` says why.
 *
 * @since 0.1.0
 */
import { engine } from "./internal/runtime.js"
import { githubCore, hmacCore, register, type SchemeCore, standardCore, stripeCore } from "./internal/schemes.js"
import type { SecretInput } from "./Secret.js"

/**
 * The raw request body: the exact bytes received (a Node `Buffer` is a `Uint8Array`), or the same as a string.
 *
 * @since 0.1.0
 * @category models
 */
export type Payload = string | Uint8Array

/**
 * Request headers in any common shape: a Fetch `Headers`, Node's `IncomingHttpHeaders` (arrays for repeated
 * headers) or a plain object with names in any case.
 *
 * @since 0.1.0
 * @category models
 */
export type HeadersInput = Headers | Record<string, string | ReadonlyArray<string> | undefined>

/**
 * What a scheme signs.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignInput {
  /** Stable message id (the same on every retry). */
  readonly id: string
  /** Unix time in seconds of this attempt. */
  readonly timestamp: number
  readonly body: Payload
  /** Every active secret; schemes whose header has room for several signatures sign with each. */
  readonly secrets: ReadonlyArray<SecretInput>
}

/**
 * What a scheme verifies.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifyInput {
  readonly body: Payload
  readonly headers: HeadersInput
  /** Any of these may have signed the request. */
  readonly secrets: ReadonlyArray<SecretInput>
  /** Accepted clock difference in seconds, in both directions. */
  readonly tolerance: number
  /** Current time in epoch milliseconds. */
  readonly now: number
}

/**
 * A successfully verified webhook's metadata.
 *
 * @since 0.1.0
 * @category models
 */
export interface VerifiedWebhook {
  /** The sender's stable id, when the scheme carries one (use it to deduplicate). */
  readonly id: string | undefined
  /** Unix seconds, when the scheme carries a timestamp. */
  readonly timestamp: number | undefined
  /** The scheme's name. */
  readonly scheme: string
}

/**
 * A webhook signature scheme.
 *
 * @since 0.1.0
 * @category models
 */
export interface Scheme {
  readonly name: string
  /** Lower-case name of the header carrying the stable id, if the scheme has one. */
  readonly idHeader: string | undefined
  /** Headers (lower-case names) to send with `body`. */
  sign(input: SignInput): Record<string, string>
  /** Throws `WebhookVerificationError` unless a signature in the headers matches one of the secrets. */
  verify(input: VerifyInput): VerifiedWebhook
}

const make = (core: SchemeCore): Scheme =>
  register(
    Object.freeze({
      name: core.name,
      idHeader: core.idHeader,
      sign: (input: SignInput) => engine.sign(core, input),
      verify: (input: VerifyInput) => engine.verify(core, input)
    }),
    core
  )

/**
 * Standard Webhooks (also what Svix sends): `webhook-id`, `webhook-timestamp` and `webhook-signature` headers
 * (`svix-*` accepted too). `v1,<base64>` is HMAC-SHA256 of `{id}.{timestamp}.{body}` with a `whsec_` secret
 * (base64-decoded; bare base64 accepted); `v1a,<base64>` is ed25519, signed with a `whsk_` secret key and verified
 * with a `whpk_` public key. The header is a space-separated list; unknown versions are ignored.
 *
 * @since 0.1.0
 * @category constructors
 */
export const standard: Scheme = make(standardCore)

/**
 * Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>]`, hex HMAC-SHA256 of `{t}.{body}` with the `whsec_…`
 * secret used as-is. Only `v1` counts (`v0` is ignored). Stripe has no id header.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stripe: Scheme = make(stripeCore)

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, id from `X-GitHub-Delivery`. GitHub signs no
 * timestamp, so the tolerance does not apply — deduplicate on the id to resist replays.
 *
 * @since 0.1.0
 * @category constructors
 */
export const github: Scheme = make(githubCore)

/**
 * Options of a custom HMAC-SHA256 scheme. Header names are case-insensitive. `content` is a template over `{id}`,
 * `{timestamp}` and `{body}` (which must appear exactly once), default `"{body}"`. Secrets are used as-is (UTF-8).
 *
 * @since 0.1.0
 * @category models
 */
export interface HmacOptions {
  readonly signatureHeader: string
  /** Header with unix seconds; when set it is required and the tolerance applies. */
  readonly timestampHeader?: string
  /** Header with a stable id; required only when `content` uses `{id}`. */
  readonly idHeader?: string
  /** Text before the encoded signature, e.g. `"sha256="`. */
  readonly prefix?: string
  /** Default `"hex"`. */
  readonly encoding?: "hex" | "base64"
  /** Default `"{body}"`. */
  readonly content?: string
  /** Reported in `VerifiedWebhook.scheme`; default `"hmac"`. */
  readonly name?: string
}

/**
 * A scheme for any provider that sends one HMAC-SHA256 signature in a header. Its header carries a single signature,
 * so `sign` uses the first secret only. Throws a `TypeError` for inconsistent options.
 *
 * @example
 * ```ts
 * const shopify = hmac({ name: "shopify", signatureHeader: "X-Shopify-Hmac-Sha256", encoding: "base64" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const hmac = (options: HmacOptions): Scheme => make(hmacCore(options))

/**
 * Schemes of the providers in Hookwire's examples.
 *
 * - `marketAlerts`: `X-VQ-Signature` = hex HMAC-SHA256 of `{timestamp}.{body}`, `X-VQ-Timestamp` (unix s),
 *   `X-VQ-Webhook-Id` (stable id for deduplication).
 * - `tradingSignals`: `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the body>`; no timestamp, no id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const presets: { readonly marketAlerts: Scheme; readonly tradingSignals: Scheme } = Object.freeze({
  marketAlerts: hmac({
    name: "marketAlerts",
    signatureHeader: "x-vq-signature",
    timestampHeader: "x-vq-timestamp",
    idHeader: "x-vq-webhook-id",
    encoding: "hex",
    content: "{timestamp}.{body}"
  }),
  tradingSignals: hmac({
    name: "tradingSignals",
    signatureHeader: "x-webhook-signature",
    prefix: "sha256=",
    encoding: "hex"
  })
})
