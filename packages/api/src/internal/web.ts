/**
 * The front every mount shares: strips the mount path, answers CORS, serves the OpenAPI document, the reference page
 * and the portal, checks the body (size, JSON), then runs the API's app (internal/app.ts) on the request — a Web
 * `Request` or a `node:http` message, each read through `Incoming`. Its reply
 * is either one of its own small Web `Response`s or the app's `HttpServerResponse` as made: the Web handler turns
 * that into a `Response`, the `node:http` and Fastify glue write it to the host's response without one.
 *
 * @internal
 */
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as Problem from "../Problem.js"
import type { App } from "./app.js"
import * as body from "./body.js"
import * as docs from "./docs.js"
import * as staticFiles from "./staticFiles.js"

/** @internal */
export interface WebOptions {
  readonly mountPath: string
  readonly maxBodyBytes: number
  readonly cors:
    | { readonly origins: ReadonlyArray<string> | "*"; readonly maxAgeSeconds?: number | undefined }
    | undefined
  /** Where the portal's standalone build is (resolved at the first portal request); undefined: no portal. */
  readonly portalDir: (() => Promise<string | undefined>) | undefined
  readonly openApi: Record<string, unknown>
}

/** What the front answers: its own Web `Response`, or the API's response as the app made it. */
export type Reply = Response | HttpServerResponse.HttpServerResponse

/** Hands the request's abort to the app (the Web handler: the request's own signal). */
export type OnAbort = (interrupt: () => void) => void

/**
 * A request as the front reads it, whatever the host made it of: a Web `Request` (`fromRequest`) or a `node:http`
 * message (internal/node.ts), so the `node:http` and Express mounts need no Web `Request` per call.
 */
export interface Incoming {
  readonly method: string
  /** The path as received (mount path included), and the query with its `?` (or ""). */
  readonly path: string
  readonly search: string
  readonly header: (name: string) => string | undefined
  /** The body, read and checked (internal/body.ts) with this limit. */
  readonly body: (max: number) => Promise<body.BodyResult>
  /** The API's request: `url` relative to the mount (with the query), the checked body. */
  readonly toApi: (url: string, body: Uint8Array<ArrayBuffer> | undefined) => HttpServerRequest.HttpServerRequest
}

/** A Web `Request` as the front reads it. */
export const fromRequest = (request: Request): Incoming => {
  const url = new URL(request.url)
  return {
    method: request.method,
    path: url.pathname,
    search: url.search,
    header: (name) => request.headers.get(name) ?? undefined,
    body: (max) => body.read(request, max),
    // A checked body goes to the API in a copy of the request (the original's stream was read).
    toApi: (path, bytes) =>
      HttpServerRequest.fromWeb(
        bytes === undefined
          ? request
          : new Request(request.url, { method: request.method, headers: request.headers, body: bytes })
      ).modify({ url: path })
  }
}

const problemResponse = (problem: Problem.Problem, extra?: Record<string, string>) =>
  new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...extra }
  })

const normaliseMount = (path: string) => {
  const trimmed = path.replace(/\/+$/, "")
  return trimmed === "" ? "" : trimmed.startsWith("/") ? trimmed : `/${trimmed}`
}

/** @internal */
export const make = (app: App, options: WebOptions) => {
  const mount = normaliseMount(options.mountPath)
  const docsHtml = docs.render(options.openApi)
  const openApiJson = JSON.stringify(options.openApi)
  const allowOrigin = (origin: string | null): string | undefined => {
    const cors = options.cors
    if (cors === undefined || origin === null) return undefined
    if (cors.origins === "*") return "*"
    return cors.origins.includes(origin) ? origin : undefined
  }
  const withCors = (reply: Reply, origin: string | undefined): Reply => {
    if (origin === undefined) return reply
    const cors = {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": "idempotent-replayed, www-authenticate"
    }
    if (HttpServerResponse.isServerResponse(reply)) {
      const vary = reply.headers.vary
      return HttpServerResponse.setHeaders(
        reply,
        origin === "*" ? cors : { ...cors, vary: vary === undefined ? "origin" : `${vary}, origin` }
      )
    }
    const headers = new Headers(reply.headers)
    for (const [name, value] of Object.entries(cors)) headers.set(name, value)
    if (origin !== "*") headers.append("vary", "origin")
    return new Response(reply.body, { status: reply.status, statusText: reply.statusText, headers })
  }

  const route = async (request: Incoming, path: string, onAbort: OnAbort | undefined): Promise<Reply> => {
    if (request.method === "GET" && path === "/openapi.json") {
      return new Response(openApiJson, { headers: { "content-type": "application/json" } })
    }
    if (request.method === "GET" && path === "/docs") {
      return new Response(docsHtml, { headers: { "content-type": "text/html; charset=utf-8" } })
    }
    if (options.portalDir !== undefined && (path === "/portal" || path.startsWith("/portal/"))) {
      // Relative asset URLs need the trailing slash; a redirect keeps the `#token=…` fragment.
      if (path === "/portal") return new Response(null, { status: 302, headers: { location: "portal/" } })
      const dir = await options.portalDir()
      if (dir === undefined) {
        return problemResponse(
          Problem.make(404, "not_found", "The portal is not installed: add @hookwire/portal to the host's dependencies")
        )
      }
      return staticFiles.serve(dir, path.slice("/portal/".length), request.method)
    }
    const checked = await request.body(options.maxBodyBytes)
    if (!checked.ok) return problemResponse(checked.problem, { connection: "close" })
    return app.run(request.toApi(path + request.search, checked.body), onAbort)
  }

  /** One request under the mount path, as the host received it, to the front's reply. */
  const replyTo = async (request: Incoming, onAbort?: OnAbort): Promise<Reply> => {
    let path = request.path
    if (mount !== "") {
      if (path !== mount && !path.startsWith(mount + "/")) {
        return problemResponse(Problem.make(404, "not_found", `Not under the API's mount path ${mount}`))
      }
      path = path.slice(mount.length) || "/"
    }
    const origin = allowOrigin(request.header("origin") ?? null)
    if (request.method === "OPTIONS" && options.cors !== undefined) {
      return new Response(null, {
        status: origin === undefined ? 403 : 204,
        headers: origin === undefined ? {} : {
          "access-control-allow-origin": origin,
          "access-control-allow-methods": "GET, POST, PATCH, DELETE",
          "access-control-allow-headers": "authorization, content-type, idempotency-key",
          "access-control-max-age": String(options.cors.maxAgeSeconds ?? 600),
          vary: "origin"
        }
      })
    }
    return withCors(await route(request, path, onAbort), origin)
  }

  /** The same for a Web `Request`. */
  const reply = (request: Request, onAbort?: OnAbort): Promise<Reply> => replyTo(fromRequest(request), onAbort)

  /** The Web handler: the reply as a `Response`. */
  const handler = async (request: Request): Promise<Response> =>
    toResponse(
      await reply(request, (interrupt) => request.signal.addEventListener("abort", interrupt, { once: true })),
      request.method
    )

  return { reply, replyTo, handler }
}

/** A reply as a Web `Response` (a HEAD request's without its body). */
export const toResponse = (reply: Reply, method: string): Response =>
  HttpServerResponse.isServerResponse(reply)
    ? HttpServerResponse.toWeb(reply, { withoutBody: method === "HEAD" })
    : reply
