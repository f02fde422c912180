/**
 * Durable operational webhooks on Postgres, across a crash: the first engine disables an endpoint (410 Gone) and fails
 * its delivery, then goes away without having reported either (it ran without operational webhooks: as if it had
 * crashed right after writing). The next engine on the same database, with operational webhooks, finds them (and the
 * endpoint's creation) in storage and publishes them to the system tenant — once: later sweeps find them again and
 * create nothing.
 */
import { Catalog } from "@hookwire/core"
import { createHookwire } from "@hookwire/core/Hookwire"
import * as OperationalWebhooks from "@hookwire/core/OperationalWebhooks"
import * as RecordingTransport from "@hookwire/core/RecordingTransport"
import * as RetryPolicy from "@hookwire/core/RetryPolicy"
import { waitFor } from "@hookwire/testing/services"
import { afterAll, expect, it } from "vitest"
import { postgres } from "../src/PgAdapter.js"
import { databaseUrl, describeDb, newSchema, pool } from "./utils/db.js"

const catalog = Catalog.make({ "order.created": { description: "An order" }, ...OperationalWebhooks.eventTypes })

describeDb("operational webhooks after a crash", () => {
  const schema = newSchema("opshooks")
  const admin = pool(1)
  afterAll(async () => {
    await admin.query(`drop schema if exists "${schema}" cascade`)
    await admin.end()
  })

  it("what the crashed engine never reported is published by the next one, exactly once", async () => {
    const first = createHookwire({
      adapter: postgres({ url: databaseUrl, schema, migrate: true }),
      catalog,
      logger: false,
      transport: RecordingTransport.layer(() => ({ status: 410 })),
      retryPolicy: RetryPolicy.none,
      dispatcher: { pollInterval: "50 millis" }
    })
    let endpointId = ""
    try {
      endpointId = (await first.endpoints.create({ tenant: "acme", url: "https://acme.example/gone" })).id
      await first.start()
      await first.publish({ tenant: "acme", type: "order.created", data: { id: 1 } })
      await waitFor(
        "the endpoint disabled",
        async () => (await first.endpoints.get({ tenant: "acme", id: endpointId })).disabled,
        15_000
      )
    } finally {
      await first.close()
    }

    const next = createHookwire({
      adapter: postgres({ url: databaseUrl, schema, migrate: true }),
      catalog,
      logger: false,
      transport: RecordingTransport.layer(),
      operationalWebhooks: { tenant: "ops", every: "100 millis" }
    })
    try {
      const notices = async () => (await next.messages.list({ tenant: "ops", limit: 100 })).items
      await waitFor("both notices", async () => {
        const types = (await notices()).map((m) => m.type)
        return types.includes("hookwire.endpoint.disabled") && types.includes("hookwire.delivery.failed")
      }, 15_000)
      // Several more sweeps find the same state: duplicates by their idempotency keys, no new messages.
      await new Promise((resolve) => setTimeout(resolve, 500))
      const found = await notices()
      expect(found.map((m) => m.type).sort()).toStrictEqual([
        "hookwire.delivery.failed",
        "hookwire.endpoint.created",
        "hookwire.endpoint.disabled"
      ])
      const disabled = JSON.parse(found.find((m) => m.type === "hookwire.endpoint.disabled")!.body)
      expect(disabled.data).toMatchObject({ tenant: "acme", endpointId })
      expect(disabled.data.reason).toMatch(/410/)
    } finally {
      await next.close()
    }
  }, 60_000)
})
