/**
 * The retention contract, through the Promise API: `maintenance.prune` deletes finished messages and old attempts
 * of finished deliveries and never pending work; `maintenance.expunge` empties one message's body, cancels its
 * pending deliveries and keeps its outcomes; the `retention` option prunes inside `start()`. Every Storage adapter
 * that implements `pruneOlderThan` and `expungeMessage` runs it with a fresh, empty store per test (pruning is not
 * tenant-scoped): `retentionSuite("postgres", () => postgres({ url, schema: newSchema() }))`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { afterEach, describe, expect, it } from "vitest"
import * as Catalog from "../../src/Catalog.js"
import { createHookwire } from "../../src/Hookwire.js"
import type * as Hookwire from "../../src/Hookwire.js"
import * as RecordingTransport from "../../src/RecordingTransport.js"
import * as RetryPolicy from "../../src/RetryPolicy.js"
import { newTenant } from "./Records.js"

const catalog = Catalog.make({ "order.created": Schema.Struct({ orderId: Schema.String }) })

const until = async <A>(what: string, f: () => Promise<A>, ok: (a: A) => boolean, ms = 10_000): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const a = await f()
    if (ok(a)) return a
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * @since 0.1.0
 */
export const retentionSuite = (name: string, adapter: () => Hookwire.Adapter): void => {
  describe(`Retention contract: ${name}`, () => {
    const open: Array<{ close: () => Promise<void> }> = []
    afterEach(async () => {
      await Promise.all(open.splice(0).map((h) => h.close()))
    })

    /** One endpoint that answers 204 and one that answers 500 and retries only after an hour. */
    const engine = async (options: Partial<Hookwire.Options<any>> = {}) => {
      const hookwire = createHookwire({
        adapter: adapter(),
        catalog,
        logger: false,
        transport: RecordingTransport.layer((request) => ({ status: request.url.includes("down") ? 500 : 204 })),
        ...options
      })
      open.push(hookwire)
      const tenant = newTenant()
      const up = await hookwire.endpoints.create({ tenant, url: "https://up.example/hook", eventTypes: [] })
      const down = await hookwire.endpoints.create({
        tenant,
        url: "https://down.example/hook",
        retryPolicy: RetryPolicy.fixed(["1 hour"])
      })
      return { hookwire, tenant, up, down }
    }

    const settled = (hookwire: Hookwire.Hookwire<any>, tenant: string, messageId: string, n: number) =>
      until(
        `${n} deliveries of ${messageId} attempted`,
        () => hookwire.deliveries.list({ tenant, messageId }),
        (page) => page.items.length === n && page.items.every((d) => d.attempts >= 1)
      )

    const pastNow = async (time: number) =>
      until("the clock to move past the last record", async () => Date.now(), (now) => now > time + 2)

    it("prune deletes finished messages with their deliveries and attempts, and old attempts of finished deliveries; never pending work", async () => {
      const { down, hookwire, tenant, up } = await engine()
      // m1 goes to `up` only (channels), m2 to both: `down` keeps it pending.
      await hookwire.endpoints.update({ tenant, id: down.id, channels: ["b"] })
      const m1 =
        (await hookwire.publish({ tenant, type: "order.created", data: { orderId: "1" }, channels: ["a"] })).message
      await hookwire.endpoints.update({ tenant, id: up.id, channels: ["a", "b"] })
      const m2 =
        (await hookwire.publish({ tenant, type: "order.created", data: { orderId: "2" }, channels: ["b"] })).message
      await hookwire.start()
      await settled(hookwire, tenant, m1.id, 1)
      const [upDelivery, downDelivery] = await settled(hookwire, tenant, m2.id, 2).then((
        page
      ) => [page.items.find((d) => d.endpointId === up.id)!, page.items.find((d) => d.endpointId === down.id)!])
      await until(
        "m2's delivery to up delivered",
        () => hookwire.deliveries.get({ tenant, id: upDelivery.id }),
        (d) => d.status === "delivered"
      )
      expect(downDelivery.status).toBe("pending")
      await pastNow(m2.createdAt.getTime())

      expect(await hookwire.maintenance.prune({ olderThan: "1 hour" })).toStrictEqual({
        messages: 0,
        deliveries: 0,
        attempts: 0
      })
      const result = await hookwire.maintenance.prune({ olderThan: "1 millis", batchSize: 1 })
      // m1 with its delivery and attempt; the attempt of m2's finished delivery to `up`.
      expect(result).toStrictEqual({ messages: 1, deliveries: 1, attempts: 2 })
      expect(await hookwire.messages.get({ tenant, id: m1.id }).catch((e) => e)).toMatchObject({ _tag: "NotFound" })
      expect((await hookwire.messages.get({ tenant, id: m2.id })).id).toBe(m2.id)
      expect((await hookwire.deliveries.list({ tenant, messageId: m2.id })).items).toHaveLength(2)
      const left = await hookwire.deliveries.attempts({ tenant, messageId: m2.id })
      expect(left.items.map((a) => a.deliveryId)).toStrictEqual([downDelivery.id])
      expect(await hookwire.maintenance.prune({ olderThan: "1 millis" })).toStrictEqual({
        messages: 0,
        deliveries: 0,
        attempts: 0
      })
    })

    it("expunge empties the body, cancels pending deliveries and clears response bodies; outcomes stay", async () => {
      const { down, hookwire, tenant, up } = await engine()
      const { message } = await hookwire.publish({ tenant, type: "order.created", data: { orderId: "secret-1" } })
      await hookwire.start()
      const page = await settled(hookwire, tenant, message.id, 2)
      const toUp = page.items.find((d) => d.endpointId === up.id)!
      await until(
        "delivered to up",
        () => hookwire.deliveries.get({ tenant, id: toUp.id }),
        (d) => d.status === "delivered"
      )

      const result = await hookwire.maintenance.expunge({ tenant, id: message.id })
      expect(result).toStrictEqual({ id: message.id, cancelledDeliveries: 1 })
      const erased = await hookwire.messages.get({ tenant, id: message.id })
      expect(erased).toMatchObject({ id: message.id, type: "order.created", body: "" })
      const after = await hookwire.deliveries.list({ tenant, messageId: message.id })
      expect(Object.fromEntries(after.items.map((d) => [d.endpointId, d.status]))).toStrictEqual({
        [up.id]: "delivered",
        [down.id]: "cancelled"
      })
      const attempts = await hookwire.deliveries.attempts({ tenant, messageId: message.id })
      expect(attempts.items.map((a) => [a.responseStatus, a.responseBody])).toHaveLength(2)
      expect(attempts.items.every((a) => a.responseBody === null && a.responseStatus !== null)).toBe(true)
      expect(await hookwire.maintenance.expunge({ tenant: newTenant(), id: message.id }).catch((e) => e)).toMatchObject(
        {
          _tag: "NotFound",
          code: "message_not_found"
        }
      )
    })

    it("the retention option prunes inside start(), on its schedule", async () => {
      const { hookwire, tenant } = await engine({ retention: { olderThan: "1 millis", every: "1 second" } })
      const { message } = await hookwire.publish({ tenant, type: "order.created", data: { orderId: "1" } })
      await hookwire.maintenance.expunge({ tenant, id: message.id }) // both deliveries final: prunable
      await hookwire.start()
      await until(
        "the scheduled sweep to delete the message",
        () => hookwire.messages.get({ tenant, id: message.id }).catch((e) => e),
        (r) => (r as { _tag?: string })._tag === "NotFound"
      )
    })

    it("bad options are a ValidationError", async () => {
      const { hookwire } = await engine()
      expect(await hookwire.maintenance.prune({ olderThan: "soon" as never }).catch((e) => e)).toMatchObject({
        _tag: "ValidationError",
        field: "olderThan"
      })
      expect(await hookwire.maintenance.prune({ olderThan: "1 day", batchSize: 0 }).catch((e) => e)).toMatchObject({
        _tag: "ValidationError",
        field: "batchSize"
      })
    })
  })
}
