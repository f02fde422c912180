/**
 * The Web handler every mount shares: strips the mount path, answers CORS, serves the OpenAPI document, the
 * reference page and the portal, checks the body (size, JSON), then hands the request to the API's handler.
 *
 * @internal
 */
import * as Problem from "../Problem.js"
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
export const make = (inner: (request: Request) => Promise<Response>, options: WebOptions) => {
  const mount = normaliseMount(options.mountPath)
  const docsHtml = docs.render(options.openApi)
  const openApiJson = JSON.stringify(options.openApi)
  const allowOrigin = (origin: string | null): string | undefined => {
    const cors = options.cors
    if (cors === undefined || origin === null) return undefined
    if (cors.origins === "*") return "*"
    return cors.origins.includes(origin) ? origin : undefined
  }
  const withCors = (response: Response, origin: string | undefined) => {
    if (origin === undefined) return response
    const headers = new Headers(response.headers)
    headers.set("access-control-allow-origin", origin)
    headers.set("access-control-expose-headers", "idempotent-replayed, www-authenticate")
    if (origin !== "*") headers.append("vary", "origin")
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }

  const route = async (request: Request, url: URL, path: string): Promise<Response> => {
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
    const checked = await body.read(request, options.maxBodyBytes)
    if (!checked.ok) return problemResponse(checked.problem, { connection: "close" })
    const inner_ = new Request(new URL(path + url.search, url.origin), {
      method: request.method,
      headers: request.headers,
      ...(checked.body === undefined ? {} : { body: checked.body as Uint8Array<ArrayBuffer> })
    })
    return inner(inner_)
  }

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    let path = url.pathname
    if (mount !== "") {
      if (path !== mount && !path.startsWith(mount + "/")) {
        return problemResponse(Problem.make(404, "not_found", `Not under the API's mount path ${mount}`))
      }
      path = path.slice(mount.length) || "/"
    }
    const origin = allowOrigin(request.headers.get("origin"))
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
    return withCors(await route(request, url, path), origin)
  }
}
