import { Catalog, createHookwire } from "@hookwire/core"
import { postgres } from "@hookwire/postgres"
import { Kysely, PostgresDialect } from "kysely"
import pg from "pg"

const db = new Kysely<{ orders: { id: string } }>({
  dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) })
})
const hookwire = createHookwire({ adapter: postgres(), catalog: Catalog.make({ "order.created": {} }) })

export const placeOrder = (orderId: string) =>
  db.transaction().execute(async (trx) => {
    await trx.insertInto("orders").values({ id: orderId }).execute()
    await hookwire.publish({ tenant: "acme", type: "order.created", data: { orderId } }, { transaction: trx })
  })
