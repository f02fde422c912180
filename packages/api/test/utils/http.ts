/**
 * Plain `fetch` calls to a mounted API, every answer checked against the OpenAPI document before a test sees it.
 */
import { responseChecker } from "./openapi.js"

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: any
}

export const caller = (base: string, spec: Record<string, any>) => {
  const check = responseChecker(spec)
  return async (
    method: string,
    template: string,
    options: {
      readonly token?: string | undefined
      readonly params?: Record<string, string> | undefined
      readonly query?: Record<string, string> | undefined
      readonly body?: unknown
      readonly rawBody?: string | Uint8Array<ArrayBuffer> | undefined
      readonly headers?: Record<string, string> | undefined
    } = {}
  ): Promise<Reply> => {
    let path = template
    for (const [name, value] of Object.entries(options.params ?? {})) {
      path = path.replace(`{${name}}`, encodeURIComponent(value))
    }
    const query = options.query === undefined ? "" : `?${new URLSearchParams(options.query)}`
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    let body: string | Uint8Array<ArrayBuffer> | undefined = options.rawBody
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers["content-type"] ??= "application/json"
    } else if (body !== undefined) headers["content-type"] ??= "application/json"
    const response = await fetch(`${base}${path}${query}`, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    const parsed = text === "" ? undefined : JSON.parse(text)
    check(method, template, response.status, response.headers.get("content-type"), parsed)
    return { status: response.status, headers: response.headers, body: parsed }
  }
}
