/**
 * The database libraries a host publishes from, each as a way to run work in one of its transactions: commit when the
 * work resolves, roll back (and rethrow) when it throws — as each library does it itself.
 */
import { sql } from "drizzle-orm"
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres"
import { drizzle as drizzlePostgresJs } from "drizzle-orm/postgres-js"
import knexFactory from "knex"
import { Kysely, PostgresDialect } from "kysely"
import pg from "pg"
import postgresJs from "postgres"
import { makePrisma, type Prisma, type PrismaTransaction } from "./prisma.js"

interface Orders {
  readonly orders: { readonly id: string }
}

export interface Library {
  readonly name: string
  /** Runs `work(tx)` in a transaction of the library. */
  readonly transaction: <A>(work: (tx: unknown) => Promise<A>) => Promise<A>
  /** The host's own write in the transaction, as the library makes it: a row in `<schema>.orders`. */
  readonly insertOrder: (tx: unknown, schema: string, id: string) => Promise<unknown>
  /** The library's handle that is no transaction (a pool, a database, a client), which publish must refuse. */
  readonly notATransaction: () => Promise<unknown>
  readonly close: () => Promise<void>
}

export const libraries = (url: string, schema: string): ReadonlyArray<Library> => {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: "hookwire-test-libraries" })
  pool.on("error", () => {})
  const postgres = postgresJs(url, { max: 2, onnotice: () => {} })
  const kysely = new Kysely<Orders>({ dialect: new PostgresDialect({ pool }) })
  const drizzleOnPg = drizzlePg(pool)
  const drizzleOnPostgresJs = drizzlePostgresJs(postgres)
  let prisma: Promise<Prisma> | undefined
  const prismaClient = () => prisma ??= makePrisma(url, schema)
  const knex = knexFactory({ client: "pg", connection: url, pool: { min: 0, max: 2 } })
  return [
    {
      name: "node-postgres",
      transaction: async (work) => {
        const client = await pool.connect()
        try {
          await client.query("BEGIN")
          const result = await work(client)
          await client.query("COMMIT")
          return result
        } catch (error) {
          await client.query("ROLLBACK")
          throw error
        } finally {
          client.release()
        }
      },
      insertOrder: (tx, schema, id) =>
        (tx as pg.PoolClient).query(`insert into "${schema}".orders (id) values ($1)`, [id]),
      notATransaction: async () => pool,
      close: () => pool.end()
    },
    {
      name: "postgres.js",
      transaction: (work) => postgres.begin((tx) => work(tx)) as Promise<any>,
      insertOrder: (tx, schema, id) => {
        const t = tx as postgresJs.TransactionSql
        return t`insert into ${t(schema)}.orders (id) values (${id})`
      },
      notATransaction: async () => postgres,
      close: () => postgres.end()
    },
    {
      name: "Kysely",
      transaction: (work) => kysely.transaction().execute((trx) => work(trx)),
      insertOrder: (tx, schema, id) =>
        (tx as Kysely<Orders>).withSchema(schema).insertInto("orders").values({ id }).execute(),
      notATransaction: async () => kysely,
      close: async () => {}
    },
    {
      name: "Drizzle (node-postgres)",
      transaction: (work) => drizzleOnPg.transaction((tx) => work(tx)),
      insertOrder: (tx, schema, id) =>
        (tx as typeof drizzleOnPg).execute(sql`insert into ${sql.identifier(schema)}.orders (id) values (${id})`),
      notATransaction: async () => drizzleOnPg,
      close: async () => {}
    },
    {
      name: "Drizzle (postgres.js)",
      transaction: (work) => drizzleOnPostgresJs.transaction((tx) => work(tx)),
      insertOrder: (tx, schema, id) =>
        (tx as typeof drizzleOnPostgresJs).execute(
          sql`insert into ${sql.identifier(schema)}.orders (id) values (${id})`
        ),
      notATransaction: async () => drizzleOnPostgresJs,
      close: async () => {}
    },
    {
      name: "Knex",
      transaction: (work) => knex.transaction((trx) => work(trx)),
      insertOrder: (tx, schema, id) =>
        (tx as knexFactory.Knex.Transaction).withSchema(schema).insert({ id }).into("orders"),
      notATransaction: async () => knex,
      close: () => knex.destroy()
    },
    {
      name: "Prisma",
      transaction: async (work) => (await prismaClient()).$transaction((tx) => work(tx)),
      insertOrder: (tx, _schema, id) => (tx as PrismaTransaction).order.create({ data: { id } }),
      notATransaction: prismaClient,
      close: async () => {
        if (prisma !== undefined) await (await prisma).$disconnect()
      }
    }
  ]
}
