/**
 * `node:http`-style glue (also Express 4 and 5, whose middleware has the same shape): an `IncomingMessage` as a Web
 * `Request` (the one conversion of the request), and the reply written to the `ServerResponse` — the API's answer
 * straight from its `HttpServerResponse` (status, headers, bytes), the front's own small answers from their Web
 * `Response`. A body already parsed by `express.json()` is used as it was parsed. A client that goes away before
 * its answer interrupts the request's fiber.
 *
 * @internal
 */
import { Cookies, HttpServerResponse } from "@effect/platform"
import type { IncomingMessage, ServerResponse } from "node:http"
import { Readable } from "node:stream"
import type { Reply } from "./web.js"

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

/**
 * Writes the API's response as made: its headers as they are (content type and length included), its bytes. A body
 * of another kind (a stream, form data: no route answers one) goes through a Web `Response`.
 *
 * @internal
 */
export const writeServerResponse = async (
  response: HttpServerResponse.HttpServerResponse,
  res: ServerResponse,
  method: string
): Promise<void> => {
  const body = response.body
  let headers: Record<string, string | Array<string>> = response.headers
  if (!Cookies.isEmpty(response.cookies)) {
    headers = { ...headers, "set-cookie": Cookies.toSetCookieHeaders(response.cookies) }
  }
  const bytes = body._tag === "Uint8Array"
    ? body.body
    : body._tag === "Raw" && (typeof body.body === "string" || body.body instanceof Uint8Array)
    ? body.body
    : undefined
  if (body._tag !== "Empty" && bytes === undefined) {
    return writeResponse(HttpServerResponse.toWeb(response, { withoutBody: method === "HEAD" }), res)
  }
  res.writeHead(response.status, headers)
  res.end(method === "HEAD" ? undefined : bytes)
}

/** @internal */
export const writeReply = (reply: Reply, res: ServerResponse, method: string): Promise<void> =>
  HttpServerResponse.isServerResponse(reply) ? writeServerResponse(reply, res, method) : writeResponse(reply, res)

/** The interruption of the request's fiber when the client goes away before its answer is written. */
export const onClose = (res: ServerResponse) => (interrupt: () => void) => {
  res.once("close", () => {
    if (!res.writableEnded) interrupt()
  })
}

/** @internal */
export const handler = (reply: (request: Request, onAbort: (interrupt: () => void) => void) => Promise<Reply>) =>
(
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  next?: (error?: unknown) => void
): void => {
  const method = req.method ?? "GET"
  reply(toRequest(req, req.url ?? "/"), onClose(res)).then((answer) => writeReply(answer, res, method)).catch(
    (error) => {
      if (next !== undefined) next(error)
      else if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/problem+json" })
        res.end(JSON.stringify({ type: "urn:hookwire:problem:internal", title: "Internal Server Error", status: 500 }))
      } else res.destroy()
    }
  )
}
