/**
 * The handlers of every route: each calls one Webhooks operation for the caller's tenant and maps the engine's
 * typed errors to problem documents. No logic of its own lives here: the API is another face of `Webhooks`.
 *
 * @internal
 */
import { HttpApiBuilder } from "@effect/platform"
import * as Catalog from "@hookwire/core/Catalog"
import type * as Model from "@hookwire/core/Model"
import { Settings } from "@hookwire/core/Settings"
import * as Webhooks from "@hookwire/core/Webhooks"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as Api from "../Api.js"
import { CurrentCaller, ManagementApi } from "../Api.js"
import * as Problem from "../Problem.js"
import * as encoder from "./encoder.js"
import { signatures } from "./signature.js"

/** What the host told the mount about itself (`Server.Options`). */
export interface HostOptions {
  /** false: the host publishes without channels; endpoints may not filter by them. */
  readonly channels: boolean
}

const tenantOf = Effect.map(CurrentCaller, (caller) => caller.tenant)

/** Runs an operation for the caller's tenant, its errors as problems. */
const forTenant = <A>(f: (tenant: string) => Effect.Effect<A, Problem.EngineError>) =>
  Effect.flatMap(tenantOf, (tenant) => Effect.mapError(f(tenant), Problem.fromError))

const page = <A>(p: Model.Page<A>) => ({ data: p.items, nextCursor: p.nextCursor })

/**
 * The response of a route, its body encoded by the route's success Schema compiled once (internal/encoder.ts) rather
 * than walked by `HttpApiBuilder` on every request. Used on the read routes, the ones a portal polls.
 */
const answer = (group: string, endpoint: string) =>
  encoder.make(
    (ManagementApi.groups as unknown as Groups)[group].endpoints[endpoint].successSchema
  ).respond

type Groups = Record<
  string,
  { readonly endpoints: Record<string, { readonly successSchema: Schema.Schema<any, any> }> }
>

/**
 * The two read routes a portal polls hardest, as functions of the caller's tenant: the HttpApi groups below and the
 * plain router in front of HttpApi (internal/fastRoutes.ts) both answer with these, so their answers cannot differ.
 */
export const hotReads = (w: Webhooks.Webhooks["Type"]) => {
  const respond = { deliveries: answer("deliveries", "list"), stats: answer("endpoints", "stats") }
  return {
    deliveries: (tenant: string, query: typeof Api.DeliveryListQuery.Type) =>
      Effect.mapError(w.deliveries.list({ tenant, ...query, order: "desc" }), Problem.fromError).pipe(
        Effect.map((p) => respond.deliveries(page(p)))
      ),
    stats: (tenant: string, id: string) =>
      Effect.mapError(w.endpoints.stats({ tenant, id }), Problem.fromError).pipe(Effect.map(respond.stats))
  }
}

const parseBody = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return body
  }
}

const session = (host: HostOptions) => {
  const respond = { get: answer("session", "get"), config: answer("session", "config") }
  return HttpApiBuilder.group(
    ManagementApi,
    "session",
    (handlers) =>
      handlers
        .handle("get", () =>
          Effect.map(CurrentCaller, (caller) =>
            respond.get({
              tenant: caller.tenant,
              scope: caller.scope,
              expiresAt: caller.expiresAt
            })))
        .handle("config", () => Effect.succeed(respond.config({ channels: host.channels })))
  )
}

/** A host without channels refuses an endpoint that filters by them (the portal shows no such field). */
const checkChannels = (host: HostOptions, channels: ReadonlyArray<string> | undefined) =>
  host.channels || channels === undefined || channels.length === 0
    ? Effect.void
    : Effect.fail(
      Problem.make(400, "channels_not_used", "This host does not use channels: leave channels out", [
        { path: "channels", message: "channels are not used by this host" }
      ])
    )

const eventTypes = HttpApiBuilder.group(ManagementApi, "eventTypes", (handlers) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    // The catalog is fixed for the engine's life: its JSON form is built once.
    const data = Object.entries(Catalog.toJsonSchema(settings.catalog)).map(([name, type]) => ({
      name,
      description: type.description,
      deprecated: type.deprecated,
      schema: type.schema as object,
      examples: type.examples
    }))
    return handlers.handle("list", () => Effect.succeed({ data }))
  }))

const endpoints = (host: HostOptions) =>
  HttpApiBuilder.group(ManagementApi, "endpoints", (handlers) =>
    Effect.gen(function*() {
      const w = yield* Webhooks.Webhooks
      const signatureOf = signatures(yield* Settings)
      /** The view with the scheme its deliveries are signed with. */
      const view = <E extends { readonly scheme: string | null }>(endpoint: E) => ({
        ...endpoint,
        signature: signatureOf(endpoint.scheme)
      })
      const respond = { list: answer("endpoints", "list"), get: answer("endpoints", "get") }
      const reads = hotReads(w)
      return handlers
        .handle("list", ({ urlParams }) =>
          forTenant((tenant) =>
            w.endpoints.list({ tenant, ...urlParams, order: "desc" })
          ).pipe(
            Effect.map((p) => respond.list({ data: p.items.map(view), nextCursor: p.nextCursor }))
          ))
        .handle("create", ({ payload }) =>
          Effect.zipRight(
            checkChannels(host, payload.channels),
            forTenant((tenant) => w.endpoints.create({ tenant, ...payload })).pipe(
              Effect.map((created) => view({ ...created, secret: Redacted.value(created.secret) }))
            )
          ))
        .handle("get", ({ path }) =>
          forTenant((tenant) =>
            w.endpoints.get({ tenant, id: path.id })
          ).pipe(Effect.map((endpoint) =>
            respond.get(view(endpoint))
          )))
        .handle("update", ({ path, payload }) =>
          Effect.zipRight(
            checkChannels(host, payload.channels),
            forTenant((tenant) =>
              w.endpoints.update({ tenant, id: path.id, ...payload })
            ).pipe(Effect.map(view))
          ))
        .handle("delete", ({ path }) => forTenant((tenant) => w.endpoints.delete({ tenant, id: path.id })))
        .handle("enable", ({ path }) =>
          forTenant((tenant) => w.endpoints.enable({ tenant, id: path.id })).pipe(Effect.map(view)))
        .handle("disable", ({ path, payload }) =>
          forTenant((tenant) =>
            w.endpoints.disable({ tenant, id: path.id, reason: payload.reason })
          ).pipe(
            Effect.map(view)
          ))
        .handle("rotateSecret", ({ path }) =>
          forTenant((tenant) =>
            w.endpoints.rotateSecret({ tenant, id: path.id })
          ).pipe(
            Effect.map((rotated) => ({ secret: Redacted.value(rotated.secret) }))
          ))
        .handle("test", ({ path, payload }) =>
          forTenant((tenant) =>
            w.endpoints.test({ tenant, id: path.id, type: payload.type })
          ))
        .handle("testFilter", ({ payload }) =>
          forTenant(() =>
            w.endpoints.testFilter(payload)
          ))
        .handle("stats", ({ path }) => Effect.flatMap(tenantOf, (tenant) => reads.stats(tenant, path.id)))
        .handle("recover", ({ path, payload }) =>
          forTenant((tenant) =>
            w.deliveries.recover({ tenant, endpointId: path.id, since: payload.since, until: payload.until })
          ))
    }))

const messages = HttpApiBuilder.group(ManagementApi, "messages", (handlers) =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const respond = { list: answer("messages", "list"), get: answer("messages", "get") }
    return handlers
      .handle("list", ({ urlParams }) =>
        forTenant((tenant) =>
          w.messages.list({ tenant, ...urlParams, order: "desc" })
        ).pipe(Effect.map((p) => respond.list(page(p)))))
      .handle("get", ({ path }) =>
        forTenant((tenant) =>
          w.messages.get({ tenant, id: path.id })
        ).pipe(
          Effect.map((message) => respond.get({ ...message, payload: parseBody(message.body) }))
        ))
      .handle("resend", ({ path, payload }) =>
        forTenant((tenant) =>
          w.messages.resend({ tenant, id: path.id, endpointId: payload.endpointId })
        ))
  }))

const deliveries = HttpApiBuilder.group(ManagementApi, "deliveries", (handlers) =>
  Effect.gen(function*() {
    const w = yield* Webhooks.Webhooks
    const respond = { get: answer("deliveries", "get"), attempts: answer("deliveries", "attempts") }
    const reads = hotReads(w)
    return handlers
      .handle("list", ({ urlParams }) => Effect.flatMap(tenantOf, (tenant) => reads.deliveries(tenant, urlParams)))
      .handle("get", ({ path }) =>
        forTenant((tenant) =>
          Effect.all({
            delivery: w.deliveries.get({ tenant, id: path.id }),
            attempts: w.deliveries.attempts({ tenant, deliveryId: path.id, limit: 100, order: "desc" })
          }, { concurrency: 2 })
        ).pipe(Effect.map(({ attempts, delivery }) => respond.get({ ...delivery, attemptLog: attempts.items }))))
      .handle("retry", ({ path }) => forTenant((tenant) => w.deliveries.retry({ tenant, id: path.id })))
      .handle("attempts", ({ urlParams }) =>
        forTenant((tenant) =>
          w.deliveries.attempts({ tenant, ...urlParams, order: "desc" })
        ).pipe(Effect.map((p) => respond.attempts(page(p)))))
  }))

/** Every group's handlers. Requires Webhooks and Settings. */
export const layer = (host: HostOptions) =>
  Layer.mergeAll(session(host), eventTypes, endpoints(host), messages, deliveries)
