/**
 * What `receive` and `verifyRequest` do after (and around) verification: bounded body reading for Fetch requests,
 * strict UTF-8 JSON parsing of the verified bytes, event type extraction, the dedup claim and its release.
 *
 * @internal
 */
import type { DedupStore } from "../DedupStore.js"
import type { ReceiveOptions, ReceiveResult, VerifyRequestOptions } from "../Receive.js"
import type { VerifiedWebhook } from "../Scheme.js"
import { WebhookVerificationError } from "../VerifyError.js"
import { utf8 } from "./encoding.js"
import type { Engine } from "./engine.js"
import { toleranceOf, verifyAsyncWith } from "./options.js"

const DEFAULT_DEDUP_TTL = 86_400
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

const decoder = new TextDecoder("utf-8", { fatal: true })

const invalidPayload = (detail: string) =>
  new WebhookVerificationError(
    "invalid_payload",
    `the signature is valid but ${detail}; the sender must send a JSON body (content-type: application/json)`
  )

const parse = (raw: Uint8Array): unknown => {
  let text: string
  try {
    text = decoder.decode(raw)
  } catch {
    throw invalidPayload("the body is not valid UTF-8")
  }
  try {
    return JSON.parse(text)
  } catch {
    // The parser's message quotes the body, which may hold personal data: report only its size.
    throw invalidPayload(`the body (${raw.length} bytes) is not valid JSON`)
  }
}

const typeOf = (payload: unknown): string | undefined => {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined
  const { event, type } = payload as { readonly type?: unknown; readonly event?: unknown }
  return typeof type === "string" ? type : typeof event === "string" ? event : undefined
}

const dedupTtlOf = (options: ReceiveOptions): number => {
  const ttl = options.dedupTtl ?? DEFAULT_DEDUP_TTL
  if (typeof ttl !== "number" || !(ttl > 0) || !Number.isFinite(ttl)) {
    throw new TypeError(`dedupTtl must be a positive number of seconds, got ${String(ttl)}`)
  }
  // An id must be remembered for as long as a replay of it could still pass the timestamp check.
  return Math.ceil(Math.max(ttl, 2 * toleranceOf(options)))
}

/** Nothing was claimed (no store, no id, a duplicate) or the store cannot forget: there is nothing to give back. */
const noRelease = (): Promise<void> => Promise.resolve()

/**
 * Gives the claim on `id` back to `store` at most once: every call shares the outcome of the first. Calling the store
 * a second time could forget a claim that the sender's retry made in between, and lose that retry instead. The store
 * is called synchronously by the first call, so an in-memory store has forgotten the id when `release()` returns.
 */
const releaseOf = (store: DedupStore, id: string): () => Promise<void> => {
  let released: Promise<void> | undefined
  return () => {
    if (released === undefined) {
      try {
        released = Promise.resolve(store.release!(id)).then(() => undefined)
      } catch (error) {
        released = Promise.reject(error)
      }
    }
    return released
  }
}

export const finish = async <T>(
  verified: VerifiedWebhook,
  raw: Uint8Array,
  options: ReceiveOptions
): Promise<ReceiveResult<T>> => {
  const payload = parse(raw) as T
  const store = options.dedup
  let duplicate = false
  let release = noRelease
  if (store !== undefined && verified.id !== undefined) {
    duplicate = !(await store.claim(verified.id, dedupTtlOf(options)))
    // A duplicate's claim belongs to the delivery that made it: releasing it here would let a third copy through.
    if (!duplicate && typeof store.release === "function") release = releaseOf(store, verified.id)
  }
  return {
    duplicate,
    event: { id: verified.id, timestamp: verified.timestamp, type: typeOf(payload), payload, raw },
    release
  }
}

export const bytesOf = (raw: Uint8Array | string): Uint8Array => typeof raw === "string" ? utf8(raw) : raw

const tooLarge = (max: number) =>
  new WebhookVerificationError(
    "payload_too_large",
    `the body is larger than maxBodyBytes (${max} bytes); raise maxBodyBytes if such webhooks are expected`
  )

const readBody = async (request: Request, max: number): Promise<Uint8Array> => {
  const declared = request.headers.get("content-length")
  if (declared !== null && Number(declared) > max) throw tooLarge(max)
  if (request.bodyUsed) {
    throw new TypeError("the request body was already read; call verifyRequest before request.json() or .text()")
  }
  const body = request.body
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      // Stop reading at the limit instead of buffering an arbitrarily large body. The request is rejected either
      // way, so a failure to cancel the stream changes nothing for the caller.
      await reader.cancel().then(undefined, () => undefined)
      throw tooLarge(max)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** `verifyRequest` over a given engine, so tests can exercise Web Crypto on Node. */
export const verifyRequestWith = async <T = unknown>(
  engine: Engine,
  request: Request,
  options: VerifyRequestOptions
): Promise<ReceiveResult<T>> => {
  if (typeof options !== "object" || options === null) throw new TypeError("verifyRequest: options are required")
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new TypeError(`maxBodyBytes must be a non-negative integer, got ${String(max)}`)
  }
  const raw = await readBody(request, max)
  return finish<T>(await verifyAsyncWith(engine, raw, request.headers, options), raw, options)
}
