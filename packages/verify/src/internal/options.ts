/**
 * Option defaults and validation shared by `verify`, `verifyAsync`, `receive` and `verifyRequest`, and the
 * asynchronous entry point parameterised by engine (so tests can run it on Web Crypto while on Node).
 *
 * @internal
 */
import type { HeadersInput, Payload, VerifiedWebhook, VerifyInput } from "../Scheme.js"
import { standard } from "../Scheme.js"
import type { SecretInput } from "../Secret.js"
import type { VerifyOptions } from "../Verify.js"
import type { Engine } from "./engine.js"
import { coreOf } from "./schemes.js"

/** Standard Webhooks' recommendation, and what Stripe and Svix use. */
export const DEFAULT_TOLERANCE = 300

export const toleranceOf = (options: VerifyOptions): number => {
  const tolerance = options.tolerance
  if (tolerance === undefined) return DEFAULT_TOLERANCE
  if (typeof tolerance !== "number" || !(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new TypeError(`tolerance must be a non-negative number of seconds, got ${String(tolerance)}`)
  }
  return tolerance
}

const nowOf = (options: VerifyOptions): number => {
  const now = options.now === undefined ? Date.now() : options.now()
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new TypeError(`now() must return epoch milliseconds, got ${String(now)}`)
  }
  return now
}

export const verifyInput = (body: Payload, headers: HeadersInput, options: VerifyOptions): VerifyInput => {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("verify: options with at least { secret } are required")
  }
  const secret = options.secret
  return {
    body,
    headers,
    secrets: Array.isArray(secret) ? secret : [secret as SecretInput],
    tolerance: toleranceOf(options),
    now: nowOf(options)
  }
}

/** `verifyAsync` over a given engine; user-written schemes run their own (synchronous) `verify`. */
export const verifyAsyncWith = async (
  engine: Engine,
  body: Payload,
  headers: HeadersInput,
  options: VerifyOptions
): Promise<VerifiedWebhook> => {
  const input = verifyInput(body, headers, options)
  const scheme = options.scheme ?? standard
  const core = coreOf(scheme)
  return core === undefined ? scheme.verify(input) : engine.verifyAsync(core, input)
}
