import * as SqlClient from "@effect/sql/SqlClient"
import { layer } from "@effect/vitest"
import * as Id from "@hookwire/core/Id"
import type { DeliveryRecord, DeliveryStatus, EndpointRecord, MessageRecord } from "@hookwire/core/Model"
import * as Storage from "@hookwire/core/Storage"
import { endpointRecord } from "@hookwire/core/test/contract/Records"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { expect } from "vitest"
import * as PgRetention from "../src/PgRetention.js"
import * as PgStorage from "../src/PgStorage.js"
import { clientLayer, describeDb, newSchema, schemaLayer } from "./utils/db.js"

const DAY = 86_400_000

// Ids made at a past time. `Id.make` is monotonic per process (never earlier than an id it already made), so old
// records get hand-made ids: the time of the record, then a counter.
let counter = 0
const idAt = (prefix: Id.Prefix, at: number) =>
  Id.lowerBound(prefix, at).slice(0, -8) + String(counter++).padStart(8, "0")

describeDb("PgRetention", () => {
  const schema = newSchema("retention")
  const env = PgStorage.layer({ schema }).pipe(
    Layer.provide(schemaLayer(schema)),
    Layer.provideMerge(clientLayer("hookwire-test-retention", 4))
  )

  layer(env, { excludeTestServices: true })("sweeps", (it) => {
    it.effect("deletes old finished messages with their deliveries and attempts, in batches; never pending work", () =>
      Effect.gen(function*() {
        const storage = yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        const tenant = `tenant_${Id.ulid(Date.now())}`
        const now = Date.now()
        const old = now - 40 * DAY
        const endpoint: EndpointRecord = endpointRecord(tenant, old, { id: idAt("ep", old), secrets: [] })
        yield* storage.insertEndpoint(endpoint)

        const publish = (at: number, statuses: ReadonlyArray<DeliveryStatus>) =>
          Effect.gen(function*() {
            const message: MessageRecord = {
              id: idAt("msg", at),
              tenant,
              type: "order.created",
              body: "{}",
              channels: [],
              idempotencyKey: `key-${Id.ulid(at)}`,
              createdAt: at
            }
            const deliveries: Array<DeliveryRecord> = statuses.map((status) => ({
              id: idAt("dlv", at),
              tenant,
              messageId: message.id,
              endpointId: endpoint.id,
              status,
              attempts: 1,
              nextAttemptAt: status === "pending" ? at + DAY : null,
              lastAttemptAt: at,
              lastResponseStatus: 500,
              lastError: null,
              createdAt: at,
              updatedAt: at
            }))
            yield* storage.insertMessage(message, deliveries)
            yield* storage.recordAttempts(deliveries.map((delivery) => ({
              attempt: {
                id: idAt("atm", at),
                tenant,
                deliveryId: delivery.id,
                messageId: message.id,
                endpointId: endpoint.id,
                attempt: 1,
                trigger: "scheduled",
                url: endpoint.url,
                startedAt: at,
                durationMs: 5,
                responseStatus: 500,
                responseBody: null,
                errorKind: null,
                errorMessage: null
              },
              delivery
            })))
            return { message, deliveries }
          })

        // Five old finished messages (two deliveries each), one old message with a pending delivery, one recent one.
        const finished = []
        for (let i = 0; i < 5; i++) {
          finished.push(yield* publish(old + i, ["delivered", i % 2 === 0 ? "failed" : "cancelled"]))
        }
        const stuck = yield* publish(old + 10, ["delivered", "pending"])
        const recent = yield* publish(now - DAY, ["delivered"])

        const count = (table: string) =>
          Effect.map(
            sql.unsafe<{ n: number }>(
              `select count(*)::int as n from "${schema}".hookwire_${table} where tenant = $1`,
              [tenant]
            ),
            (rows) => rows[0].n
          )
        expect([yield* count("messages"), yield* count("deliveries"), yield* count("attempts")]).toStrictEqual([
          7,
          13,
          13
        ])

        const result = yield* PgRetention.run({ schema, olderThan: "30 days", batchSize: 2 })
        expect(result).toStrictEqual({ messages: 5, deliveries: 10, attempts: 11 })

        for (const { message } of finished) expect(yield* storage.getMessage(tenant, message.id)).toBeUndefined()
        // The message with pending work keeps its pending delivery and that delivery's attempts; its finished
        // delivery's old attempt goes in the attempts pass.
        expect(yield* storage.getMessage(tenant, stuck.message.id)).toStrictEqual(stuck.message)
        const [done, pending] = stuck.deliveries
        expect((yield* storage.getDelivery(tenant, pending.id))?.status).toBe("pending")
        expect((yield* storage.getDelivery(tenant, done.id))?.status).toBe("delivered")
        expect(yield* storage.getMessage(tenant, recent.message.id)).toStrictEqual(recent.message)
        expect([yield* count("messages"), yield* count("deliveries"), yield* count("attempts")]).toStrictEqual([
          2,
          3,
          2
        ])

        // The idempotency key of a deleted message is free again.
        const reused = yield* storage.insertMessage({ ...finished[0].message, id: Id.make("msg") }, [])
        expect(reused.created).toBe(true)

        // A second sweep finds nothing more.
        expect(yield* PgRetention.run({ schema, olderThan: "30 days" })).toStrictEqual({
          messages: 0,
          deliveries: 0,
          attempts: 0
        })
      }))
  })
})
