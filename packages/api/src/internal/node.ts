/**
 * `node:http`-style glue (also Express 4 and 5, whose middleware has the same shape): an `IncomingMessage` read by the
 * front as it is (its headers record, its body stream) and handed to the API as an `HttpServerRequest` made from it
 * (internal/nodeRequest.ts), no Web `Request` in between; and the reply written to the `ServerResponse` — the API's answer
 * straight from its `HttpServerResponse` (status, headers, bytes), the front's own small answers from their Web
 * `Response`. A body already parsed by `express.json()` is used as it was parsed. A client that goes away before
 * its answer interrupts the request's fiber.
 *
 * @internal
 */
import { Cookies, HttpServerResponse } from "@effect/platform"
import type { IncomingMessage, ServerResponse } from "node:http"
import * as body from "./body.js"
import * as nodeRequest from "./nodeRequest.js"
import type { Incoming, Reply } from "./web.js"

/** The bytes of a body express.json() (or similar) already parsed, as the value it was parsed from. */
const parsedBody = (value: unknown): Uint8Array<ArrayBuffer> =>
  typeof value === "string"
    ? new TextEncoder().encode(value)
    : Buffer.isBuffer(value)
    ? new Uint8Array(value)
    : new TextEncoder().encode(JSON.stringify(value))

/** A message's body up to `max` bytes; undefined when it is longer (the rest is read and dropped). */
const readLimited = (req: IncomingMessage, max: number): Promise<Uint8Array<ArrayBuffer> | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength
      if (size <= max) return void chunks.push(chunk)
      req.off("data", onData).off("end", onEnd).off("error", reject)
      req.resume()
      resolve(undefined)
    }
    const onEnd = () => resolve(new Uint8Array(Buffer.concat(chunks)))
    req.on("data", onData).once("end", onEnd).once("error", reject)
  })

/**
 * An `IncomingMessage` as the front reads it: its path and query as received (dot segments resolved as a Web URL
 * would), its headers, its body (or what express.json() made of it) and the API's request made from it directly
 * (internal/nodeRequest.ts) — no Web `Request`.
 *
 * @internal
 */
export const toIncoming = (req: IncomingMessage & { body?: unknown }, target: string): Incoming => {
  let path = target
  let search = ""
  if (target.includes("/.") || target.includes("\\") || !target.startsWith("/")) {
    const url = new URL(target, "http://localhost")
    path = url.pathname
    search = url.search
  } else {
    const query = target.indexOf("?")
    if (query !== -1) {
      path = target.slice(0, query)
      search = query === target.length - 1 ? "" : target.slice(query)
    }
  }
  const headers = nodeRequest.headersOf(req)
  const method = req.method ?? "GET"
  return {
    method,
    path,
    search,
    header: (name) => headers[name],
    body: (max) =>
      body.check({
        method,
        header: (name) => headers[name],
        bytes: (limit) =>
          req.readableEnded && req.body !== undefined ? Promise.resolve(parsedBody(req.body)) : readLimited(req, limit)
      }, max),
    toApi: (url, bytes) => nodeRequest.make(req, url, headers, bytes)
  }
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
  // A text body (the read routes' JSON) carries no length: its UTF-8 length, or node would send it chunked.
  if (typeof bytes === "string" && headers["content-length"] === undefined) {
    headers = { ...headers, "content-length": String(Buffer.byteLength(bytes)) }
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
export const handler = (reply: (request: Incoming, onAbort: (interrupt: () => void) => void) => Promise<Reply>) =>
(
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  next?: (error?: unknown) => void
): void => {
  const method = req.method ?? "GET"
  reply(toIncoming(req, req.url ?? "/"), onClose(res)).then((answer) => writeReply(answer, res, method)).catch(
    (error) => {
      if (next !== undefined) next(error)
      else if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/problem+json" })
        res.end(JSON.stringify({ type: "urn:hookwire:problem:internal", title: "Internal Server Error", status: 500 }))
      } else res.destroy()
    }
  )
}
