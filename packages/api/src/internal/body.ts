/**
 * Request bodies before they reach the API: read with a byte limit (413 beyond it), required to be JSON when not
 * empty, and checked to parse — so a malformed or oversized body is refused with a problem document before any
 * route runs, and changes nothing.
 *
 * @internal
 */
import * as Problem from "../Problem.js"

/** @internal */
export type BodyResult =
  | { readonly ok: true; readonly body: Uint8Array<ArrayBuffer> | undefined }
  | { readonly ok: false; readonly problem: Problem.Problem }

const tooLarge = (max: number): BodyResult => ({
  ok: false,
  problem: Problem.make(413, "payload_too_large", `The request body is larger than ${max} bytes`)
})

const readLimited = async (
  stream: ReadableStream<Uint8Array>,
  max: number
): Promise<Uint8Array<ArrayBuffer> | undefined> => {
  const reader = stream.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  return new Uint8Array(Buffer.concat(chunks))
}

/**
 * A body as the front checks it: the request's method, a header, and its bytes read up to a limit (undefined when
 * there are more).
 *
 * @internal
 */
export interface Source {
  readonly method: string
  readonly header: (name: string) => string | undefined
  readonly bytes: (max: number) => Promise<Uint8Array<ArrayBuffer> | undefined>
}

/** @internal */
export const check = async (source: Source, max: number): Promise<BodyResult> => {
  if (source.method === "GET" || source.method === "HEAD" || source.method === "OPTIONS") {
    return { ok: true, body: undefined }
  }
  const declared = Number(source.header("content-length") ?? "0")
  if (declared > max) return tooLarge(max)
  const bytes = await source.bytes(max)
  if (bytes === undefined) return tooLarge(max)
  if (bytes.byteLength === 0) return { ok: true, body: new TextEncoder().encode("{}") }
  const contentType = (source.header("content-type") ?? "").toLowerCase()
  if (!contentType.includes("json")) {
    return {
      ok: false,
      problem: Problem.make(400, "invalid_request", "Send the request body as JSON (content-type: application/json)")
    }
  }
  try {
    JSON.parse(Buffer.from(bytes).toString("utf8"))
  } catch (error) {
    return {
      ok: false,
      problem: Problem.make(
        400,
        "malformed_json",
        `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`
      )
    }
  }
  return { ok: true, body: bytes }
}

/** A Web `Request`'s body, checked. @internal */
export const read = (request: Request, max: number): Promise<BodyResult> =>
  check({
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    bytes: (limit) => request.body === null ? Promise.resolve(new Uint8Array(0)) : readLimited(request.body, limit)
  }, max)
