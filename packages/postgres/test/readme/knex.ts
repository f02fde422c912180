import { Catalog, createHookwire } from "@hookwire/core"
import { postgres } from "@hookwire/postgres"
import knex from "knex"

const db = knex({ client: "pg", connection: process.env.DATABASE_URL! })
const hookwire = createHookwire({ adapter: postgres(), catalog: Catalog.make({ "order.created": {} }) })

export const placeOrder = (orderId: string) =>
  db.transaction(async (trx) => {
    await trx("orders").insert({ id: orderId })
    await hookwire.publish({ tenant: "acme", type: "order.created", data: { orderId } }, { transaction: trx })
  })
