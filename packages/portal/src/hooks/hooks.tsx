/**
 * Headless hooks over the management API, for hosts that draw their own markup. Wrap the tree in `PortalProvider`
 * with a client; every hook then fetches, polls and refreshes after changes made through `useEndpointActions` /
 * `useDeliveryActions`.
 */
import { createContext, type ReactNode, useContext, useMemo } from "react"
import type { ApiError } from "../client/ApiError.js"
import type { DeliveryQuery, PortalClient } from "../client/PortalClient.js"
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
} from "../client/types.js"
import { Invalidator, InvalidatorContext, type QueryState, useQuery } from "./query.js"

const ClientContext = createContext<PortalClient | null>(null)
const ConfigContext = createContext<QueryState<Config> | null>(null)

/**
 * Gives the hooks and components below it a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const PortalProvider = (props: { readonly client: PortalClient; readonly children?: ReactNode }) => {
  const invalidator = useMemo(() => new Invalidator(), [props.client])
  return (
    <ClientContext.Provider value={props.client}>
      <InvalidatorContext.Provider value={invalidator}>
        <ConfigProvider>{props.children}</ConfigProvider>
      </InvalidatorContext.Provider>
    </ClientContext.Provider>
  )
}

/** Reads `GET /config` once per provider, so every screen mounted later knows it at once (no flicker, no refetch). */
const ConfigProvider = (props: { readonly children?: ReactNode }) => {
  const client = usePortalClient()
  const config = useQuery("config", () => client.config())
  return <ConfigContext.Provider value={config}>{props.children}</ConfigContext.Provider>
}

/** @since 0.1.0 @category combinators */
export const usePortalClient = (): PortalClient => {
  const client = useContext(ClientContext)
  if (client === null) throw new Error("@hookwire/portal hooks need a <PortalProvider client={...}> above them")
  return client
}

/** Who the token speaks for; `scope === "read"` hides every write action. @since 0.1.0 @category combinators */
export const useSession = (): QueryState<Session> => {
  const client = usePortalClient()
  return useQuery("session", () => client.session())
}

/** What the host uses (`GET /config`); fetched once per `PortalProvider`. @since 0.1.0 @category combinators */
export const useConfig = (): QueryState<Config> => {
  const config = useContext(ConfigContext)
  if (config === null) throw new Error("@hookwire/portal hooks need a <PortalProvider client={...}> above them")
  return config
}

/**
 * Whether to show channels: only once the host has said it uses them (`GET /config`), so a host without channels
 * never shows the field, not even while loading.
 *
 * @since 0.1.0
 * @category combinators
 */
export const useChannels = (): boolean => useConfig().data?.channels === true

/** The event catalog. @since 0.1.0 @category combinators */
export const useEventTypes = (): QueryState<ReadonlyArray<EventType>> => {
  const client = usePortalClient()
  return useQuery("event-types", () => client.eventTypes())
}

/** One page of endpoints, newest first. @since 0.1.0 @category combinators */
export const useEndpoints = (
  options: { readonly cursor?: string; readonly limit?: number; readonly pollMs?: number } = {}
): QueryState<Page<Endpoint>> => {
  const client = usePortalClient()
  const { cursor, limit } = options
  return useQuery(
    `endpoints?cursor=${cursor ?? ""}&limit=${limit ?? ""}`,
    () =>
      client.listEndpoints({ ...(cursor === undefined ? {} : { cursor }), ...(limit === undefined ? {} : { limit }) }),
    { pollMs: options.pollMs }
  )
}

/** @since 0.1.0 @category combinators */
export const useEndpoint = (id: string, options: { readonly pollMs?: number } = {}): QueryState<Endpoint> => {
  const client = usePortalClient()
  return useQuery(`endpoints/${id}`, () => client.getEndpoint(id), { pollMs: options.pollMs })
}

/** Attempts and deliveries over the last hour, day and week. @since 0.1.0 @category combinators */
export const useEndpointStats = (id: string, options: { readonly pollMs?: number } = {}): QueryState<EndpointStats> => {
  const client = usePortalClient()
  return useQuery(`endpoints/${id}/stats`, () => client.endpointStats(id), { pollMs: options.pollMs })
}

/**
 * A page of deliveries, newest first; with `pollMs` it keeps refreshing while mounted (live updates).
 *
 * @since 0.1.0
 * @category combinators
 */
export const useDeliveries = (
  query: DeliveryQuery & { readonly pollMs?: number } = {}
): QueryState<Page<Delivery>> => {
  const client = usePortalClient()
  const { pollMs, ...rest } = query
  const key = `deliveries?${JSON.stringify(rest)}`
  return useQuery(key, () => client.listDeliveries(rest), { pollMs })
}

/** A delivery with its attempts, newest first. @since 0.1.0 @category combinators */
export const useDelivery = (id: string, options: { readonly pollMs?: number } = {}): QueryState<DeliveryDetail> => {
  const client = usePortalClient()
  return useQuery(`deliveries/${id}`, () => client.getDelivery(id), { pollMs: options.pollMs })
}

/** A message with its payload (the body every attempt sent). @since 0.1.0 @category combinators */
export const useMessage = (id: string | undefined): QueryState<Message> => {
  const client = usePortalClient()
  return useQuery(`messages/${id ?? ""}`, () => client.getMessage(id!), { enabled: id !== undefined })
}

/**
 * @since 0.1.0
 * @category models
 */
export interface EndpointActions {
  readonly create: (input: EndpointInput) => Promise<Endpoint & { readonly secret: string }>
  readonly update: (id: string, patch: Partial<EndpointInput>) => Promise<Endpoint>
  readonly remove: (id: string) => Promise<void>
  readonly enable: (id: string) => Promise<Endpoint>
  readonly disable: (id: string, reason?: string) => Promise<Endpoint>
  readonly rotateSecret: (id: string) => Promise<{ readonly secret: string }>
  readonly sendTest: (id: string, type: string) => Promise<TestSend>
  readonly recover: (id: string, since: string, until?: string) => Promise<{ readonly recovered: number }>
  readonly retry: (deliveryId: string) => Promise<Delivery>
}

/**
 * Every change the portal makes; each refreshes the queries it affects. Errors are `ApiError`s (their
 * `fieldError("url")` holds the engine's message for a field).
 *
 * @since 0.1.0
 * @category combinators
 */
export const useEndpointActions = (): EndpointActions => {
  const client = usePortalClient()
  const invalidator = useContext(InvalidatorContext)
  return useMemo(() => {
    function after<A>(promise: Promise<A>, ...keys: ReadonlyArray<string>): Promise<A> {
      return promise.then((value) => {
        invalidator.invalidate(...keys)
        return value
      })
    }
    return {
      create: (input) => after(client.createEndpoint(input), "endpoints"),
      update: (id, patch) => after(client.updateEndpoint(id, patch), "endpoints"),
      remove: (id) => after(client.deleteEndpoint(id), "endpoints"),
      enable: (id) => after(client.enableEndpoint(id), "endpoints"),
      disable: (id, reason) => after(client.disableEndpoint(id, reason), "endpoints"),
      rotateSecret: (id) => after(client.rotateSecret(id), `endpoints/${id}`),
      sendTest: (id, type) => after(client.sendTest(id, type), "deliveries", `endpoints/${id}/stats`),
      recover: (id, since, until) => after(client.recover(id, since, until), "deliveries", `endpoints/${id}/stats`),
      retry: (deliveryId) => after(client.retryDelivery(deliveryId), "deliveries", "endpoints")
    }
  }, [client, invalidator])
}

/** Re-exported for hosts that build their own status filter. @since 0.1.0 @category models */
export type { ApiError, DeliveryStatus }
