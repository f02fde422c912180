/**
 * The memory Storage's endpoint records: inserts (with the per-tenant limit), reads, the cached list of enabled
 * endpoints that fan-out reads on every publish, compare-and-set patches, and deletion (which cancels the endpoint's
 * pending deliveries).
 *
 * @internal
 */
import type {
  EndpointHealth,
  EndpointPatch,
  EndpointRecord,
  EndpointTransport,
  SecretRecord
} from "@hookwire/core/Model"
import type * as Storage from "@hookwire/core/Storage"
import * as Effect from "effect/Effect"
import { conflict, page, type State } from "./state.js"

const sameSecrets = (a: ReadonlyArray<SecretRecord>, b: ReadonlyArray<SecretRecord>): boolean =>
  a.length === b.length &&
  a.every((s, i) => s.value === b[i]!.value && s.createdAt === b[i]!.createdAt && s.expiresAt === b[i]!.expiresAt)

/** JSON with object keys sorted, so equal values compare equal whatever order their keys were written in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

const sameTransport = (a: EndpointTransport | null | undefined, b: EndpointTransport | null): boolean =>
  canonical(a ?? null) === canonical(b)

/** The endpoint with the patch's fields (those it carries) replaced. */
const applyPatch = (current: EndpointRecord, patch: EndpointPatch): EndpointRecord => {
  const next: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) next[key] = value
  return next as unknown as EndpointRecord
}

const sameHealth = (a: EndpointHealth, b: EndpointHealth): boolean =>
  a.failingSince === b.failingSince &&
  a.consecutiveFailures === b.consecutiveFailures &&
  a.circuit === b.circuit &&
  a.circuitOpenedAt === b.circuitOpenedAt &&
  a.circuitRetryAt === b.circuitRetryAt

/** The endpoint methods of the service. */
export const make = (state: State): Storage.EndpointMethods => {
  const { endpoints, tenants } = state

  const addEndpoint = (endpoint: EndpointRecord) => {
    const tenant = state.tenantState(endpoint.tenant)
    endpoints.set(endpoint.id, endpoint)
    tenant.endpoints.add(endpoint.id)
    tenant.enabled = undefined
  }

  /** The tenant's enabled endpoints, cached between endpoint writes: fan-out reads them on every publish. */
  const enabledOf = (tenant: string): ReadonlyArray<EndpointRecord> => {
    const tenantState = tenants.get(tenant)
    if (tenantState === undefined) return []
    return tenantState.enabled ??= tenantState.endpoints.values().flatMap((id) => {
      const endpoint = endpoints.get(id)
      return endpoint !== undefined && !endpoint.disabled ? [endpoint] : []
    })
  }

  return {
    insertEndpoint: (endpoint) =>
      Effect.suspend(() => {
        if (endpoints.has(endpoint.id)) return Effect.fail(conflict("endpoint", endpoint.id))
        addEndpoint(endpoint)
        return Effect.void
      }),

    insertEndpointWithin: (endpoint, limit) =>
      Effect.suspend(() => {
        if (endpoints.has(endpoint.id)) return Effect.fail(conflict("endpoint", endpoint.id))
        if ((tenants.get(endpoint.tenant)?.endpoints.size ?? 0) >= limit) return Effect.succeed(false)
        addEndpoint(endpoint)
        return Effect.succeed(true)
      }),

    getEndpoint: (tenant, id) => Effect.sync(() => state.getEndpoint(tenant, id)),

    listEndpoints: (tenant, request) =>
      Effect.sync(() => page(tenants.get(tenant)?.endpoints, request, (id) => state.getEndpoint(tenant, id))),

    enabledEndpoints: (tenant) => Effect.sync(() => enabledOf(tenant)),

    enabledEndpointsOf: (asked) => Effect.sync(() => new Map(asked.map((tenant) => [tenant, enabledOf(tenant)]))),

    countEndpoints: (tenant) => Effect.sync(() => tenants.get(tenant)?.endpoints.size ?? 0),

    // Maintenance path (rare): a sort of every endpoint id is acceptable here.
    scanEndpoints: (afterId, limit) =>
      Effect.sync(() => {
        const ids = [...endpoints.keys()].filter((id) => afterId === undefined || id > afterId).sort()
        return ids.slice(0, Math.max(0, limit)).map((id) => endpoints.get(id)!)
      }),

    updateEndpoint: (endpoint) =>
      Effect.sync(() => {
        if (state.getEndpoint(endpoint.tenant, endpoint.id) === undefined) return false
        endpoints.set(endpoint.id, endpoint)
        state.tenantState(endpoint.tenant).enabled = undefined
        return true
      }),

    patchEndpoint: (tenant, id, patch, expected, expectedSecrets, expectedTransport) =>
      Effect.sync(() => {
        const current = state.getEndpoint(tenant, id)
        if (current === undefined) return undefined
        if (expected !== undefined && !sameHealth(current.health, expected)) return undefined
        if (expectedSecrets !== undefined && !sameSecrets(current.secrets, expectedSecrets)) return undefined
        if (expectedTransport !== undefined && !sameTransport(current.transport, expectedTransport)) return undefined
        const next = applyPatch(current, patch)
        endpoints.set(id, next)
        // The fan-out list of enabled endpoints holds the records: anything but a health update refreshes it.
        if (Object.keys(patch).some((key) => key !== "health" && key !== "updatedAt")) {
          state.tenantState(tenant).enabled = undefined
        }
        return next
      }),

    deleteEndpoint: (tenant, id, now) =>
      Effect.sync(() => {
        if (state.getEndpoint(tenant, id) === undefined) return false
        const tenantState = state.tenantState(tenant)
        endpoints.delete(id)
        tenantState.endpoints.delete(id)
        tenantState.enabled = undefined
        const index = tenantState.endpointDeliveries.get(id)
        if (index !== undefined) {
          for (const deliveryId of index.values()) {
            const delivery = state.deliveries.get(deliveryId)
            if (delivery !== undefined && delivery.status === "pending") {
              state.transition(delivery, "cancelled", null, now)
            }
          }
        }
        state.evict()
        state.dropIfEmpty(tenant, tenantState)
        return true
      })
  }
}
