import { Catalog, createHookwire } from "@hookwire/core"
import { PgAdapter } from "@hookwire/postgres"
import postgres from "postgres"

const sql = postgres(process.env.DATABASE_URL!)
const hookwire = createHookwire({ adapter: PgAdapter.postgres(), catalog: Catalog.make({ "order.created": {} }) })

export const placeOrder = (orderId: string) =>
  sql.begin(async (tx) => {
    await tx`insert into orders (id) values (${orderId})`
    await hookwire.publish({ tenant: "acme", type: "order.created", data: { orderId } }, { transaction: tx })
  })
