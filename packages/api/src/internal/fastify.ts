/**
 * Fastify 5 glue: an encapsulated plugin (register it with a `prefix`) whose routes take every method and path under
 * the prefix, with the raw body as a Buffer (its own content-type parser, scoped to the plugin: the app's JSON parser
 * is untouched) and Fastify's own oversize error answered as a problem document. The API's answer is sent from its
 * `HttpServerResponse` (status, headers, bytes), not through a Web `Response`.
 *
 * @internal
 */
import { HttpServerResponse } from "@effect/platform"
import type { OnAbort, Reply } from "./web.js"
import { toResponse } from "./web.js"

// The few Fastify shapes used here, structurally: the package's types never require Fastify to be installed.
interface FastifyRequest {
  readonly url: string
  readonly method: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: unknown
}
interface FastifyReply {
  readonly raw: { readonly writableEnded: boolean; once(event: "close", listener: () => void): unknown }
  code(status: number): FastifyReply
  headers(values: Record<string, string>): FastifyReply
  type(contentType: string): FastifyReply
  send(payload: unknown): FastifyReply
}
interface FastifyInstance {
  readonly prefix: string
  removeAllContentTypeParsers(): void
  addContentTypeParser(
    type: string,
    options: { readonly parseAs: "buffer"; readonly bodyLimit: number },
    parser: (request: unknown, payload: Buffer, done: (error: Error | null, body?: unknown) => void) => void
  ): void
  setErrorHandler(
    handler: (
      error: { statusCode?: number; code?: string; message: string },
      request: unknown,
      reply: FastifyReply
    ) => void
  ): void
  all(path: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void
}

/** @internal */
export const plugin =
  (reply: (request: Request, onAbort: OnAbort) => Promise<Reply>, maxBodyBytes: number) =>
  async (fastify: FastifyInstance): Promise<void> => {
    fastify.removeAllContentTypeParsers()
    fastify.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: maxBodyBytes }, (_request, payload, done) => {
      done(null, payload)
    })
    fastify.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
      const status = error.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? 413 : error.statusCode ?? 500
      const code = status === 413 ? "payload_too_large" : status < 500 ? "invalid_request" : "internal"
      void reply.code(status).type("application/problem+json").send(
        JSON.stringify({
          type: `urn:hookwire:problem:${code}`,
          title: status === 413 ? "Content Too Large" : "Error",
          status,
          detail: status === 413 ? `The request body is larger than ${maxBodyBytes} bytes` : error.message,
          code
        })
      )
    })
    const prefix = fastify.prefix
    const handle = async (request: FastifyRequest, response: FastifyReply) => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value)
      }
      const path = request.url.startsWith(prefix) ? request.url.slice(prefix.length) || "/" : request.url
      const body = Buffer.isBuffer(request.body) ? request.body : undefined
      if (body !== undefined) headers.delete("content-length")
      const request_ = new Request(`http://${request.headers.host ?? "localhost"}${path}`, {
        method: request.method,
        headers,
        ...(body === undefined || request.method === "GET" || request.method === "HEAD"
          ? {}
          : { body: new Uint8Array(body) })
      })
      const answer = await reply(request_, (interrupt) =>
        response.raw.once("close", () => {
          if (!response.raw.writableEnded) interrupt()
        }))
      if (HttpServerResponse.isServerResponse(answer) && answer.body._tag === "Uint8Array") {
        const bytes = answer.body.body
        return response.code(answer.status).headers(answer.headers).send(
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        )
      }
      // The read routes' JSON text (internal/encoder.ts), sent as it is.
      if (
        HttpServerResponse.isServerResponse(answer) && answer.body._tag === "Raw" &&
        typeof answer.body.body === "string"
      ) {
        return response.code(answer.status).headers(answer.headers).send(
          answer.body.body
        )
      }
      const web = toResponse(answer, request.method)
      const out: Record<string, string> = {}
      web.headers.forEach((value, name) => {
        out[name] = value
      })
      return response.code(web.status).headers(out).send(Buffer.from(await web.arrayBuffer()))
    }
    fastify.all("/", handle)
    fastify.all("/*", handle)
  }
