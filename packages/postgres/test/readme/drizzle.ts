import { Catalog, createHookwire } from "@hookwire/core"
import { postgres } from "@hookwire/postgres"
import { drizzle } from "drizzle-orm/node-postgres"
import { pgTable, text } from "drizzle-orm/pg-core"

const orders = pgTable("orders", { id: text("id").primaryKey() })
const db = drizzle(process.env.DATABASE_URL!)
const hookwire = createHookwire({ adapter: postgres(), catalog: Catalog.make({ "order.created": {} }) })

export const placeOrder = (orderId: string) =>
  db.transaction(async (tx) => {
    await tx.insert(orders).values({ id: orderId })
    await hookwire.publish({ tenant: "acme", type: "order.created", data: { orderId } }, { transaction: tx })
  })
