import { AccessToken, managementApi } from "@hookwire/api"
import { Catalog, createHookwire } from "@hookwire/core"
import { memory } from "@hookwire/memory"
import express from "express"

const hookwire = createHookwire({ adapter: memory(), catalog: Catalog.make({ "invoice.paid": {} }) })
const tokens = AccessToken.make({ keys: process.env.HOOKWIRE_TOKEN_KEY ?? "dev-only-signing-key-of-32-bytes!!" })
const api = managementApi(hookwire, { tokens, portal: false })

const app = express()
app.use("/webhooks", api.express) // before express.json(), or after it: both work
app.post("/portal-session", (_req, res) => {
  // your own auth decides the tenant; hand the customer a token for the API (or the portal)
  res.json({ token: tokens.create({ tenant: "acme", scope: "manage", ttl: "1 hour" }) })
})
app.listen(3000)
