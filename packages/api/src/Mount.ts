/**
 * The management API, mounted: the API's app behind a mount path, body limits, CORS, the OpenAPI document
 * (`GET /openapi.json`), a reference page (`GET /docs`) and, when asked, the customer portal (`/portal/`), with glue
 * for every host: a Web handler (`Request` → `Response`), `node:http`, Express 4 and 5, Fastify 5 — each converting
 * a request and its answer once (the app's response is written to the host's own response object, not through a Web
 * `Response`). A host on the Promise API calls
 * `managementApi(hookwire, { tokens, authenticate })`; an Effect host calls `make` with its engine layer or
 * `fromContext` inside its own program.
 *
 * @since 0.3.0
 */
import { OpenApi } from "@effect/platform"
import type * as Hookwire from "@hookwire/core/Hookwire"
import type { Settings } from "@hookwire/core/Settings"
import type { Webhooks } from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { IncomingMessage, ServerResponse } from "node:http"
import { ManagementApi } from "./Api.js"
import * as App from "./internal/app.js"
import * as fastifyGlue from "./internal/fastify.js"
import * as node from "./internal/node.js"
import * as web from "./internal/web.js"
import * as Server from "./Server.js"

/**
 * @since 0.3.0
 * @category models
 */
export interface Options extends Server.Options {
  /**
   * Where the Web and `node:http` handlers are mounted, e.g. "/webhooks" (default: the root). Express and Fastify
   * take the path from `app.use(path, …)` / `register(…, { prefix })` instead.
   */
  readonly mountPath?: string | undefined
  /** Larger request bodies get 413. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined
  /** Allow browsers on these origins (a portal on another origin). Default: no CORS headers. */
  readonly cors?:
    | { readonly origins: ReadonlyArray<string> | "*"; readonly maxAgeSeconds?: number | undefined }
    | undefined
  /**
   * Serve the customer portal at `/portal/`: `true` serves `@hookwire/portal`'s standalone build (install it),
   * `{ dir }` any folder holding a standalone build.
   */
  readonly portal?: boolean | { readonly dir: string } | undefined
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Mounted {
  /** The Web handler: Hono, Next.js route handlers, Bun, Deno, Workers-style runtimes. */
  readonly handler: (request: Request) => Promise<Response>
  /** A `node:http` request listener (serves under `mountPath`). */
  readonly node: (req: IncomingMessage, res: ServerResponse) => void
  /** Express 4 / 5 middleware: `app.use("/webhooks", api.express)`. */
  readonly express: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void
  /** A Fastify 5 plugin: `app.register(api.fastify, { prefix: "/webhooks" })`. */
  readonly fastify: ReturnType<typeof fastifyGlue.plugin>
  /** The OpenAPI 3.1 document. */
  readonly openApi: Record<string, unknown>
  /** Releases the API's runtime (not the engine's). */
  readonly dispose: () => Promise<void>
}

/**
 * Effect's JSON Schema marks `unknown` and `object` with `$id: "/schemas/…"`, repeated wherever they appear: one
 * document may not hold two schemas with one `$id`, so they go (they carry no meaning beyond the type).
 */
const stripIds = (node: unknown): void => {
  if (Array.isArray(node)) {
    for (const item of node) stripIds(item)
  } else if (typeof node === "object" && node !== null) {
    const record = node as Record<string, unknown>
    if (typeof record.$id === "string" && record.$id.startsWith("/schemas/")) delete record.$id
    for (const value of Object.values(record)) stripIds(value)
  }
}

const badRequest = {
  description:
    "RFC 9457 problem document (status 400): the request does not match the schema; `errors` lists the fields",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/BadRequest" } } }
}

/**
 * The OpenAPI 3.1 document of the API, with `servers` set to the mount path when given.
 *
 * @since 0.3.0
 * @category constructors
 */
export const openApi = (mountPath?: string): Record<string, unknown> => {
  const spec = OpenApi.fromApi(ManagementApi) as unknown as Record<string, any>
  // The platform's generic decode error is declared on every route, but this API answers a BadRequest problem
  // instead (see Server); and an empty `security` on an operation would mean "no authentication", overriding the
  // document's bearer requirement. Keep the document to what is sent.
  for (const item of Object.values(spec.paths ?? {}) as Array<Record<string, any>>) {
    for (const op of Object.values(item)) {
      if (op?.responses?.["400"] !== undefined) op.responses["400"] = badRequest
      if (Array.isArray(op?.security) && op.security.length === 0) delete op.security
    }
  }
  stripIds(spec)
  delete spec.components?.schemas?.HttpApiDecodeError
  delete spec.components?.schemas?.Issue
  delete spec.components?.schemas?.PropertyKey
  if (mountPath !== undefined && mountPath !== "") spec.servers = [{ url: mountPath }]
  return spec
}

const portalDirOf = (portal: Options["portal"]): (() => Promise<string | undefined>) | undefined => {
  if (portal === undefined || portal === false) return undefined
  if (portal !== true) return () => Promise.resolve(portal.dir)
  let dir: Promise<string | undefined> | undefined
  const name = "@hookwire/portal/standalone"
  return () =>
    dir ??= import(name).then(
      (mod: { readonly standaloneDir?: string }) => mod.standaloneDir,
      () => undefined
    )
}

/**
 * Mounts the API over an engine layer (Webhooks and Settings).
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (engine: Layer.Layer<Webhooks | Settings, unknown>, options: Options = {}): Mounted => {
  // One app (one runtime) behind every host's glue; each converts a request and its answer once.
  const app = App.make(Server.appLayer(engine, options))
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const webOptions = (mountPath: string) => ({
    mountPath,
    maxBodyBytes,
    cors: options.cors,
    portalDir: portalDirOf(options.portal),
    openApi: openApi(mountPath === "" ? options.mountPath : mountPath)
  })
  const mounted = web.make(app, webOptions(options.mountPath ?? ""))
  const unmounted = web.make(app, webOptions(""))
  return {
    handler: mounted.handler,
    node: node.handler(mounted.replyTo),
    express: node.handler(unmounted.replyTo),
    fastify: fastifyGlue.plugin(unmounted.reply, maxBodyBytes),
    openApi: openApi(options.mountPath),
    dispose: app.dispose
  }
}

/**
 * Mounts the API over the engine of the current Effect program; released with the scope.
 *
 * @since 0.3.0
 * @category constructors
 */
export const fromContext = (options: Options = {}): Effect.Effect<Mounted, never, Webhooks | Settings | Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Webhooks | Settings>()
    const mounted = make(Layer.succeedContext(context), options)
    yield* Effect.addFinalizer(() => Effect.promise(mounted.dispose))
    return mounted
  })

/**
 * Mounts the API over a Promise-API engine (`createHookwire`), without writing Effect.
 *
 * @example
 * ```ts
 * import { AccessToken, managementApi } from "@hookwire/api"
 * import { Catalog, createHookwire } from "@hookwire/core"
 * import { memory } from "@hookwire/memory"
 *
 * const hookwire = createHookwire({ adapter: memory(), catalog: Catalog.make({ "invoice.paid": {} }) })
 * const tokens = AccessToken.make({ keys: "a-signing-key-of-at-least-32-bytes!!" })
 * const api = managementApi(hookwire, { tokens, mountPath: "/webhooks" })
 * // Bun.serve({ fetch: api.handler }) · http.createServer(api.node) · app.use("/webhooks", api.express)
 * ```
 *
 * @since 0.3.0
 * @category constructors
 */
export const managementApi = (hookwire: Hookwire.Hookwire<any>, options: Options = {}): Mounted =>
  make(
    Layer.unwrapEffect(
      Effect.map(Effect.promise(() => hookwire.runtime.runtime()), (runtime) => Layer.succeedContext(runtime.context))
    ),
    options
  )
