/**
 * `node:http`-style glue (also Express 4 and 5, whose middleware has the same shape): an `IncomingMessage` as a Web
 * `Request`, the Web `Response` written back. A body already parsed by `express.json()` is used as it was parsed.
 *
 * @internal
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { Readable } from "node:stream"

/** @internal */
export const toRequest = (req: IncomingMessage & { body?: unknown }, url: string): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    headers.set(name, Array.isArray(value) ? value.join(", ") : value)
  }
  const host = req.headers.host ?? "localhost"
  const full = `http://${host}${url}`
  const method = req.method ?? "GET"
  if (method === "GET" || method === "HEAD") return new Request(full, { method, headers })
  if (req.readableEnded && req.body !== undefined) {
    // express.json() or similar consumed the stream: its parsed value is all that is left.
    const text = typeof req.body === "string"
      ? req.body
      : Buffer.isBuffer(req.body)
      ? new Uint8Array(req.body)
      : JSON.stringify(req.body)
    headers.delete("content-length")
    return new Request(full, { method, headers, body: text })
  }
  return new Request(full, {
    method,
    headers,
    body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
    duplex: "half"
  } as RequestInit)
}

/** @internal */
export const writeResponse = async (response: Response, res: ServerResponse): Promise<void> => {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  const bytes = response.body === null ? undefined : Buffer.from(await response.arrayBuffer())
  res.writeHead(response.status, headers)
  res.end(bytes)
}

/** @internal */
export const handler = (web: (request: Request) => Promise<Response>, stripPrefix: string) =>
(
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  next?: (error?: unknown) => void
): void => {
  const raw = req.url ?? "/"
  const url = stripPrefix !== "" && raw.startsWith(stripPrefix) ? raw.slice(stripPrefix.length) || "/" : raw
  web(toRequest(req, url)).then((response) => writeResponse(response, res)).catch((error) => {
    if (next !== undefined) next(error)
    else if (!res.headersSent) {
      res.writeHead(500, { "content-type": "application/problem+json" })
      res.end(JSON.stringify({ type: "urn:hookwire:problem:internal", title: "Internal Server Error", status: 500 }))
    } else res.destroy()
  })
}
