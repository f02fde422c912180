/**
 * Checks answers against the OpenAPI document itself: the status must be declared for the operation, and the body
 * must match the declared schema for its content type (ajv, JSON Schema 2020-12, `$ref`s resolved in the document).
 */
import addFormatsModule from "ajv-formats"
import Ajv2020Module from "ajv/dist/2020.js"

// CommonJS modules with a default export: the constructor is `.default` under Node's ESM interop.
const Ajv2020: typeof Ajv2020Module.default = (Ajv2020Module as any).default ?? Ajv2020Module
const addFormats: typeof addFormatsModule.default = (addFormatsModule as any).default ?? addFormatsModule

const escape = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1")

export const responseChecker = (spec: Record<string, any>) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema({ ...spec, $id: "api" })
  return (method: string, template: string, status: number, contentType: string | null, body: unknown) => {
    const op = spec.paths?.[template]?.[method.toLowerCase()]
    if (op === undefined) throw new Error(`${method} ${template} is not in the document`)
    const response = op.responses?.[String(status)]
    if (response === undefined) throw new Error(`${method} ${template} answered ${status}, which it does not declare`)
    if (response.content === undefined || Object.keys(response.content).length === 0) {
      if (body !== undefined && body !== "") throw new Error(`${method} ${template} ${status} declares no body`)
      return
    }
    const type = (contentType ?? "").split(";")[0].trim()
    if (response.content[type] === undefined) {
      throw new Error(`${method} ${template} ${status} sent ${type}; declared: ${Object.keys(response.content)}`)
    }
    const pointer = ["paths", template, method.toLowerCase(), "responses", String(status), "content", type, "schema"]
      .map(escape).join("/")
    const validate = ajv.getSchema(`api#/${pointer}`)
    if (validate === undefined) throw new Error(`no schema at ${pointer}`)
    if (!validate(body)) {
      throw new Error(`${method} ${template} ${status} body does not match: ${ajv.errorsText(validate.errors)}`)
    }
  }
}
