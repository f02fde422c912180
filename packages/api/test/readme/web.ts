import { managementApi } from "@hookwire/api"
import { Catalog, createHookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"

const hookwire = createHookwire({ adapter: memory(), catalog: Catalog.make({ "invoice.paid": {} }) })
const api = managementApi(hookwire, {
  mountPath: "/api/webhooks",
  // your own session, API key, JWT...: return the tenant (and scope), or null to answer 401
  authenticate: (request) => {
    const key = request.headers.get("x-api-key")
    return key === null ? null : { tenant: key.split(":")[0], scope: "manage" }
  }
})

// Next.js route handler (app/api/webhooks/[...path]/route.ts), Hono, Bun.serve, Deno.serve:
export const GET = api.handler
export const POST = api.handler
export const PATCH = api.handler
export const DELETE = api.handler
