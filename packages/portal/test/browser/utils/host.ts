/**
 * The host of the browser tests: the engine on the memory adapter (demo-fast retries), the management API mounted at
 * `/webhooks` with the portal, access tokens, and — for the host-app test — a React app of the host's own at `/app/`
 * built with Vite from test/browser/host-app. Everything on 127.0.0.1, port 0.
 */
import { AccessToken, managementApi } from "@hookwire/api"
import { Catalog, createHookwire, type Hookwire, RetryPolicy } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import type { Scheme } from "@hookwire/verify"
import { Schema } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { extname, join, normalize } from "node:path"
import { fileURLToPath } from "node:url"
import { buildApp, packageDir } from "../../../scripts/builder.js"

export const catalog = Catalog.make({
  "invoice.paid": {
    description: "An invoice was paid in full",
    schema: Schema.Struct({ invoiceId: Schema.String, amount: Schema.Number }),
    examples: [{ invoiceId: "in_example", amount: 4200 }]
  },
  "invoice.voided": {
    description: "An invoice was voided before payment",
    schema: Schema.Struct({ invoiceId: Schema.String }),
    examples: [{ invoiceId: "in_example" }]
  },
  "customer.created": {
    description: "A new customer signed up",
    schema: Schema.Struct({ customerId: Schema.String, email: Schema.String }),
    examples: [{ customerId: "cus_1", email: "ada@example.com" }]
  }
})

export interface Host {
  readonly hookwire: Hookwire.Hookwire<any>
  /** A token for the tenant, as the host's dashboard would mint it. */
  readonly token: (tenant: string, scope: "read" | "manage") => Promise<string>
  /** The link the host gives its customer. */
  readonly portalUrl: (token: string) => string
  /** A management API URL (`path` relative to the mount root). */
  readonly apiUrl: (path: string) => string
  /** The host's own React app, handed the API root and the token. */
  readonly hostAppUrl: (token: string) => string
  readonly close: () => Promise<void>
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" }

export const startHost = async (
  options: {
    readonly hostApp?: boolean
    readonly allowHttp?: boolean
    /** The engine's default signature scheme (Standard Webhooks when left out). */
    readonly scheme?: Scheme
    /** The API mount's `channels` option. */
    readonly channels?: boolean
  } = {}
): Promise<Host> => {
  const hostAppDir = join(packageDir, "dist", "test-host")
  if (options.hostApp === true) {
    await buildApp(fileURLToPath(new URL("../host-app/", import.meta.url)), hostAppDir)
  }
  const hookwire = createHookwire({
    adapter: memory(),
    catalog,
    allowHttp: options.allowHttp ?? true,
    http: { allowPrivateNetworks: true },
    // No retries: a failure is final at once (the tests retry and recover by hand).
    retryPolicy: RetryPolicy.none,
    ...(options.scheme === undefined ? {} : { scheme: options.scheme })
  })
  await hookwire.start()
  const tokens = AccessToken.make({ keys: "portal-test-signing-key-0123456789abcdef" })
  const api = managementApi(hookwire, { tokens, mountPath: "/webhooks", portal: true, channels: options.channels })
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://host").pathname
    if (path.startsWith("/app/")) {
      const file = normalize(join(hostAppDir, path.slice("/app/".length) || "index.html"))
      if (!file.startsWith(hostAppDir) || !existsSync(file)) return void res.writeHead(404).end()
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" })
      return void res.end(readFileSync(file))
    }
    api.node(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    hookwire,
    token: async (tenant, scope) => tokens.create({ tenant, scope, ttl: "1 hour" }),
    portalUrl: (token) => `${origin}/webhooks/portal/#token=${encodeURIComponent(token)}`,
    apiUrl: (path) => `${origin}/webhooks/${path}`,
    hostAppUrl: (token) =>
      `${origin}/app/#api=${encodeURIComponent(`${origin}/webhooks/`)}&token=${encodeURIComponent(token)}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await api.dispose()
      await hookwire.close()
    }
  }
}
