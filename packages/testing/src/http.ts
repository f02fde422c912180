/**
 * HTTP helpers for the receiver middleware tests (`@hookwire/express`, `@hookwire/fastify`): servers on
 * 127.0.0.1:0 that are always closed, and real POSTs (whole, chunked, or headers only).
 */
import type { RequestListener, Server } from "node:http"
import { createServer, request } from "node:http"
import type { AddressInfo } from "node:net"

/** Starts servers on 127.0.0.1:0 and closes every one of them in `closeAll`. */
export const servers = () => {
  const open: Array<Server> = []
  return {
    listen: async (listener: RequestListener): Promise<string> => {
      const server = createServer(listener)
      open.push(server)
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    },
    closeAll: async (): Promise<void> => {
      const closing = open.splice(0).map((server) =>
        new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()))
          server.closeAllConnections()
        })
      )
      await Promise.all(closing)
    }
  }
}

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

/** POSTs over real HTTP; `body` as a string or bytes (Content-Length set) or an async iterable (chunked). */
export const post = async (
  url: string,
  body: string | Uint8Array<ArrayBuffer> | AsyncIterable<Uint8Array>,
  headers: Record<string, string>,
  contentType: string | null = "application/json"
): Promise<Answer> => {
  const init: RequestInit & { duplex?: "half" } = {
    method: "POST",
    headers: contentType === null ? headers : { ...headers, "content-type": contentType }
  }
  if (typeof body === "string" || body instanceof Uint8Array) {
    init.body = body
  } else {
    // undici streams an async iterable with Transfer-Encoding: chunked; the DOM typings do not know that.
    init.body = body as unknown as BodyInit
    init.duplex = "half"
  }
  const response = await fetch(url, init)
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON (e.g. Express's default HTML error page): keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed }
}

/** `count` chunks of `size` bytes, streamed without a Content-Length. */
export async function* chunks(count: number, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < count; i++) yield new Uint8Array(size).fill(0x20)
}

/**
 * Sends only the headers of a POST that declares `declared` body bytes, and resolves with the status once the server
 * answers: a server that waited for the body would never answer (and the test would time out).
 */
export const declareOnly = (url: string, declared: number, headers: Record<string, string> = {}): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "content-length": String(declared) }
    })
    req.on("response", (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
      req.destroy()
    })
    req.on("error", reject)
    req.flushHeaders()
  })
