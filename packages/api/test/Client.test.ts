/**
 * Every route through the typed client derived from the definition (the Promise client over `fetch`, and the
 * Effect client), against a real server on loopback, on memory and on Postgres.
 */
import { FetchHttpClient } from "@effect/platform"
import { servers } from "@hookwire/testing/http"
import * as Effect from "effect/Effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as AccessToken from "../src/AccessToken.js"
import * as Client from "../src/Client.js"
import { managementApi, type Mounted } from "../src/Mount.js"
import * as Problem from "../src/Problem.js"
import { type Engine, kinds, startEngine } from "./utils/engine.js"

const tokens = AccessToken.make({ keys: "c".repeat(32) })

describe.each(kinds)("typed client on %s", (kind) => {
  const open = servers()
  let engine: Engine
  let api: Mounted
  let baseUrl: string
  beforeAll(async () => {
    engine = await startEngine(kind)
    api = managementApi(engine.hookwire, { tokens, mountPath: "/api/webhooks" })
    baseUrl = `${await open.listen(api.node)}/api/webhooks`
  })
  afterAll(async () => {
    await open.closeAll()
    await api?.dispose()
    await engine?.close()
  })

  it("calls every route with typed arguments and answers", async () => {
    const client = Client.create({ baseUrl, token: tokens.create({ tenant: "t1", scope: "manage", ttl: "1 hour" }) })
    try {
      expect(await client.session.get()).toMatchObject({ tenant: "t1", scope: "manage" })
      expect(await client.session.config()).toStrictEqual({ channels: true })
      expect((await client.eventTypes.list()).data.map((t) => t.name)).toContain("invoice.paid")
      const created = await client.endpoints.create({ payload: { url: "https://r.example/h", channels: ["AAPL"] } })
      expect(created.secret).toMatch(/^whsec_/)
      expect(created.createdAt).toBeInstanceOf(Date)
      const id = created.id
      expect((await client.endpoints.get({ path: { id } })).channels).toStrictEqual(["AAPL"])
      expect((await client.endpoints.list({ urlParams: { limit: 10 } })).data.map((e) => e.id)).toContain(id)
      expect((await client.endpoints.update({ path: { id }, payload: { name: "n" } })).name).toBe("n")
      const filter = { "data.amount": { $gt: 1 } }
      expect((await client.endpoints.update({ path: { id }, payload: { filter } })).filter).toStrictEqual(filter)
      expect(await client.endpoints.testFilter({ payload: { filter, payload: { data: { amount: 2 } } } }))
        .toStrictEqual(
          { matches: true }
        )
      expect((await client.endpoints.update({ path: { id }, payload: { filter: null } })).filter).toBeNull()
      const sent = await client.endpoints.test({ path: { id }, payload: { type: "invoice.paid" } })
      expect(sent.delivery.status).toBe("delivered")
      expect((await client.endpoints.stats({ path: { id } })).windows.day.attempts.total).toBe(1)
      expect((await client.messages.list({ urlParams: {} })).data[0].id).toBe(sent.messageId)
      expect((await client.messages.get({ path: { id: sent.messageId } })).payload).toMatchObject({
        type: "invoice.paid"
      })
      const resent = await client.messages.resend({ path: { id: sent.messageId }, payload: { endpointId: id } })
      expect(resent.endpointId).toBe(id)
      expect((await client.deliveries.list({ urlParams: { messageId: sent.messageId } })).data).toHaveLength(2)
      const detail = await client.deliveries.get({ path: { id: sent.deliveryId } })
      expect(detail.attemptLog[0].trigger).toBe("test")
      expect((await client.deliveries.retry({ path: { id: sent.deliveryId } })).attempts).toBe(2)
      expect((await client.deliveries.attempts({ urlParams: { deliveryId: sent.deliveryId } })).data).toHaveLength(2)
      expect(await client.endpoints.recover({ path: { id }, payload: { since: new Date(0) } })).toStrictEqual({
        recovered: 0
      })
      expect((await client.endpoints.disable({ path: { id }, payload: {} })).disabled).toBe(true)
      expect((await client.endpoints.enable({ path: { id } })).disabled).toBe(false)
      expect((await client.endpoints.rotateSecret({ path: { id }, payload: {} })).secret).toMatch(/^whsec_/)
      await client.endpoints.delete({ path: { id } })
      const error = await client.endpoints.get({ path: { id } }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Problem.NotFound)
      expect(error).toMatchObject({ status: 404, code: "endpoint_not_found" })
    } finally {
      await client.close()
    }
  })

  it("the Effect client decodes problems by status, typed", async () => {
    const readToken = tokens.create({ tenant: "t1", scope: "read", ttl: "1 hour" })
    const error = await Effect.runPromise(
      Effect.gen(function*() {
        const client = yield* Client.make({ baseUrl, token: readToken })
        return yield* Effect.flip(client.endpoints.create({ payload: { url: "https://r.example/h" } }))
      }).pipe(Effect.provide(FetchHttpClient.layer))
    )
    expect(error).toBeInstanceOf(Problem.Forbidden)
    expect(error).toMatchObject({ status: 403, code: "forbidden" })
  })
})
