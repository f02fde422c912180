/**
 * Raw-body plumbing shared by the middleware: a content-type check and a bounded reader that never buffers more
 * than the limit. Kept private (package.json maps `./internal/*` to null) so it can change without a major.
 *
 * @internal
 */
import type { Readable } from "node:stream"

/** One MiB: plenty for webhook payloads, small enough that a hostile sender cannot exhaust memory. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/** `application/json` or any `type/subtype+json` (CloudEvents, JSON:API, …), parameters ignored. */
export const isJsonContentType = (header: string | undefined): boolean => {
  if (header === undefined) return false
  const mediaType = header.split(";", 1)[0]!.trim().toLowerCase()
  if (mediaType === "application/json") return true
  const slash = mediaType.indexOf("/")
  return slash > 0 && mediaType.endsWith("+json") && mediaType.length > slash + "+json".length + 1
}

/** `undefined` when absent or unparseable: the bounded reader still enforces the limit then. */
export const declaredLength = (header: string | undefined): number | undefined => {
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined
  return Number(header)
}

/** Returned instead of bytes when the body outgrew the limit. */
export const TooLarge: unique symbol = Symbol.for("@hookwire/express/TooLarge")

/**
 * Reads a request stream to the end, holding at most `limit` bytes. Past the limit it stops collecting and lets the
 * rest drain into the void, so the caller can answer 413 while the sender finishes writing (clients that cannot read
 * a response before their upload ends would otherwise see a reset instead of the 413).
 */
export const readBounded = (stream: Readable, limit: number): Promise<Uint8Array | typeof TooLarge> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let received = 0
    const cleanup = () => {
      stream.off("data", onData)
      stream.off("end", onEnd)
      stream.off("error", onError)
      stream.off("close", onClose)
    }
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk
      received += bytes.length
      if (received > limit) {
        cleanup()
        chunks.length = 0
        stream.resume()
        resolve(TooLarge)
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, received))
    }
    const onError = (error: unknown) => {
      cleanup()
      reject(error)
    }
    // A client that disconnects mid-body emits "close" without "end"; without this the promise would never settle.
    const onClose = () => {
      cleanup()
      reject(new Error("The request was aborted before its body was fully received."))
    }
    stream.on("data", onData)
    stream.on("end", onEnd)
    stream.on("error", onError)
    stream.on("close", onClose)
    stream.resume()
  })
