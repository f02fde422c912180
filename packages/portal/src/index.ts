/**
 * @hookwire/portal: the customer portal as React components and headless hooks, over the management API with plain
 * `fetch`. Import `@hookwire/portal/styles.css` once for the components' look; theme it with `--hw-*` custom
 * properties. The standalone build (served by the API mount) is in `@hookwire/portal/standalone`.
 *
 * @since 0.1.0
 */
export { ApiError } from "./client/ApiError.js"
export { makePortalClient } from "./client/PortalClient.js"
export type { DeliveryQuery, PortalClient, PortalClientOptions } from "./client/PortalClient.js"
export type * from "./client/types.js"
export { DeliveryList } from "./components/DeliveryList.js"
export { DeliveryPage } from "./components/DeliveryPage.js"
export { EndpointActions } from "./components/EndpointActions.js"
export { EndpointForm } from "./components/EndpointForm.js"
export { EndpointList, EndpointStatus } from "./components/EndpointList.js"
export { EndpointPage } from "./components/EndpointPage.js"
export { EventCatalog } from "./components/EventCatalog.js"
export { NavigateContext, type View } from "./components/navigation.js"
export { Portal, type PortalProps } from "./components/Portal.js"
export { SecretReveal } from "./components/SecretReveal.js"
export { VerifySnippets } from "./components/VerifySnippets.js"
export {
  type EndpointActions as EndpointActionsApi,
  PortalProvider,
  useChannels,
  useConfig,
  useDeliveries,
  useDelivery,
  useEndpoint,
  useEndpointActions,
  useEndpoints,
  useEndpointStats,
  useEventTypes,
  useMessage,
  usePortalClient,
  useSession
} from "./hooks/hooks.js"
export type { QueryState } from "./hooks/query.js"
export { nodeSnippet, pythonSnippet, type SchemeInfo, schemeInfo } from "./internal/snippets.js"
