import { describe, expect, it } from "vitest"
import { isJsonContentType, UnsupportedMediaTypeError, type WebhookErrorCode } from "../src/Node.js"

describe("@hookwire/verify/Node: what a rejected request is", () => {
  it("UnsupportedMediaTypeError carries a tag, a code, 415 and a message saying what to send", () => {
    const missing = new UnsupportedMediaTypeError(undefined)
    expect(missing).toBeInstanceOf(Error)
    expect(missing).toMatchObject({ _tag: "UnsupportedMediaTypeError", code: "unsupported_media_type", status: 415 })
    expect(missing.name).toBe("UnsupportedMediaTypeError")
    expect(missing.message).toBe("the request has no content-type; webhooks must be sent as application/json")
    const text = new UnsupportedMediaTypeError("text/plain")
    expect(text.contentType).toBe("text/plain")
    expect(text.message).toBe(`content-type "text/plain" is not JSON; webhooks must be sent as application/json`)
    const code: WebhookErrorCode = text.code
    expect(code).toBe("unsupported_media_type")
  })

  it("a JSON content type is application/json or any +json type, parameters ignored", () => {
    for (const json of ["application/json", "application/json; charset=utf-8", "application/cloudevents+json"]) {
      expect(isJsonContentType(json)).toBe(true)
    }
    for (const other of [undefined, "", "text/plain", "application/jsonx", "multipart/form-data"]) {
      expect(isJsonContentType(other)).toBe(false)
    }
  })
})
