/**
 * The management API over plain `fetch`: one method per route the portal uses (packages/api/ROUTES.md). The token
 * travels only in the `Authorization` header, never in a URL.
 */
import { ApiError, problemOf } from "./ApiError.js"
import type {
  Config,
  Delivery,
  DeliveryDetail,
  DeliveryStatus,
  Endpoint,
  EndpointInput,
  EndpointStats,
  EventType,
  Message,
  Page,
  Session,
  TestSend
} from "./types.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PortalClientOptions {
  /** The API's mount root, e.g. `https://api.example.com/webhooks/` (a trailing slash is added when missing). */
  readonly baseUrl: string | URL
  /** The tenant-scoped token, or a function that returns the current one (called on every request). */
  readonly token: string | (() => string | Promise<string>)
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch
}

/** @since 0.1.0 @category models */
export interface DeliveryQuery {
  readonly endpointId?: string
  readonly messageId?: string
  readonly status?: DeliveryStatus
  readonly since?: string
  readonly until?: string
  readonly limit?: number
  readonly cursor?: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PortalClient {
  readonly session: () => Promise<Session>
  readonly config: () => Promise<Config>
  readonly eventTypes: () => Promise<ReadonlyArray<EventType>>
  readonly listEndpoints: (query?: { readonly limit?: number; readonly cursor?: string }) => Promise<Page<Endpoint>>
  readonly getEndpoint: (id: string) => Promise<Endpoint>
  readonly createEndpoint: (input: EndpointInput) => Promise<Endpoint & { readonly secret: string }>
  readonly updateEndpoint: (id: string, patch: Partial<EndpointInput>) => Promise<Endpoint>
  readonly deleteEndpoint: (id: string) => Promise<void>
  readonly enableEndpoint: (id: string) => Promise<Endpoint>
  readonly disableEndpoint: (id: string, reason?: string) => Promise<Endpoint>
  readonly rotateSecret: (id: string) => Promise<{ readonly secret: string }>
  readonly sendTest: (id: string, type: string) => Promise<TestSend>
  readonly endpointStats: (id: string) => Promise<EndpointStats>
  readonly recover: (id: string, since: string, until?: string) => Promise<{ readonly recovered: number }>
  readonly listDeliveries: (query?: DeliveryQuery) => Promise<Page<Delivery>>
  readonly getDelivery: (id: string) => Promise<DeliveryDetail>
  readonly retryDelivery: (id: string) => Promise<Delivery>
  readonly getMessage: (id: string) => Promise<Message>
}

const query = (params: Readonly<Record<string, string | number | undefined>>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value))
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

const segment = (id: string): string => encodeURIComponent(id)

/**
 * @since 0.1.0
 * @category constructors
 */
export const makePortalClient = (options: PortalClientOptions): PortalClient => {
  const base = new URL(String(options.baseUrl).endsWith("/") ? String(options.baseUrl) : `${options.baseUrl}/`)
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const token = typeof options.token === "function" ? options.token : () => options.token as string

  const request = async <A>(method: string, path: string, body?: unknown): Promise<A> => {
    const headers: Record<string, string> = { accept: "application/json", authorization: `Bearer ${await token()}` }
    if (body !== undefined) headers["content-type"] = "application/json"
    let response: Response
    try {
      response = await doFetch(new URL(path, base), {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        // The token is in a header, never the URL; still, send no Referer with API calls.
        referrerPolicy: "no-referrer",
        credentials: "omit"
      })
    } catch (cause) {
      throw new ApiError({
        status: 0,
        title: "Network error",
        detail: `could not reach the webhooks API (${cause instanceof Error ? cause.message : String(cause)})`
      })
    }
    if (!response.ok) throw new ApiError(await problemOf(response))
    if (response.status === 204) return undefined as A
    return (await response.json()) as A
  }

  return {
    session: () => request("GET", "session"),
    config: () => request("GET", "config"),
    eventTypes: async () => (await request<{ data: ReadonlyArray<EventType> }>("GET", "event-types")).data,
    listEndpoints: (q = {}) => request("GET", `endpoints${query(q)}`),
    getEndpoint: (id) => request("GET", `endpoints/${segment(id)}`),
    createEndpoint: (input) => request("POST", "endpoints", input),
    updateEndpoint: (id, patch) => request("PATCH", `endpoints/${segment(id)}`, patch),
    deleteEndpoint: (id) => request("DELETE", `endpoints/${segment(id)}`),
    enableEndpoint: (id) => request("POST", `endpoints/${segment(id)}/enable`, {}),
    disableEndpoint: (id, reason) =>
      request("POST", `endpoints/${segment(id)}/disable`, reason === undefined || reason === "" ? {} : { reason }),
    rotateSecret: (id) => request("POST", `endpoints/${segment(id)}/rotate-secret`, {}),
    sendTest: (id, type) => request("POST", `endpoints/${segment(id)}/test`, { type }),
    endpointStats: (id) => request("GET", `endpoints/${segment(id)}/stats`),
    recover: (id, since, until) =>
      request("POST", `endpoints/${segment(id)}/recover`, until === undefined ? { since } : { since, until }),
    listDeliveries: (q = {}) => request("GET", `deliveries${query({ ...q })}`),
    getDelivery: (id) => request("GET", `deliveries/${segment(id)}`),
    retryDelivery: (id) => request("POST", `deliveries/${segment(id)}/retry`),
    getMessage: (id) => request("GET", `messages/${segment(id)}`)
  }
}
