/**
 * The API reference page (`GET /docs`): rendered on the server from the OpenAPI document, self-contained (no script,
 * no stylesheet or font from elsewhere), so it works offline and under a strict Content-Security-Policy.
 *
 * @internal
 */

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const json = (value: unknown) => `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`

const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1)

/** Schemas inline their `$ref`s as links to the components below. */
const schemaHtml = (schema: unknown): string => {
  if (typeof schema === "object" && schema !== null && "$ref" in schema && typeof schema.$ref === "string") {
    const name = refName(schema.$ref)
    return `<a href="#schema-${escape(name)}">${escape(name)}</a>`
  }
  return json(schema)
}

const operationHtml = (method: string, path: string, op: Record<string, any>): string => {
  const params = (op.parameters ?? []) as Array<Record<string, any>>
  const body = op.requestBody?.content?.["application/json"]?.schema
  const responses = Object.entries((op.responses ?? {}) as Record<string, Record<string, any>>).map(
    ([status, response]) => {
      const content = response.content as Record<string, { schema?: unknown }> | undefined
      const schema = content === undefined ? undefined : Object.values(content)[0]?.schema
      return `<li><code>${escape(status)}</code> ${escape(String(response.description ?? ""))} ${
        schema === undefined ? "" : schemaHtml(schema)
      }</li>`
    }
  )
  return [
    `<section class="op" id="${escape(String(op.operationId ?? `${method} ${path}`))}">`,
    `<h3><span class="method">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>`,
    op.description ? `<p>${escape(String(op.description))}</p>` : "",
    params.length === 0 ?
      "" :
      `<h4>Parameters</h4><ul>${
        params.map((p) =>
          `<li><code>${escape(String(p.name))}</code> (${escape(String(p.in))}${p.required ? ", required" : ""}) ${
            schemaHtml(p.schema)
          }</li>`
        ).join("")
      }</ul>`,
    body === undefined ? "" : `<h4>Request body</h4>${schemaHtml(body)}`,
    `<h4>Responses</h4><ul>${responses.join("")}</ul>`,
    `</section>`
  ].join("\n")
}

/** @internal */
export const render = (spec: Record<string, any>): string => {
  const ops: Array<string> = []
  for (const [path, item] of Object.entries((spec.paths ?? {}) as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (["get", "post", "put", "patch", "delete"].includes(method)) ops.push(operationHtml(method, path, op))
    }
  }
  const schemas = Object.entries((spec.components?.schemas ?? {}) as Record<string, unknown>).map(
    ([name, schema]) => `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3>${json(schema)}</section>`
  )
  const title = escape(String(spec.info?.title ?? "API"))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
pre{background:#f5f7f9;padding:.75rem;overflow:auto;border-radius:4px;font-size:13px}
.op{border-top:1px solid #d8dee4;padding-top:.5rem}.method{font-weight:700;color:#0a5}
code{font-family:ui-monospace,monospace}
</style></head><body>
<h1>${title}</h1>
<p>${escape(String(spec.info?.description ?? ""))}</p>
<p>Authentication: <code>Authorization: Bearer &lt;token&gt;</code>. Machine-readable:
<a href="openapi.json">openapi.json</a>.</p>
<h2>Operations</h2>
${ops.join("\n")}
<h2>Schemas</h2>
${schemas.join("\n")}
</body></html>`
}
