/**
 * The management API, defined once with `@effect/platform`'s `HttpApi`: groups for the session, event types,
 * endpoints, messages, deliveries and attempts, every request and response a Schema. The server (`Server`), the
 * OpenAPI 3.1 document (`openApi`) and the typed client (`Client`) are all derived from this definition, so they
 * cannot drift apart. Paths are relative to the host's mount path. ROUTES.md in this package is the same table in
 * prose.
 *
 * @since 0.3.0
 */
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity
} from "@effect/platform"
import { OpenApi } from "@effect/platform"
import * as PayloadFilter from "@hookwire/core/PayloadFilter"
import * as Views from "@hookwire/core/Views"
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import type * as AccessToken from "./AccessToken.js"
import * as Problem from "./Problem.js"

// ---------------------------------------------------------------------------------------------------------------
// Who is calling
// ---------------------------------------------------------------------------------------------------------------

/**
 * The authenticated caller of the current request (every handler is scoped to its tenant).
 *
 * @since 0.3.0
 * @category tags
 */
export class CurrentCaller extends Context.Tag("@hookwire/api/CurrentCaller")<CurrentCaller, AccessToken.Caller>() {}

/**
 * Bearer authentication: an access token or whatever the host's `authenticate` accepts. `read` scope may call
 * every GET; `manage` every route.
 *
 * @since 0.3.0
 * @category tags
 */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("@hookwire/api/Authorization", {
  failure: Schema.Union(Problem.Unauthorized, Problem.Forbidden),
  provides: CurrentCaller,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

// ---------------------------------------------------------------------------------------------------------------
// Shared schemas
// ---------------------------------------------------------------------------------------------------------------

const strict = { parseOptions: { onExcessProperty: "error", errors: "all" } } as const

const id = HttpApiSchema.param("id", Schema.String)

const Limit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 250)).annotations({
  description: "Page size, 1 to 250 (default 50)"
})
const Time = Schema.Date.annotations({ description: "ISO-8601 time" })

const pageParams = {
  limit: Schema.optional(Limit),
  cursor: Schema.optional(Schema.String.annotations({ description: "nextCursor of the previous page" }))
}

const Page = <A extends Schema.Schema.Any>(item: A, identifier: string) =>
  Schema.Struct({ data: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) }).annotations({ identifier })

/**
 * @since 0.3.0
 * @category models
 */
export const Session = Schema.Struct({
  tenant: Schema.String,
  scope: Schema.Literal("read", "manage"),
  expiresAt: Schema.NullOr(Schema.Date)
}).annotations({ identifier: "Session" })

/**
 * What the host uses of the engine, for UIs over the API (the portal reads it once): `channels` is false when the
 * host publishes without channels, so endpoints cannot filter by them.
 *
 * @since 0.3.0
 * @category models
 */
export const Config = Schema.Struct({
  channels: Schema.Boolean.annotations({ description: "Whether endpoints may filter messages by channel" })
}).annotations({ identifier: "Config" })

/**
 * How deliveries to an endpoint are signed: its own scheme, else the engine's default, and the headers a receiver
 * reads (lower case).
 *
 * @since 0.3.0
 * @category models
 */
export const Signature = Schema.Struct({
  scheme: Schema.String.annotations({ description: "The effective scheme's name (standard, stripe, github, …)" }),
  signatureHeader: Schema.String,
  timestampHeader: Schema.NullOr(Schema.String),
  idHeader: Schema.NullOr(Schema.String)
}).annotations({ identifier: "Signature" })

/**
 * An endpoint as the API shows it: the core view (`scheme` is the endpoint's own choice, null for the engine's
 * default) and `signature`, the scheme its deliveries are actually signed with.
 *
 * @since 0.3.0
 * @category models
 */
export const Endpoint = Schema.Struct({ ...Views.Endpoint.fields, signature: Signature }).annotations({
  identifier: "Endpoint"
})

/**
 * @since 0.3.0
 * @category models
 */
export const EventType = Schema.Struct({
  name: Schema.String,
  description: Schema.String,
  deprecated: Schema.Boolean,
  schema: Schema.Object.annotations({ description: "JSON Schema of the event's data" }),
  examples: Schema.Array(Schema.Unknown)
}).annotations({ identifier: "EventType" })

/**
 * The JSON input of endpoint creation: `Views.EndpointCreate` from `@hookwire/core` (one definition for both).
 *
 * @since 0.3.0
 * @category models
 */
export const EndpointCreate = Views.EndpointCreate

/**
 * The JSON input of endpoint update: `Views.EndpointUpdate` from `@hookwire/core` (one definition for both).
 *
 * @since 0.3.0
 * @category models
 */
export const EndpointUpdate = Views.EndpointUpdate

/**
 * An endpoint with its secret: only in the answers of create.
 *
 * @since 0.3.0
 * @category models
 */
export const EndpointWithSecret = Schema.Struct({ ...Endpoint.fields, secret: Schema.String }).annotations({
  identifier: "EndpointWithSecret"
})

/**
 * @since 0.3.0
 * @category models
 */
export const Secret = Schema.Struct({ secret: Schema.String }).annotations({ identifier: "Secret" })

/**
 * @since 0.3.0
 * @category models
 */
export const TestSend = Schema.Struct({
  messageId: Schema.String,
  deliveryId: Schema.String,
  delivery: Views.Delivery
}).annotations({ identifier: "TestSend" })

/**
 * @since 0.3.0
 * @category models
 */
export const DeliveryDetail = Schema.Struct({ ...Views.Delivery.fields, attemptLog: Schema.Array(Views.Attempt) })
  .annotations({ identifier: "DeliveryDetail" })

/**
 * A payload filter and a payload to try it on (`POST /endpoints/test-filter`).
 *
 * @since 0.5.0
 * @category models
 */
export const FilterTest = Schema.Struct({
  filter: PayloadFilter.PayloadFilterSchema,
  /** A body as an endpoint receives it, e.g. `{ "type": …, "timestamp": …, "data": {…} }`. */
  payload: Schema.Unknown
}).annotations({ identifier: "FilterTest", ...strict })

/**
 * @since 0.5.0
 * @category models
 */
export const FilterTestResult = Schema.Struct({ matches: Schema.Boolean }).annotations({
  identifier: "FilterTestResult"
})

const Empty = Schema.Struct({}).annotations(strict)

// ---------------------------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------------------------

/**
 * @since 0.3.0
 * @category groups
 */
export class SessionGroup extends HttpApiGroup.make("session")
  .add(HttpApiEndpoint.get("get", "/session").addSuccess(Session))
  .add(HttpApiEndpoint.get("config", "/config").addSuccess(Config))
  .annotate(OpenApi.Description, "Who the credential belongs to, and what the host uses")
{}

/**
 * @since 0.3.0
 * @category groups
 */
export class EventTypesGroup extends HttpApiGroup.make("eventTypes")
  .add(HttpApiEndpoint.get("list", "/event-types").addSuccess(Schema.Struct({ data: Schema.Array(EventType) })))
  .annotate(OpenApi.Description, "The catalog of event types, with JSON Schemas and examples")
{}

/**
 * @since 0.3.0
 * @category groups
 */
export class EndpointsGroup extends HttpApiGroup.make("endpoints")
  .add(
    HttpApiEndpoint.get("list", "/endpoints").setUrlParams(Schema.Struct(pageParams)).addSuccess(
      Page(Endpoint, "EndpointPage")
    )
  )
  .add(
    HttpApiEndpoint.post("create", "/endpoints").setPayload(EndpointCreate).addSuccess(EndpointWithSecret, {
      status: 201
    })
  )
  .add(
    HttpApiEndpoint.post("testFilter", "/endpoints/test-filter").setPayload(FilterTest).addSuccess(FilterTestResult)
  )
  .add(HttpApiEndpoint.get("get")`/endpoints/${id}`.addSuccess(Endpoint))
  .add(HttpApiEndpoint.patch("update")`/endpoints/${id}`.setPayload(EndpointUpdate).addSuccess(Endpoint))
  .add(HttpApiEndpoint.del("delete")`/endpoints/${id}`)
  .add(HttpApiEndpoint.post("enable")`/endpoints/${id}/enable`.addSuccess(Endpoint))
  .add(
    HttpApiEndpoint.post("disable")`/endpoints/${id}/disable`.setPayload(
      Schema.Struct({ reason: Schema.optional(Schema.String.pipe(Schema.maxLength(512))) }).annotations(strict)
    ).addSuccess(Endpoint)
  )
  .add(HttpApiEndpoint.post("rotateSecret")`/endpoints/${id}/rotate-secret`.setPayload(Empty).addSuccess(Secret))
  .add(
    HttpApiEndpoint.post("test")`/endpoints/${id}/test`.setPayload(
      Schema.Struct({ type: Schema.String }).annotations(strict)
    ).addSuccess(TestSend)
  )
  .add(HttpApiEndpoint.get("stats")`/endpoints/${id}/stats`.addSuccess(Views.EndpointStats))
  .add(
    HttpApiEndpoint.post("recover")`/endpoints/${id}/recover`.setPayload(
      Schema.Struct({ since: Time, until: Schema.optional(Time) }).annotations(strict)
    ).addSuccess(Schema.Struct({ recovered: Schema.Number }))
  )
  .annotate(OpenApi.Description, "The tenant's webhook endpoints")
{}

/**
 * @since 0.3.0
 * @category groups
 */
export class MessagesGroup extends HttpApiGroup.make("messages")
  .add(
    HttpApiEndpoint.get("list", "/messages").setUrlParams(
      Schema.Struct({
        ...pageParams,
        type: Schema.optional(Schema.String),
        since: Schema.optional(Time),
        until: Schema.optional(Time)
      })
    ).addSuccess(Page(Views.MessageSummary, "MessagePage"))
  )
  .add(HttpApiEndpoint.get("get")`/messages/${id}`.addSuccess(Views.Message))
  .add(
    HttpApiEndpoint.post("resend")`/messages/${id}/resend`.setPayload(
      Schema.Struct({ endpointId: Schema.String }).annotations(strict)
    ).addSuccess(Views.Delivery)
  )
  .annotate(OpenApi.Description, "Published messages, newest first")
{}

/**
 * The query of `GET /deliveries`: a page (`limit`, `cursor`) filtered by endpoint, message, status and time.
 *
 * @since 0.6.0
 * @category models
 */
export const DeliveryListQuery = Schema.Struct({
  ...pageParams,
  endpointId: Schema.optional(Schema.String),
  messageId: Schema.optional(Schema.String),
  status: Schema.optional(Views.DeliveryStatus),
  since: Schema.optional(Time),
  until: Schema.optional(Time)
})

/**
 * @since 0.3.0
 * @category groups
 */
export class DeliveriesGroup extends HttpApiGroup.make("deliveries")
  .add(
    HttpApiEndpoint.get("list", "/deliveries").setUrlParams(DeliveryListQuery).addSuccess(
      Page(Views.Delivery, "DeliveryPage")
    )
  )
  .add(HttpApiEndpoint.get("get")`/deliveries/${id}`.addSuccess(DeliveryDetail))
  .add(HttpApiEndpoint.post("retry")`/deliveries/${id}/retry`.addSuccess(Views.Delivery))
  .add(
    HttpApiEndpoint.get("attempts", "/attempts").setUrlParams(
      Schema.Struct({
        ...pageParams,
        endpointId: Schema.optional(Schema.String),
        messageId: Schema.optional(Schema.String),
        deliveryId: Schema.optional(Schema.String),
        since: Schema.optional(Time),
        until: Schema.optional(Time)
      })
    ).addSuccess(Page(Views.Attempt, "AttemptPage"))
  )
  .annotate(OpenApi.Description, "Deliveries (message × endpoint) and their attempts, newest first")
{}

/**
 * The whole management API.
 *
 * @since 0.3.0
 * @category models
 */
export class ManagementApi extends HttpApi.make("hookwire-management")
  .add(SessionGroup)
  .add(EventTypesGroup)
  .add(EndpointsGroup)
  .add(MessagesGroup)
  .add(DeliveriesGroup)
  .middleware(Authorization)
  .addError(Problem.BadRequest)
  .addError(Problem.NotFound)
  .addError(Problem.Conflict)
  .addError(Problem.PayloadTooLarge)
  .addError(Problem.Internal)
  .annotateContext(OpenApi.annotations({
    title: "Hookwire management API",
    version: "1",
    description: "Manage webhook endpoints and inspect deliveries. Every route is scoped to the tenant of the bearer " +
      "credential; another tenant's ids answer 404. Errors are RFC 9457 problem documents."
  }))
{}
