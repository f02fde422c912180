/**
 * The README's transactional-publish examples are the files of test/readme (type-checked by `pnpm check`): each
 * block that passes `{ transaction }` must be one of them, exactly, so the README never shows code that does not
 * compile. (The Prisma example is marked `// not compiled:`: it imports the client `prisma generate` writes.)
 */
import { readdir, readFile } from "node:fs/promises"
import * as Path from "node:path"
import { expect, it } from "vitest"

it("every transactional-publish block of the README is a type-checked file of test/readme", async () => {
  const root = Path.join(import.meta.dirname, "..")
  const readme = await readFile(Path.join(root, "README.md"), "utf8")
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) =>
    b.includes("transaction: ") && !b.startsWith("// not compiled:")
  )
  const dir = Path.join(root, "test", "readme")
  const files = await Promise.all((await readdir(dir)).map((name) => readFile(Path.join(dir, name), "utf8")))
  expect(blocks.length).toBe(5)
  for (const block of blocks) expect(files, block.slice(0, 80)).toContain(block)
})
