/**
 * The portal's standalone build served from a folder: files by path (never outside the folder), `index.html` for
 * the folder itself and for paths that are not files (client-side routes), `no-cache` on the HTML and a year's
 * immutable cache on `assets/` (hashed names).
 *
 * @internal
 */
import { readFile, stat } from "node:fs/promises"
import * as Path from "node:path"

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json"
}

const isFile = async (path: string) => {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/** @internal */
export const serve = async (dir: string, relative: string, method: string): Promise<Response> => {
  if (method !== "GET" && method !== "HEAD") {
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "GET, HEAD" } })
  }
  const root = Path.resolve(dir)
  let decoded: string
  try {
    decoded = decodeURIComponent(relative)
  } catch {
    return new Response("Bad Request", { status: 400 })
  }
  const wanted = Path.resolve(root, "." + Path.posix.normalize("/" + decoded))
  if (wanted !== root && !wanted.startsWith(root + Path.sep)) return new Response("Not Found", { status: 404 })
  const file = (await isFile(wanted)) ? wanted : Path.join(root, "index.html")
  if (!(await isFile(file))) return new Response("Not Found", { status: 404 })
  const body = await readFile(file)
  const ext = Path.extname(file).toLowerCase()
  const immutable = Path.relative(root, file).startsWith("assets" + Path.sep)
  return new Response(method === "HEAD" ? null : body, {
    status: 200,
    headers: {
      "content-type": types[ext] ?? "application/octet-stream",
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff"
    }
  })
}
