import { Client } from "@hookwire/api"

const client = Client.create({ baseUrl: "https://api.example.com/webhooks", token: "hwt_..." })
const endpoint = await client.endpoints.create({ payload: { url: "https://customer.example/hooks" } })
console.log(endpoint.secret) // shown once
const { data } = await client.deliveries.list({ urlParams: { endpointId: endpoint.id, status: "failed" } })
await client.endpoints.recover({ path: { id: endpoint.id }, payload: { since: new Date(Date.now() - 86_400_000) } })
console.log(data.length)
