/**
 * VecTrade's management API: `@hookwire/api` mounted over the platform's engine, so customers manage their webhooks
 * through HTTP (and the SDK of `src/sdk.ts`) without VecTrade writing a route. Accounts are Hookwire tenants; an API
 * key is a tenant-scoped access token VecTrade mints (`tokens.create({ tenant: account, scope: "manage", ttl })`).
 */
import { AccessToken, managementApi, type Mount } from "@hookwire/api"
import type { MarketAlerts } from "./MarketAlerts.js"

export interface VecTradeApi {
  readonly tokens: AccessToken.AccessTokens
  readonly api: Mount.Mounted
  /** An API key for one account. */
  readonly apiKey: (account: string, scope?: AccessToken.Scope) => string
}

export const vectradeApi = (
  platform: MarketAlerts,
  options: { readonly signingKey: string; readonly mountPath?: string | undefined }
): VecTradeApi => {
  const tokens = AccessToken.make({ keys: options.signingKey, maxTtl: "365 days" })
  const api = managementApi(platform.hookwire, { tokens, mountPath: options.mountPath ?? "/v1/webhooks" })
  return {
    tokens,
    api,
    apiKey: (account, scope = "manage") => tokens.create({ tenant: account, scope, ttl: "30 days" })
  }
}
