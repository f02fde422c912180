/**
 * A Prisma 7 client for the tests (driver adapter `@prisma/adapter-pg`, no query engine binary), generated from
 * test/prisma/schema.prisma on first use. `prisma generate` downloads the schema engine before it starts even though
 * generating does not run it, and this machine reaches no host but the npm registry: `PRISMA_SCHEMA_ENGINE_BINARY`
 * names an existing file instead, so nothing is downloaded.
 */
import { PrismaPg } from "@prisma/adapter-pg"
import { execFile } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const packageDir = fileURLToPath(new URL("../..", import.meta.url))
const client = fileURLToPath(new URL("../../dist/prisma-test-client/client.ts", import.meta.url))

export interface PrismaTransaction {
  readonly order: { readonly create: (args: { readonly data: { readonly id: string } }) => Promise<unknown> }
}

export interface Prisma {
  readonly $transaction: <A>(work: (tx: PrismaTransaction) => Promise<A>) => Promise<A>
  readonly $disconnect: () => Promise<void>
}

let generated: Promise<void> | undefined

const generate = () =>
  generated ??= promisify(execFile)(
    fileURLToPath(new URL("../../node_modules/.bin/prisma", import.meta.url)),
    ["generate", "--schema", "test/prisma/schema.prisma"],
    {
      cwd: packageDir,
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: existsSync("/bin/true") ? "/bin/true" : process.execPath,
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
        CHECKPOINT_DISABLE: "1"
      },
      timeout: 120_000
    }
  ).then(() => undefined)

/** A client on `url` whose models live in `schema`. */
export const makePrisma = async (url: string, schema: string): Promise<Prisma> => {
  await generate()
  const { PrismaClient } = await import(/* @vite-ignore */ client)
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }, { schema }) }) as Prisma
}
