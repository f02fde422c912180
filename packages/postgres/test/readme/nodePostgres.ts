import { Catalog, createHookwire } from "@hookwire/core"
import { postgres } from "@hookwire/postgres"
import pg from "pg"

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
const hookwire = createHookwire({ adapter: postgres({ pool }), catalog: Catalog.make({ "order.created": {} }) })

export const placeOrder = async (orderId: string) => {
  const client = await pool.connect()
  try {
    await client.query("BEGIN")
    await client.query("insert into orders (id) values ($1)", [orderId])
    await hookwire.publish({ tenant: "acme", type: "order.created", data: { orderId } }, { transaction: client })
    await client.query("COMMIT")
  } catch (error) {
    await client.query("ROLLBACK")
    throw error
  } finally {
    client.release()
  }
}
